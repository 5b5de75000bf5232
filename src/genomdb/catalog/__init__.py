"""The metadata catalogue: the source of truth and the transaction log of the instance.

SQLAlchemy tables and Alembic migrations stay inside this package; everything outside sees domain records.
"""
