"""The variant store: immutable Parquet batches of calls and callable blocks, registered in the catalog.

``layout`` is the on-disk contract (docs/variant-store.md), ``store`` writes and reads batches, ``cohort`` tells
the frequency database which harmonised sample versions exist, ``records`` holds the domain records.
"""
