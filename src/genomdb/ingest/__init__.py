"""Data-in: manifest schema, one validator per format, stage → verify → commit, corrections."""
