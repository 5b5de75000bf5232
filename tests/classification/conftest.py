"""Fixtures of the national variant database tests: a small GRCh38-named reference and a clock that moves."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import pysam
import pytest

from genomdb.classification.database import ClassificationDatabase
from genomdb.instance import Instance

CHR19_LENGTH = 60_000
CHR13_LENGTH = 20_000
HOMOPOLYMER_START_1BASED = 1_001
"""chr19:1001-1010 is AAAAAAAAAA (a homopolymer for indel tests); chr19:1000 is C and chr19:1011 is G."""
DINUCLEOTIDE_START_1BASED = 2_001
"""chr19:2001-2008 is CACACACA; chr19:2000 is T and chr19:2009 is G."""


def synthetic_contig(length: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice("ACGT") for _ in range(length))


def chr19_sequence() -> str:
    bases = list(synthetic_contig(CHR19_LENGTH, seed=19))
    bases[999:1011] = "C" + "A" * 10 + "G"
    bases[1999:2009] = "T" + "CA" * 4 + "G"
    return "".join(bases)


def write_bgzf_fasta(path: Path, contigs: dict[str, str]) -> Path:
    """A bgzip-compressed, faidx-indexed FASTA (.fai and .gzi beside it)."""
    plain = path.with_suffix("")
    with plain.open("w") as out:
        for name, sequence in contigs.items():
            out.write(f">{name}\n")
            for start in range(0, len(sequence), 60):
                out.write(sequence[start : start + 60] + "\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    pysam.faidx(str(path))
    return path


@pytest.fixture(scope="session")
def reference_sequences() -> dict[str, str]:
    return {"chr13": synthetic_contig(CHR13_LENGTH, seed=13), "chr19": chr19_sequence()}


@pytest.fixture(scope="session")
def reference_fasta(tmp_path_factory: pytest.TempPathFactory, reference_sequences: dict[str, str]) -> Path:
    return write_bgzf_fasta(tmp_path_factory.mktemp("reference") / "GRCh38_test.fa.gz", reference_sequences)


class Clock:
    """Transaction time under the test's control: starts 2024-01-01 and moves only when told."""

    def __init__(self) -> None:
        self.now = dt.datetime(2024, 1, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, *, days: int = 0, hours: int = 0) -> dt.datetime:
        self.now += dt.timedelta(days=days, hours=hours)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def referenced(instance: Instance, reference_fasta: Path) -> Instance:
    """An instance (SQLite and PostgreSQL) with the test reference registered as GRCh38."""
    instance.add_reference("GRCh38", reference_fasta)
    return instance


@pytest.fixture
def database(referenced: Instance, clock: Clock) -> Iterator[ClassificationDatabase]:
    with ClassificationDatabase(referenced, clock=clock) as opened:
        yield opened


def snv(sequences: dict[str, str], chrom: str, pos_1based: int) -> str:
    """A valid SNV key at a position of the test reference."""
    ref = sequences[chrom][pos_1based - 1]
    alt = "G" if ref != "G" else "T"
    return f"{chrom}-{pos_1based}-{ref}-{alt}"
