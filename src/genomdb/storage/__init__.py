"""Blob storage behind a small interface: content addressed, atomic, optionally crypt4gh-encrypted."""

from genomdb.storage.blobs import BlobStore, GcReport, StagedBlob, create_blob_store

__all__ = ["BlobStore", "GcReport", "StagedBlob", "create_blob_store"]
