"""Inputs that could hang, bloat or mislead data-in, and CPR numbers in places the schema does not expect.

Each test is a regression test of issue 11: it failed on the code before the CPR guard and the input limits.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from genomdb.errors import InvalidInput
from genomdb.ingest.manifest import FileFormat, declared_department, parse_manifest
from genomdb.ingest.submit import SubmissionRejected, submit_manifest
from genomdb.ingest.validators import FileExpectation, validate_file
from genomdb.instance import Instance
from tests.identities import fake_cpr
from tests.ingest import formats_factory as ff
from tests.ingest.submission_kit import assert_only_rejection_recorded, make_kit, snapshot

CPR = fake_cpr(3, 11, 84, 2417)
CPR_DASHED = fake_cpr(3, 11, 84, 2417, dash=True)


def _no_digits(text: str) -> None:
    assert CPR not in text.replace("-", "").replace(" ", "")
    assert CPR_DASHED not in text


def _problems_text(exc: InvalidInput) -> str:
    return str(exc) + repr([p.to_dict() for p in exc.problems])


# --- manifests -------------------------------------------------------------------------------------------------


def test_yaml_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        previous = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size < 1000
    # in a child process limited to 1 GB of address space: the old code grew without end (2.6 GB after 40 s)
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from genomdb.errors import InvalidInput\n"
        "from genomdb.ingest.manifest import parse_manifest\n"
        "try:\n"
        "    parse_manifest(__import__('pathlib').Path(sys.argv[1]))\n"
        "except InvalidInput as exc:\n"
        "    print(exc.problems[0].message, '|', exc.problems[0].location)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "YAML aliases (*name) expand the manifest too much | whole file"


def test_aliases_as_pyyaml_writes_them_are_accepted(tmp_path: Path) -> None:
    kit = make_kit(tmp_path / "kit")
    kit.doc["analyses"][1]["samples"] = kit.doc["analyses"][0]["samples"]  # one list object, dumped once
    text = yaml.safe_dump(kit.doc, sort_keys=False)
    assert "&id001" in text and "*id001" in text
    kit.manifest.write_text(text)
    assert parse_manifest(kit.manifest).analyses[1].samples == kit.doc["analyses"][0]["samples"]


def test_manifest_read_for_its_department_then_changed_is_parsed_anew(tmp_path: Path) -> None:
    """The department read and the full parse share one parse of the same text, never of an older text."""
    kit = make_kit(tmp_path / "kit")
    kit.write()
    assert declared_department(kit.manifest) == "RH-KG"
    kit.doc["submitter"]["department"] = "RM-KG"
    kit.write()
    assert parse_manifest(kit.manifest).submitter.department == "RM-KG"
    assert declared_department(kit.manifest) == "RM-KG"
    kit.manifest.write_text(kit.manifest.read_text() + "  bad: [\n")
    assert declared_department(kit.manifest) is None
    with pytest.raises(InvalidInput, match="not valid YAML"):
        parse_manifest(kit.manifest)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &a [1, *a]\n", "refers to a value that contains it"),
        ("a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 40)), "nested too deeply"),
    ],
)
def test_recursive_and_deeply_chained_aliases_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInput) as caught:
        parse_manifest(path)
    assert message in caught.value.problems[0].message


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 100 + "]" * 100 + "\n")
    with pytest.raises(InvalidInput) as caught:
        parse_manifest(path)
    assert "nested too deeply" in caught.value.problems[0].message


def test_manifest_size_is_capped_naming_the_setting(tmp_path: Path) -> None:
    kit = make_kit(tmp_path / "kit")
    kit.doc["title"] = "x" * 100
    path = kit.write()
    with pytest.raises(InvalidInput) as caught:
        parse_manifest(path, max_bytes=1024)
    [problem] = caught.value.problems
    assert "GENOMDB_MANIFEST_MAX_BYTES" in (problem.expected or "") and "1,024" in (problem.expected or "")


def test_free_text_is_capped_naming_the_field_and_setting(tmp_path: Path) -> None:
    kit = make_kit(tmp_path / "kit")
    kit.doc["title"] = "t" * 5000
    kit.doc["samples"][0]["tissue"] = "b" * 2001
    with pytest.raises(InvalidInput) as caught:
        parse_manifest(kit.write())
    fields = {p.field: p for p in caught.value.problems}
    assert set(fields) == {"title", "samples[0].tissue"}
    assert "GENOMDB_MAX_TEXT_CHARS" in (fields["title"].expected or "")
    assert fields["title"].found == "5,000 characters"


@pytest.mark.parametrize("control", ["\x1b[2J", "\x00", "\u202e", "\x07", "\u2066"])
def test_control_characters_in_free_text_are_refused(tmp_path: Path, control: str) -> None:
    kit = make_kit(tmp_path / "kit")
    kit.doc["title"] = f"family {control}trio"
    kit.doc["runs"][0]["instrument"] = f"NovaSeq{control}"
    kit.manifest.write_text(yaml.safe_dump(kit.doc, sort_keys=False, allow_unicode=False))
    with pytest.raises(InvalidInput) as caught:
        parse_manifest(kit.manifest)
    assert {p.field for p in caught.value.problems} == {"title", "runs[0].instrument"}
    for problem in caught.value.problems:
        assert "control characters" in problem.message and control not in str(problem)


@pytest.mark.parametrize(
    ("where", "field"),
    [
        ("unknown_key", "submitter.{cpr}"),
        ("department", "submitter.department"),
        ("sample_individual", "samples[0].individual"),
        ("relative_individual", "individuals[1].relatives[0].individual"),
        ("title", "title"),
        ("pipeline", "analyses[0].pipeline.version"),
        ("path", "files[0].path"),
    ],
)
def test_cpr_anywhere_but_cpr_is_refused_without_echo(tmp_path: Path, where: str, field: str) -> None:
    kit = make_kit(tmp_path / "kit")
    doc = kit.doc
    text = f"ref {CPR_DASHED} x"
    if where == "unknown_key":
        doc["submitter"][CPR] = "x"
    elif where == "department":
        doc["submitter"]["department"] = CPR
    elif where == "sample_individual":
        doc["samples"][0]["individual"] = CPR
    elif where == "relative_individual":
        doc["individuals"][1]["relatives"][0]["individual"] = CPR_DASHED
    elif where == "title":
        doc["title"] = text
    elif where == "pipeline":
        doc["analyses"][0]["pipeline"]["version"] = text
    else:
        doc["files"][0]["path"] = f"{CPR}_R1.fastq.gz"
    with pytest.raises(InvalidInput) as caught:
        parse_manifest(kit.write())
    [problem] = caught.value.problems
    assert problem.field == field.format(cpr="••••••-••••")
    assert "CPR" in problem.message and problem.location is not None
    _no_digits(_problems_text(caught.value))


def test_rejection_of_a_cpr_department_stores_no_digits(instance: Instance, tmp_path: Path) -> None:
    kit = make_kit(tmp_path / "kit")
    kit.doc["submitter"]["department"] = CPR
    before = snapshot(instance)
    with pytest.raises(SubmissionRejected) as caught:
        submit_manifest(instance, kit.write())
    assert_only_rejection_recorded(before, snapshot(instance))
    _no_digits(_problems_text(caught.value))
    stored = instance.catalog.submission(caught.value.submission_id)
    _no_digits(repr(stored))


def test_reason_with_control_characters_is_refused(instance: Instance, tmp_path: Path) -> None:
    kit = make_kit(tmp_path / "kit")
    with pytest.raises(InvalidInput) as caught:
        submit_manifest(instance, kit.write(), corrects="SUB-X", reason="fix\x1b[31m")
    assert caught.value.problems[0].field == "--reason"


# --- file headers ----------------------------------------------------------------------------------------------


def _expect(name: str, fmt: FileFormat, *, samples: tuple[str, ...] = ("S1",), build: str | None = "GRCh38",
            fasta: Path | None = None, others: tuple[tuple[str, Path], ...] = ()) -> FileExpectation:  # fmt: skip
    return FileExpectation("f1", name, fmt, samples, build, fasta, other_references=others)


def test_vcf_header_line_with_a_cpr_rejects_the_file(tmp_path: Path, work_dir: Path) -> None:
    text = ff.vcf_text([ff.vcf_line("chr1", 100)], contigs=[("chr1", 248956422)])
    lines = text.splitlines()
    lines.insert(3, f"##comment=sample from patient {CPR_DASHED}")
    path = ff.write_vcf(tmp_path / "x.vcf.gz", [])
    plain = tmp_path / "x.vcf"
    plain.write_text("\n".join(lines) + "\n")
    import pysam

    pysam.tabix_compress(str(plain), str(path), force=True)
    report = validate_file(path, _expect("lab/x.vcf.gz", FileFormat.VCF), work_dir=work_dir)
    [problem] = report.problems
    assert (problem.file, problem.location, problem.field) == ("lab/x.vcf.gz", "line 4", "##comment")
    _no_digits(str(problem))


def test_bam_read_group_with_a_cpr_rejects_the_file(tmp_path: Path, work_dir: Path) -> None:
    path = ff.write_alignments(
        tmp_path / "a.bam",
        sq=ff.build_sq("GRCh38", with_md5=False),
        read_groups=({"ID": "rg1", "SM": "S1", "PL": "ILLUMINA", "DS": f"cpr {CPR}"},),
    )
    report = validate_file(path, _expect("a.bam", FileFormat.BAM), work_dir=work_dir)
    [problem] = report.problems
    assert problem.field == "@RG" and problem.location is not None and problem.location.startswith("SAM header line")
    _no_digits(str(problem))


def test_fastq_read_name_with_a_cpr_rejects_the_file(tmp_path: Path, work_dir: Path) -> None:
    records = ff.fastq_records(20)
    records[7] = (f"read8 patient={CPR}", records[7][1], records[7][2])
    path = ff.write_fastq(tmp_path / "r.fastq.gz", records)
    report = validate_file(path, _expect("r.fastq.gz", FileFormat.FASTQ, build=None), work_dir=work_dir)
    [problem] = report.problems
    assert (problem.location, problem.field) == ("line 29", "read header")
    _no_digits(str(problem))


def test_genomic_numbers_are_not_mistaken_for_cpr(tmp_path: Path, work_dir: Path) -> None:
    text = ff.vcf_text([ff.vcf_line("chr1", 100)], contigs=[("chr1", 248956422)])
    lines = text.splitlines()
    lines[1:1] = [
        "##fileDate=20261206",
        "##source=run 2026-12-06T21:10:40Z region chr19:11089362-11133820 n=12345678901",
        "##reference=sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
    ]
    plain = tmp_path / "x.vcf"
    plain.write_text("\n".join(lines) + "\n")
    import pysam

    path = tmp_path / "x.vcf.gz"
    pysam.tabix_compress(str(plain), str(path), force=True)
    report = validate_file(path, _expect("x.vcf.gz", FileFormat.VCF), work_dir=work_dir)
    assert report.ok, report.problems


# --- VCF headers that mislead ----------------------------------------------------------------------------------


def test_conflicting_duplicate_contig_lines_are_refused(tmp_path: Path, work_dir: Path) -> None:
    path = ff.write_vcf(
        tmp_path / "x.vcf.gz", [ff.vcf_line("chr1", 100)], contigs=[("chr1", 248956422), ("chr1", 249250621)]
    )
    report = validate_file(path, _expect("x.vcf.gz", FileFormat.VCF), work_dir=work_dir)
    [problem] = report.problems
    assert problem.field == "##contig" and "declared twice with different lengths" in problem.message
    assert problem.found == "length=248956422 and length=249250621"


def test_duplicate_chrom_line_is_named(tmp_path: Path, work_dir: Path) -> None:
    text = ff.vcf_text([ff.vcf_line("chr1", 100), ff.vcf_line("chr1", 200)], contigs=[("chr1", 248956422)])
    lines = text.splitlines()
    chrom_line = next(line for line in lines if line.startswith("#CHROM"))
    lines.insert(lines.index(chrom_line) + 2, chrom_line)
    plain = tmp_path / "x.vcf"
    plain.write_text("\n".join(lines) + "\n")
    import pysam

    path = tmp_path / "x.vcf.gz"
    pysam.tabix_compress(str(plain), str(path), force=True)
    report = validate_file(path, _expect("x.vcf.gz", FileFormat.VCF), work_dir=work_dir)
    [problem] = report.problems
    assert problem.field == "#CHROM" and "second #CHROM header line" in problem.message
    assert "POS is not a number" not in str(report.problems)


@pytest.fixture
def two_builds(tmp_path: Path) -> tuple[Path, Path]:
    """Stand-ins for the GRCh38 and GRCh37 FASTAs: same contig names, different sequence."""
    grch38 = ff.write_reference_fasta(tmp_path / "grch38.fa", {"chr1": 20_000, "chr2": 20_000}, seed=38)
    grch37 = ff.write_reference_fasta(tmp_path / "grch37.fa", {"chr1": 20_000, "chr2": 20_000}, seed=37)
    return grch38, grch37


def _thousand_genomes_style_vcf(path: Path, fasta: Path) -> Path:
    """A 1000 Genomes-style VCF (contigs ``1``, ``2`` without lengths) whose REF bases come from ``fasta``."""
    import pysam

    lines = []
    with pysam.FastaFile(str(fasta)) as reference:
        for chrom in ("1", "2"):
            for pos in range(50, 19_000, 61):
                ref = reference.fetch(f"chr{chrom}", pos - 1, pos).upper()
                lines.append(ff.vcf_line(chrom, pos, ref, "A" if ref != "A" else "T"))
    return ff.write_vcf(path, lines, contigs=[("1", None), ("2", None)])


def test_grch37_vcf_without_contig_lengths_is_found_out(
    tmp_path: Path, work_dir: Path, two_builds: tuple[Path, Path]
) -> None:
    grch38, grch37 = two_builds
    path = _thousand_genomes_style_vcf(tmp_path / "x.vcf.gz", grch37)
    expectation = _expect("x.vcf.gz", FileFormat.VCF, fasta=grch38, others=(("GRCh37", grch37),))
    report = validate_file(path, expectation, work_dir=work_dir)
    [problem] = report.problems
    assert problem.field == "REF" and "this looks like GRCh37" in problem.message
    found = re.search(r"GRCh38: (\d+) of (\d+); GRCh37: (\d+) of (\d+)", problem.found or "")
    assert found is not None, problem.found
    n38, of38, n37, of37 = map(int, found.groups())
    assert of38 == of37 >= 200 and n37 == of37 and n38 < 0.5 * of38

    same_build = validate_file(
        path, _expect("x.vcf.gz", FileFormat.VCF, build="GRCh38", fasta=grch37), work_dir=work_dir
    )
    assert same_build.ok, same_build.problems


def test_build_cannot_be_told_without_a_reference(
    tmp_path: Path, work_dir: Path, two_builds: tuple[Path, Path]
) -> None:
    path = _thousand_genomes_style_vcf(tmp_path / "x.vcf.gz", two_builds[1])
    report = validate_file(path, _expect("x.vcf.gz", FileFormat.VCF), work_dir=work_dir)
    [problem] = report.problems
    assert "no GRCh38 reference installed" in problem.message
    assert "genomdb reference add GRCh38" in (problem.expected or "")
