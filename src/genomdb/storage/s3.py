"""S3-compatible object storage (tested against Ceph RGW): where a bucket is, how to reach it, how to read it.

A store URL names only the place: ``s3://bucket/prefix?endpoint=http://host:port&region=…``. Credentials come
from the settings (``GENOMDB_S3_ACCESS_KEY_ID`` / ``GENOMDB_S3_SECRET_ACCESS_KEY``) or, when those are unset,
from boto3's usual chain (``AWS_*`` variables, ``~/.aws``); a URL carrying credentials is refused, so that they
never reach the catalog, a log line or an error message.

boto3 is the client (not s3fs): it is synchronous like the rest of genomdb, exposes multipart uploads part by part
(bounded memory, resumable uploads, presigned part URLs) and conditional writes, and has no pinned aiobotocore
pair to keep in step. DuckDB reads Parquet over S3 through :class:`genomdb.storage.objectfs.ObjectFileSystem`, a
small read-only fsspec filesystem over the same client.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlparse

from pydantic import SecretStr

from genomdb.errors import InvalidInput, NotFound, Problem, Unavailable

if TYPE_CHECKING:
    from collections.abc import Iterator

MIN_PART_BYTES = 16 * 1024 * 1024
"""Multipart part size for files up to ~150 GB; larger files get larger parts (S3 allows 10,000 parts)."""
MAX_PARTS = 9_000
_ALLOWED_QUERY = {"endpoint", "region", "addressing"}


@dataclass(frozen=True)
class S3Credentials:
    """Keys for the object store; never printed (``repr`` hides them)."""

    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None


@dataclass(frozen=True, slots=True)
class S3Location:
    """Where objects live: a bucket, a key prefix (no leading or trailing slash), and how to reach the service."""

    bucket: str
    prefix: str
    endpoint: str | None
    region: str
    path_style: bool

    def key(self, *parts: str) -> str:
        return "/".join(p.strip("/") for p in (self.prefix, *parts) if p.strip("/"))

    def url(self) -> str:
        """The URL without credentials (safe to print)."""
        query = []
        if self.endpoint:
            query.append(f"endpoint={self.endpoint}")
        if self.region != "us-east-1":
            query.append(f"region={self.region}")
        prefix = f"/{self.prefix}" if self.prefix else ""
        return f"s3://{self.bucket}{prefix}" + (f"?{'&'.join(query)}" if query else "")


def parse_s3_url(url: str) -> S3Location:
    """Parse ``s3://bucket/prefix?endpoint=…&region=…``; refuse credentials and unknown options."""
    parsed = urlparse(url)
    shown = url.split("?", 1)[0] if "@" not in url else "s3://…"
    problems = []
    if parsed.scheme != "s3":
        problems.append(Problem("store URL", "not an s3:// URL", expected="s3://bucket/prefix?endpoint=…", found=shown))
    if "@" in parsed.netloc or parsed.password or parsed.username:
        problems.append(
            Problem(
                "store URL",
                "credentials do not belong in a store URL (they would reach logs and the catalog)",
                expected="GENOMDB_S3_ACCESS_KEY_ID and GENOMDB_S3_SECRET_ACCESS_KEY in the environment",
            )
        )
    query = parse_qs(parsed.query, keep_blank_values=True)
    unknown = sorted(set(query) - _ALLOWED_QUERY)
    if unknown:
        problems.append(
            Problem(
                "store URL",
                "unknown option(s) " + ", ".join(unknown),
                expected="only " + ", ".join(sorted(_ALLOWED_QUERY)) + " (credentials come from the environment)",
            )
        )
    bucket = parsed.hostname or ""
    if not problems and not (3 <= len(bucket) <= 63):
        problems.append(Problem("store URL", "bucket name must be 3 to 63 characters", found=bucket or "(none)"))
    if problems:
        raise InvalidInput("cannot use this S3 store URL", problems)
    endpoint = query.get("endpoint", [None])[0]
    return S3Location(
        bucket=bucket,
        prefix=unquote(parsed.path).strip("/"),
        endpoint=endpoint or None,
        region=query.get("region", ["us-east-1"])[0] or "us-east-1",
        path_style=query.get("addressing", ["path"])[0] != "virtual",
    )


def create_s3_client(location: S3Location, credentials: S3Credentials | None = None) -> Any:
    """A boto3 S3 client for the location.

    Checksums are sent only when an operation requires them: recent botocore otherwise adds CRC32 trailers
    (``aws-chunked`` bodies) that several S3 servers reject, and genomdb keeps its own sha256 per object anyway.
    """
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:  # pragma: no cover - boto3 is a dependency
        raise Unavailable("the S3 store needs boto3: pip install boto3") from exc

    keys: dict[str, str] = {}
    if credentials is not None and credentials.access_key_id and credentials.secret_access_key:
        keys = {
            "aws_access_key_id": credentials.access_key_id.get_secret_value(),
            "aws_secret_access_key": credentials.secret_access_key.get_secret_value(),
        }
    config = Config(
        s3={"addressing_style": "path" if location.path_style else "virtual"},
        signature_version="s3v4",  # also for presigned URLs (botocore presigns SigV2 otherwise, which binds headers)
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"max_attempts": 5, "mode": "standard"},
        max_pool_connections=16,
        connect_timeout=10,
        read_timeout=120,
    )
    session = boto3.session.Session()
    return session.client("s3", endpoint_url=location.endpoint, region_name=location.region, config=config, **keys)


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


