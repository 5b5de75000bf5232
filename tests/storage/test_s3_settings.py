"""Store URLs and credentials: what an S3 URL may say, and where secrets may never go."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from genomdb.access.records import Role
from genomdb.access.users import add_user
from genomdb.config import Settings
from genomdb.errors import InvalidInput, Unavailable
from genomdb.instance import Instance, init_instance
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


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("credentials", "said"),
    [
        ({}, "no credentials for the S3 store: set GENOMDB_S3_ACCESS_KEY_ID"),
        (
            {"GENOMDB_S3_ACCESS_KEY_ID": "AKIDEXAMPLE", "GENOMDB_S3_SECRET_ACCESS_KEY": "wJalrXUtnFEMIsecret"},
            "the S3 endpoint did not answer",
        ),
    ],
)
def test_an_unreachable_or_unauthenticated_store_is_an_error_to_act_on_not_a_traceback(
    tmp_path: Path, credentials: dict[str, str], said: str
) -> None:
    """The real boto3 client against a closed loopback port, through the CLI's one entry point."""
    home = tmp_path / "home"
    settings = Settings(home=home)
    init_instance(settings)
    with Instance.open(settings) as instance:
        add_user(instance, None, "steve", role=Role.STEWARD, department=None)
    store = f"s3://genomdb-test?endpoint=http://127.0.0.1:{_closed_port()}"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "GENOMDB_"))}
    env.update(
        {"GENOMDB_HOME": str(home), "GENOMDB_STORE_URL": store, "AWS_CONFIG_FILE": "/dev/null", "COLUMNS": "300"}
    )
    env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
    env.update(credentials)
    command = [sys.executable, "-c", "from genomdb.cli.app import main; main()", "store", "gc", "--as", "steve"]
    ran = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert ran.returncode == Unavailable.exit_code, ran.stderr
    assert said in " ".join(ran.stderr.split()) and store in ran.stderr
    assert "Traceback" not in ran.stderr and "wJalrXUtnFEMIsecret" not in ran.stderr + ran.stdout
