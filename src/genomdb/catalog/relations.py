"""The catalogue's published relations: read-only tables other domains' repositories may join to.

A domain's repository that must filter its own rows by catalogue facts (current samples, a person's pseudonym, a
department's code) joins to these relations in SQL instead of loading the catalogue into Python. They are the
catalogue's public, stable relational interface — like database views: other domains only read them, never insert,
update or delete, and never see the catalogue's ORM classes. Columns are added, never renamed or dropped, without a
migration of every reader.
"""

from __future__ import annotations

from sqlalchemy import Table

from genomdb.catalog import tables as _tables
from genomdb.db.base import Base


def _relation(row_class: type[Base]) -> Table:
    table = row_class.__table__
    assert isinstance(table, Table)
    return table


regions = _relation(_tables.RegionRow)
departments = _relation(_tables.DepartmentRow)
persons = _relation(_tables.PersonRow)
submissions = _relation(_tables.SubmissionRow)
submission_versions = _relation(_tables.SubmissionVersionRow)
samples = _relation(_tables.SampleRow)
runs = _relation(_tables.RunRow)
blobs = _relation(_tables.BlobRow)
files = _relation(_tables.FileRow)
file_samples = _relation(_tables.FileSampleRow)
analyses = _relation(_tables.AnalysisRow)
analysis_samples = _relation(_tables.AnalysisSampleRow)
analysis_files = _relation(_tables.AnalysisFileRow)
relationships = _relation(_tables.RelationshipRow)
