"""A read-only fsspec filesystem over genomdb's boto3 client, so that DuckDB reads Parquet straight from S3.

DuckDB's httpfs extension cannot be downloaded at run time here, and PyPI's ``duckdb-ext-httpfs`` has no build for
DuckDB 2.x, so the S3 reads go through ``con.register_filesystem(ObjectFileSystem(…))``: DuckDB then opens
``s3://bucket/key`` paths through it, and reads only the byte ranges it needs (Parquet footers, the row groups
that its filters keep) — each one ranged GET.
"""

from __future__ import annotations

from typing import Any

from fsspec.spec import AbstractBufferedFile, AbstractFileSystem

from genomdb.storage.s3 import is_missing


class ObjectFileSystem(AbstractFileSystem):  # type: ignore[misc]
    """``s3://bucket/key`` paths of one S3 service, read-only."""

    protocol = ("s3", "s3a")
    cachable = False

    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        text = str(path)
        for prefix in ("s3://", "s3a://"):
            if text.startswith(prefix):
                text = text[len(prefix) :]
        return text.rstrip("/")

    @staticmethod
    def _split(path: str) -> tuple[str, str]:
        bucket, _, key = path.partition("/")
        return bucket, key

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        path = self._strip_protocol(path)
        bucket, key = self._split(path)
        if key:
            try:
                head = self.client.head_object(Bucket=bucket, Key=key)
            except Exception as exc:
                if not is_missing(exc):
                    raise
            else:
                return {
                    "name": path,
                    "size": int(head["ContentLength"]),
                    "type": "file",
                    "ETag": head["ETag"],
                    "LastModified": head["LastModified"],
                }
        listed = self.client.list_objects_v2(Bucket=bucket, Prefix=key.rstrip("/") + "/" if key else "", MaxKeys=1)
        if listed.get("KeyCount", 0) or not key:
            return {"name": path, "size": 0, "type": "directory"}
        raise FileNotFoundError(path)

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        path = self._strip_protocol(path)
        bucket, key = self._split(path)
        prefix = key.rstrip("/") + "/" if key else ""
        entries: list[dict[str, Any]] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                entries.append({"name": f"{bucket}/{common['Prefix'].rstrip('/')}", "size": 0, "type": "directory"})
            for item in page.get("Contents", []):
                entries.append(
                    {
                        "name": f"{bucket}/{item['Key']}",
                        "size": int(item["Size"]),
                        "type": "file",
                        "LastModified": item["LastModified"],
                    }
                )
        if not entries:
            info = self.info(path)
            if info["type"] == "file":
                entries = [info]
            elif key:
                raise FileNotFoundError(path)
        return entries if detail else [e["name"] for e in entries]

    def cat_file(self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any) -> bytes:
        bucket, key = self._split(self._strip_protocol(path))
        arguments: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if start is not None or end is not None:
            first = start or 0
            if end is not None and end <= first:
                return b""
            arguments["Range"] = f"bytes={first}-" + ("" if end is None else str(end - 1))
        try:
            response = self.client.get_object(**arguments)
        except Exception as exc:
            if is_missing(exc):
                raise FileNotFoundError(path) from None
            raise
        return bytes(response["Body"].read())

    def modified(self, path: str) -> Any:
        return self.info(path)["LastModified"]

    def _open(self, path: str, mode: str = "rb", block_size: Any = None, **kwargs: Any) -> _ObjectFile:
        if mode != "rb":
            raise PermissionError(f"{path}: objects are written through the store, not opened for writing")
        return _ObjectFile(self, path, mode=mode, block_size=block_size or 4 * 1024 * 1024, cache_type="readahead")


class _ObjectFile(AbstractBufferedFile):  # type: ignore[misc]
    def _fetch_range(self, start: int, end: int) -> bytes:
        return self.fs.cat_file(self.path, start=start, end=end)  # type: ignore[no-any-return]
