"""Demo cohort → submit → harmonise → release → look-ups and the CLI, on both catalog backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from genomdb.access.records import Role
from genomdb.access.users import add_user
from genomdb.db.embedded import read_only_catalog
from genomdb.demo import DemoCohort, generate_demo
from genomdb.demo.load import load_demo
from genomdb.errors import Conflict, NotFound
from genomdb.frequency.demo import build_demo_release
from genomdb.frequency.lookup import FrequencyDatabase
from genomdb.frequency.publish import build_release
from genomdb.frequency.records import FrequencyStatus
from genomdb.frequency.registry_embedded import registered_release
from genomdb.frequency.repository import frequency_release
from genomdb.instance import Instance

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoCohort:
    return generate_demo(
        tmp_path_factory.mktemp("demo"),
        n_individuals=16,
        seed=5,
        region_length_bp=100_000,
        n_read_samples=1,
        sex_chromosomes=True,
    )


class RecordingProgress:
    """A ProgressSink that keeps what the domain reported."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def begin(self, description: str, total: int) -> None:
        self.events.append(("begin", description, total))

    def advance(self, amount: int = 1, *, note: str | None = None) -> None:
        self.events.append(("advance", amount, note))

    def end(self) -> None:
        self.events.append(("end",))


def _cli(instance: Instance, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GENOMDB_HOME": str(instance.settings.resolved_home()), "COLUMNS": "200"}
    if instance.settings.database_url:
        env["GENOMDB_DATABASE_URL"] = instance.settings.database_url
    command = [sys.executable, "-c", "from genomdb.cli.app import main; main()", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def _split_probe(stdout: str) -> tuple[str, str]:
    """The command's JSON answer and the probe's last line (the modules it found)."""
    answer, _, last = stdout.rstrip("\n").rpartition("\n")
    return answer, last


def test_demo_to_release_to_lookups(instance: Instance, demo: DemoCohort, tmp_path: Path) -> None:
    load_demo(instance, demo)
    result = build_demo_release(instance, example_keys=demo.example_variant_keys, tier="controlled")
    release = result.release
    assert result.report is not None and release.n_samples > 0 and release.n_variants > 0
    assert {"all", "XX", "XY"} <= set(release.strata)
    assert [v.key for v in result.variants] == list(demo.example_variant_keys)
    truth = {e.key: e for e in demo.example_variants}
    for found in result.variants:
        assert found.status in (FrequencyStatus.OBSERVED, FrequencyStatus.NOT_OBSERVED), found.message
        assert 0 < (found.total.allele_number or 0) <= truth[found.key].allele_number
        if found.variant.ref != found.variant.alt and len(found.variant.ref) == len(found.variant.alt) == 1:
            assert (found.total.allele_count or 0) <= truth[found.key].allele_count
    assert result.gene.gene is not None and result.gene.variants
    rows = pq.read_table(release.path / "variants.parquet").to_pylist()
    assert any(r["nhemi_XY"] > 0 for r in rows if r["chrom"] == "chrX")

    with pytest.raises(Conflict, match="nothing changed"):
        build_release(instance)
    steps = RecordingProgress()
    full = build_release(instance, full=True, progress=steps).release
    assert steps.events[0][0] == "begin" and steps.events[-1] == ("end",)
    assert sum(e[1] for e in steps.events if e[0] == "advance") == steps.events[0][2]  # every step reported
    for name in ("variants.parquet", "coverage.parquet"):
        assert pq.read_table(full.path / name).equals(pq.read_table(release.path / name))

    common = next(v for v in result.variants if v.status is FrequencyStatus.OBSERVED)
    add_user(instance, None, "steve", role=Role.STEWARD, department=None)
    refused = _cli(instance, "freq", common.key, "--json", "--tier", "controlled")
    assert refused.returncode == 5 and not refused.stdout
    assert "--as USER or GENOMDB_USER" in " ".join(refused.stderr.split())  # the terminal wraps long errors
    shown = _cli(instance, "freq", common.key, "--json", "--tier", "controlled", "--as", "steve")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["strata"][0]["allele_count"] == common.total.allele_count
    table = _cli(instance, "freq", "--gene", "LDLR")
    assert table.returncode == 0 and "LDLR chr19:" in table.stdout and "tier public" in table.stdout
    tsv = _cli(
        instance,
        "freq",
        f"{common.variant.chrom}:{common.variant.pos_1based - 1000}-{common.variant.pos_1based + 1000}",
        "--tsv",
        "--tier",
        "controlled",
        "--as",
        "steve",
    )
    assert tsv.returncode == 0 and tsv.stdout.startswith("variant\ttier\tstratum\tstatus")
    assert common.key in tsv.stdout and "\tcontrolled\t" in tsv.stdout
    absent = _cli(instance, "freq", "chr19-58000000-A-G")
    assert absent.returncode == 0 and "position not covered" in absent.stdout
    bad = _cli(instance, "freq", "chr19-11089362-G")
    assert bad.returncode == 2 and "malformed variant key" in bad.stderr
    listed = _cli(instance, "release", "list")
    assert listed.returncode == 0 and release.release_id in listed.stdout and full.release_id in listed.stdout
    manifest = json.loads(_cli(instance, "release", "show", release.release_id, "--json").stdout)
    assert manifest["release_id"] == release.release_id and "samples" not in manifest
    diff = _cli(instance, "release", "diff", release.release_id)
    assert diff.returncode == 0 and "+0 / -0" in diff.stdout

    source = tmp_path / "query.vcf"
    lines = [
        f"{v.variant.chrom}\t{v.variant.pos_1based}\t.\t{v.variant.ref}\t{v.variant.alt}\t.\t.\t."
        for v in result.variants
    ]
    contigs = sorted({v.variant.chrom for v in result.variants})
    header = [
        "##fileformat=VCFv4.2",
        *(f"##contig=<ID={c}>" for c in contigs),
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    lines.sort(key=lambda line: (line.split("\t")[0], int(line.split("\t")[1])))
    source.write_text("\n".join(header + lines) + "\n")
    annotated = _cli(
        instance,
        "freq",
        "annotate",
        str(source),
        "-o",
        str(tmp_path / "out.vcf.gz"),
        "--tier",
        "registered",
        "--as",
        "steve",
    )
    assert annotated.returncode == 0, annotated.stderr
    assert (tmp_path / "out.vcf.gz.tbi").exists() and "tier registered" in annotated.stdout
    with FrequencyDatabase(instance) as database:
        assert database.release_id == full.release_id

    # The shell's look-up reads the registry without SQLAlchemy from an embedded catalog, with the same answers.
    home = instance.settings.resolved_home()
    with read_only_catalog(instance.settings.resolved_database_url()) as connection:
        if instance.settings.database_url:  # PostgreSQL: always the ordinary path
            assert connection is None
        else:
            assert connection is not None
            for which in (None, release.release_id, full.release_id):
                assert registered_release(connection, which, home=home) == frequency_release(
                    instance.db, which, home=home
                )
            with pytest.raises(NotFound, match="no frequency release GDB-NOPE"):
                registered_release(connection, "GDB-NOPE", home=home)
    probe = (
        "import json, sys\nfrom genomdb.cli.app import main\n"
        f"sys.argv = ['genomdb', 'freq', {common.key!r}, '--json']\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'duckdb', 'pysam'))))"
    )
    env = {**os.environ, "GENOMDB_HOME": str(home)}
    if instance.settings.database_url:
        env["GENOMDB_DATABASE_URL"] = instance.settings.database_url
    looked_up = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    answer, imported = _split_probe(looked_up.stdout)
    assert json.loads(answer)["release_id"] == full.release_id
    heavy = set(json.loads(imported))
    if instance.settings.database_url:
        assert "sqlalchemy" in heavy
    else:
        assert not heavy, heavy
