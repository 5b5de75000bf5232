"""The demo's CRAMs do not depend on where they are written (htslib embeds the reference's absolute path)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pysam
import pytest

from genomdb.demo.cram_header import _itf8, _read_itf8, rewrite_header

SEQUENCE = "ACGTTGCA" * 125


def _write(folder: Path) -> Path:
    folder.mkdir(parents=True)
    reference = folder / "ref.fa"
    reference.write_text(">chr1\n" + SEQUENCE + "\n")
    pysam.faidx(str(reference))
    md5 = hashlib.md5(SEQUENCE.encode()).hexdigest()
    header = pysam.AlignmentHeader.from_dict(
        {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "chr1", "LN": 1000, "M5": md5, "UR": "ref.fa"}]}
    )
    cram = folder / "reads.cram"
    with pysam.AlignmentFile(str(cram), "wc", header=header, reference_filename=str(reference)) as out:
        for start in range(0, 900, 30):
            segment = pysam.AlignedSegment(header)
            segment.query_name = f"read{start}"
            segment.reference_id, segment.reference_start, segment.mapping_quality = 0, start, 60
            segment.cigarstring = "50M"
            segment.query_sequence = SEQUENCE[start : start + 50]
            segment.query_qualities = pysam.qualitystring_to_array("I" * 50)
            out.write(segment)
    rewrite_header(cram, str(header))
    return cram


def test_the_same_reads_give_the_same_bytes_under_any_folder(tmp_path: Path) -> None:
    short = _write(tmp_path / "a")
    long = _write(tmp_path / ("b" * 60) / "deeper")
    assert short.read_bytes() == long.read_bytes()
    assert b"ref.fa" in short.read_bytes() and str(tmp_path).encode() not in short.read_bytes()


@pytest.mark.skipif(shutil.which("samtools") is None, reason="Debian samtools is the oracle")
def test_samtools_reads_the_rewritten_file(tmp_path: Path) -> None:
    cram = _write(tmp_path / "c")
    subprocess.run(["samtools", "quickcheck", "-v", str(cram)], check=True)
    header = subprocess.run(
        ["samtools", "view", "-H", "--no-PG", str(cram)], check=True, capture_output=True, text=True
    ).stdout
    assert "UR:ref.fa" in header
    count = subprocess.run(
        ["samtools", "view", "-c", "-T", str(tmp_path / "c" / "ref.fa"), str(cram)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert int(count) == 30


def test_itf8_round_trips() -> None:
    for value in (0, 127, 128, 16_383, 16_384, 2**21 - 1, 2**21, 2**28 - 1):
        assert _read_itf8(_itf8(value), 0) == (value, len(_itf8(value)))
