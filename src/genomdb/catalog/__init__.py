"""The metadata catalogue: persons (by pseudonym), samples, runs, files, blobs, submissions and their versions, events.

It is the source of truth and the transaction log of the instance. Its tables and Alembic branch stay inside this
package; other domains read it through :class:`genomdb.catalog.repository.Catalog` and join to the read-only
relations in :mod:`genomdb.catalog.relations`.
"""
