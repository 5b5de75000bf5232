"""The national variant database: departments' ACMG/AMP classifications, their history, the national consensus,
conflict cases and recontact worklists. ``ClassificationDatabase`` (in ``database``) is the service; see
docs/classification.md."""
