"""Command groups registered by name and loaded when used, so ``genomdb --help`` imports no command module.

The root group knows each command's module, attribute and one-line help. Help listings show that line; only the
command that runs (or whose own ``--help`` is asked for) imports its module, and with it the heavy parts of the
package it needs.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
import typer.main
import typer.models
from typer.core import TyperCommand, TyperGroup, TyperOption

_PARAGRAPH = re.compile(r"\n\s*\n")


def reflow(text: str | None) -> str | None:
    """Docstring paragraphs as single lines, so the terminal wraps them (no ragged breaks from the source)."""
    if text is None:
        return None
    return "\n\n".join(" ".join(part.split()) for part in _PARAGRAPH.split(text.strip()))


def tidy(command: Any) -> None:
    """Reflow the help of a command and of its subcommands, options and arguments."""
    command.help = reflow(command.help)
    for param in getattr(command, "params", []):
        if getattr(param, "help", None):
            param.help = reflow(param.help)
    for sub in getattr(command, "commands", {}).values():
        tidy(sub)


def _flag_type(self: TyperOption, ctx: Any) -> str | None:
    """A flag takes no value, so its help shows no type (Typer prints ``<bool>`` beside every flag)."""
    return None if self.is_flag else _typed(self, ctx)


_typed = TyperOption.display_type_rich


@dataclass(frozen=True)
class LazyCommand:
    """Where a command of the root group lives: ``module:attribute`` (a Typer app or a command function)."""

    module: str
    attribute: str
    short_help: str

    def load(self, name: str) -> Any:
        """Import the module and build the click command (a group for a Typer app)."""
        target = getattr(importlib.import_module(self.module), self.attribute)
        if isinstance(target, typer.Typer):
            command: Any = typer.main.get_group(target)
        else:
            command = typer.main.get_command_from_info(
                typer.models.CommandInfo(name=name, callback=target),
                pretty_exceptions_short=True,
                rich_markup_mode="rich",
            )
        tidy(command)
        return command


class LazyGroup(TyperGroup):
    """A Typer group whose subcommands named in ``lazy_commands`` are imported on first use."""

    lazy_commands: ClassVar[dict[str, LazyCommand]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in self.lazy_commands if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The loaded command, or for listings a stand-in carrying only the one-line help."""
        loaded = self.commands.get(cmd_name)
        if loaded is not None or cmd_name not in self.lazy_commands:
            return loaded
        return TyperCommand(name=cmd_name, help=self.lazy_commands[cmd_name].short_help, callback=None)

    def load_command(self, cmd_name: str) -> Any:
        """The real command, importing its module once."""
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            self.commands[cmd_name] = self.lazy_commands[cmd_name].load(cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args:
            self.load_command(args[0])
        return super().resolve_command(ctx, args)
