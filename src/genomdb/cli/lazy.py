"""Command groups registered by name and loaded when used, so ``genomdb --help`` imports no command module.

The root group knows each command's module, attribute and one-line help. Help listings show that line; only the
command that runs (or whose own ``--help`` is asked for) imports its module, and with it the heavy parts of the
package it needs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
import typer.main
import typer.models
from typer.core import TyperCommand, TyperGroup


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
            return typer.main.get_group(target)
        return typer.main.get_command_from_info(
            typer.models.CommandInfo(name=name, callback=target),
            pretty_exceptions_short=True,
            rich_markup_mode="rich",
        )


class LazyGroup(TyperGroup):
    """A Typer group whose subcommands named in ``lazy_commands`` are imported on first use."""

    lazy_commands: ClassVar[dict[str, LazyCommand]] = {}

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
