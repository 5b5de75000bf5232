"""genomdb: the software of a national genome database."""

__version__ = "0.1.0"