_HINTS = {
    "NoCredentialsError": "no credentials for the S3 store: set GENOMDB_S3_ACCESS_KEY_ID and "
    "GENOMDB_S3_SECRET_ACCESS_KEY (or boto3's AWS_* variables or ~/.aws)",
    "PartialCredentialsError": "incomplete credentials for the S3 store: set both GENOMDB_S3_ACCESS_KEY_ID and "
    "GENOMDB_S3_SECRET_ACCESS_KEY",
    "EndpointConnectionError": "the S3 endpoint did not answer: check the store URL's endpoint and that the gateway "
    "runs",
    "ConnectTimeoutError": "the S3 endpoint did not answer in time: check the store URL's endpoint and the network",
    "ReadTimeoutError": "the S3 endpoint stopped answering: try again, or check the gateway's health",
    "InvalidAccessKeyId": "the S3 store does not know this access key: check GENOMDB_S3_ACCESS_KEY_ID",
    "SignatureDoesNotMatch": "the S3 store refused the secret key: check GENOMDB_S3_SECRET_ACCESS_KEY",
    "AccessDenied": "the S3 store denied access: the key needs read and write rights on the bucket",
    "NoSuchBucket": "the bucket of the store URL does not exist: create it, or fix the store URL",
}


def object_store_error(exc: BaseException, store: str | None = None) -> Unavailable | None:
    """An error an operator can act on for an exception raised by the S3 client (boto3, botocore, s3transfer), or
    None for any other exception. Only the error's class and S3 code are used — never its text, which may quote
    a request — so no credential can reach the message."""
    kind = type(exc)
    if kind.__module__.split(".")[0] not in {"botocore", "boto3", "s3transfer"}:
        return None
    code = error_code(exc) or kind.__name__
    hint = _HINTS.get(code) or _HINTS.get(kind.__name__) or f"the S3 store failed ({code})"
    where = f" ({store})" if store else ""
    return Unavailable(f"object store{where}: {hint}; the command stopped there")


def is_missing(exc: BaseException) -> bool:
    return error_code(exc) in {"404", "NoSuchKey", "NotFound", "NoSuchUpload"}


def part_size_for(size: int) -> int:
    """A part size that keeps an upload of ``size`` bytes within S3's part-count limit."""
    needed = -(-size // MAX_PARTS)
    part = MIN_PART_BYTES
    while part < needed:
        part *= 2
    return part


class ObjectReader(io.RawIOBase):
    """A seekable, read-only view of one object: sequential reads stream one GET; a seek reopens at the new
    offset with a ranged GET. Every GET is pinned to the object's ETag, so a reader never mixes two versions."""

    def __init__(self, client: Any, bucket: str, key: str, *, size: int | None = None, etag: str | None = None):
        super().__init__()
        self._client, self._bucket, self._key = client, bucket, key
        if size is None or etag is None:
            try:
                head = client.head_object(Bucket=bucket, Key=key)
            except Exception as exc:
                if is_missing(exc):
                    raise NotFound(f"object {key} is not in bucket {bucket}") from exc
                raise
            size, etag = int(head["ContentLength"]), str(head["ETag"])
        self.size, self.etag = size, etag
        self._position = 0
        self._body: Any = None
        self._body_position = -1

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._position + offset
        else:
            target = self.size + offset
        self._position = max(0, target)
        return self._position

    def _open_at(self, position: int) -> None:
        self._close_body()
        response = self._client.get_object(
            Bucket=self._bucket, Key=self._key, Range=f"bytes={position}-", IfMatch=self.etag
        )
        self._body, self._body_position = response["Body"], position

    def _close_body(self) -> None:
        if self._body is not None:
            self._body.close()
        self._body, self._body_position = None, -1

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self.size - self._position)
        if wanted <= 0:
            return 0
        if self._body is None or self._body_position != self._position:
            self._open_at(self._position)
        data = self._body.read(wanted)
        n = len(data)
        buffer[:n] = data
        self._position += n
        self._body_position += n
        return n

    def read_range(self, start: int, length: int) -> bytes:
        """``length`` bytes from ``start`` in one ranged GET (for random access that should not stream on)."""
        if length <= 0 or start >= self.size:
            return b""
        end = min(self.size, start + length) - 1
        response = self._client.get_object(
            Bucket=self._bucket, Key=self._key, Range=f"bytes={start}-{end}", IfMatch=self.etag
        )
        return bytes(response["Body"].read())

    def close(self) -> None:
        self._close_body()
        super().close()


def iter_objects(client: Any, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    """Every object under a key prefix (``Key``, ``Size``, ``LastModified``, ``ETag``)."""
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", [])


def delete_keys(client: Any, bucket: str, keys: list[str]) -> None:
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True})
