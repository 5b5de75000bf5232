"""Store URLs and credentials: what an S3 URL may say, and where secrets may never go."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from genomdb.config import Settings
from genomdb.errors import InvalidInput, Unavailable
from genomdb.storage.blobs import create_blob_store
from genomdb.storage.s3 import S3Credentials, parse_s3_url, part_size_for


def test_an_s3_url_names_bucket_prefix_and_endpoint() -> None:
    location = parse_s3_url("s3://genomes/archive/v1/?endpoint=http://127.0.0.1:7480&region=eu-north-1")
    assert (location.bucket, location.prefix, location.endpoint, location.region) == (
        "genomes",
        "archive/v1",
        "http://127.0.0.1:7480",
        "eu-north-1",
    )
    assert location.key("sha256", "ab", "x") == "archive/v1/sha256/ab/x"
    assert parse_s3_url(location.url()) == location
    assert parse_s3_url("s3://genomes").key("a") == "a"


@pytest.mark.parametrize(
    "url",
    [
        "s3://AKIDEXAMPLE:wJalrXUtnFEMIsecret@genomes/archive?endpoint=http://127.0.0.1:7480",
        "s3://genomes/archive?endpoint=http://127.0.0.1:7480&secret_key=wJalrXUtnFEMIsecret",
    ],
)
def test_a_url_carrying_credentials_is_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_s3_url(url)
    rendered = str(caught.value) + " ".join(str(p) for p in caught.value.problems)
    assert "wJalrXUtnFEMIsecret" not in rendered
    assert "AKIDEXAMPLE" not in rendered


def test_unknown_schemes_and_bad_buckets_are_refused() -> None:
    with pytest.raises(Unavailable, match="s3://bucket/prefix"):
        create_blob_store("ftp://example/x")
    with pytest.raises(InvalidInput):
        parse_s3_url("s3://ab/x")


def test_credentials_come_from_the_environment_and_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENOMDB_S3_ACCESS_KEY_ID", "AKIDFROMENV")
    monkeypatch.setenv("GENOMDB_S3_SECRET_ACCESS_KEY", "secret-from-env")
    settings = Settings()
    credentials = settings.s3_credentials()
    assert credentials.secret_access_key is not None
    assert credentials.secret_access_key.get_secret_value() == "secret-from-env"
    for shown in (repr(settings), str(settings), repr(credentials), settings.model_dump_json()):
        assert "secret-from-env" not in shown and "AKIDFROMENV" not in shown
    assert "hunter2" not in repr(S3Credentials(SecretStr("a"), SecretStr("hunter2")))


def test_part_sizes_keep_100_gb_files_within_the_part_limit() -> None:
    assert part_size_for(1) == 16 * 1024 * 1024
    for size in (10**9, 100 * 10**9, 5 * 10**12):
        part = part_size_for(size)
        assert -(-size // part) <= 9_000
        assert part % (16 * 1024 * 1024) == 0
