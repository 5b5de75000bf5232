from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from genomdb.ingest.manifest import FileFormat
from genomdb.ingest.validators import FileExpectation, validate_file
from genomdb.storage.checksums import copy_with_checksums, stream_checksums


@pytest.mark.parametrize("size", [0, 1, 4096, 3 * 1024 + 17])
def test_stream_checksums_match_hashlib(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "blob"
    path.write_bytes(data)
    expected = (hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest(), size)
    assert stream_checksums(path, chunk_size=1024) == expected
    assert stream_checksums(path) == expected


def test_copy_with_checksums_copies_and_hashes_in_one_pass(tmp_path: Path) -> None:
    data = os.urandom(10_000)
    src, dst = tmp_path / "src.bin", tmp_path / "dst.bin"
    src.write_bytes(data)
    dst.write_bytes(b"old content that is longer than nothing")
    result = copy_with_checksums(src, dst, chunk_size=999)
    assert result == (hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest(), 10_000)
    assert dst.read_bytes() == data
    assert stream_checksums(dst) == result


def test_validate_file_reports_a_missing_file(tmp_path: Path) -> None:
    expectation = FileExpectation("f1", "gone.cram", FileFormat.CRAM)
    report = validate_file(tmp_path / "gone.cram", expectation, work_dir=tmp_path)
    assert [(p.file, p.message) for p in report.problems] == [("gone.cram", "file not found")]
