"""Access control's published relation: the users table, read-only, for other domains' repositories to join to.

Data-out names a request's requester by user; it joins to this relation instead of importing access's ORM rows.
The same contract as :mod:`genomdb.catalog.relations`: read only, columns added and never renamed.
"""

from __future__ import annotations

from sqlalchemy import Table

from genomdb.access.tables import UserRow

users = UserRow.__table__
assert isinstance(users, Table)
