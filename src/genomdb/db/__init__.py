"""The persistence base every domain builds on: the declarative ``Base``, the database handle and the migration runner.

Nothing here knows a domain. Each domain owns ``tables.py`` (its rows), ``repository.py`` (the only code that touches
them) and ``migrations/`` (its own Alembic branch); :mod:`genomdb.db.migrations` finds those folders by looking.
"""
