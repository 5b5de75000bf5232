"""What the root command learnt (the instance home), and how commands open the instance."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from genomdb.config import Settings
    from genomdb.instance import Instance


@dataclass
class CliState:
    home: Path | None = None

    def settings(self) -> Settings:
        from genomdb.config import Settings

        return Settings(home=self.home) if self.home is not None else Settings()

    def open(self) -> Instance:
        from genomdb.instance import Instance

        return Instance.open(self.settings())


state = CliState()
