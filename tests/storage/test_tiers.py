"""The tier policy as data: loading and validating it, its decisions, its S3 lifecycle form, and the capacity plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from genomdb.errors import InvalidInput
from genomdb.model.catalog import StorageTier
from genomdb.storage.plan import ClassMeasure, capacity_plan
from genomdb.storage.tiers import CLASS_TAG, FILE_CLASSES, HELD, TierPolicy, TierSubject, load_policy, plan_moves

NOW = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def _subject(
    file_class: str, age_days: int, *, referral: bool = False, current: StorageTier = StorageTier.HOT
) -> TierSubject:
    return TierSubject(
        name=f"blob/{file_class}-{age_days}-{referral}",
        kind="blob",
        file_class=file_class,
        sha256="0" * 64,
        size=100,
        stored_at=NOW - dt.timedelta(days=age_days),
        active_referral=referral,
        current=current,
    )


def _packaged() -> dict[str, object]:
    text = (Path(__file__).resolve().parents[2] / "src/genomdb/storage/tiering/default.yaml").read_text()
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_packaged_policy_covers_every_class_and_both_tiers() -> None:
    policy = load_policy()
    assert set(policy.classes) == set(FILE_CLASSES)
    assert policy.storage_class(StorageTier.HOT) == "STANDARD" and policy.storage_class(StorageTier.COLD) == "COLD"
    assert policy.class_of_format("FASTQ") == "fastq"
    assert policy.class_of_format("CRAM") == policy.class_of_format("BAM") == "alignments"
    assert policy.class_of_format("GVCF") == "variant_calls"
    assert policy.class_of_format("TXT") is None


def test_rules_decide_by_age_and_referral() -> None:
    policy = load_policy()
    fastq_days = policy.classes["fastq"].hot_days
    cram_days = policy.classes["alignments"].hot_days
    assert fastq_days is not None and cram_days is not None
    assert policy.decide(_subject("fastq", fastq_days - 1), NOW) == StorageTier.HOT
    assert policy.decide(_subject("fastq", fastq_days), NOW) == StorageTier.COLD
    # FASTQ is not held by a referral; alignments are
    assert policy.decide(_subject("fastq", fastq_days, referral=True), NOW) == StorageTier.COLD
    assert policy.decide(_subject("alignments", cram_days + 1), NOW) == StorageTier.COLD
    assert policy.decide(_subject("alignments", cram_days + 1, referral=True), NOW) == StorageTier.HOT
    assert policy.decide(_subject("batches", 10_000), NOW) == StorageTier.HOT
    assert policy.tag_for(_subject("alignments", 1, referral=True)) == HELD
    assert policy.tag_for(_subject("alignments", 1)) == "alignments"


def test_age_moves_one_way_and_a_referral_thaws() -> None:
    policy = load_policy()
    young_but_cold = _subject("fastq", 1, current=StorageTier.COLD)  # put there by hand
    old_held = _subject("alignments", 400, referral=True, current=StorageTier.COLD)
    old = _subject("fastq", 400)
    moves = plan_moves(policy, [young_but_cold, old_held, old], NOW)
    assert [(m.subject.name, m.target) for m in moves] == [
        (old_held.name, StorageTier.HOT),
        (old.name, StorageTier.COLD),
    ]
    # with recorded tags, an untagged object that stays put still gets its tag written
    retag = plan_moves(policy, [young_but_cold], NOW, tags={})
    assert len(retag) == 1 and not retag[0].moves and retag[0].tag == "fastq"
    assert plan_moves(policy, [young_but_cold], NOW, tags={young_but_cold.name: "fastq"}) == []


def test_the_lifecycle_rules_match_the_policy() -> None:
    policy = load_policy()
    rules = {r["ID"]: r for r in policy.lifecycle("genomdb/prod")["Rules"]}
    expected = {n for n in FILE_CLASSES if policy.classes[n].hot_days is not None and n != "deliveries"}
    assert set(rules) == {f"genomdb-{policy.revision}-{n}" for n in expected}
    fastq = rules[f"genomdb-{policy.revision}-fastq"]
    assert fastq["Filter"]["And"] == {"Prefix": "genomdb/prod/sha256/", "Tags": [{"Key": CLASS_TAG, "Value": "fastq"}]}
    assert fastq["Transitions"] == [{"Days": policy.classes["fastq"].hot_days, "StorageClass": "COLD"}]


def test_a_site_policy_with_dataset_rules_gets_prefix_rules(tmp_path: Path) -> None:
    data = _packaged()
    data["classes"]["releases"]["hot_days"] = 400  # type: ignore[index]
    data["revision"] = "site-2"
    policy = load_policy(_write(tmp_path, data))
    (rule,) = [r for r in policy.lifecycle()["Rules"] if r["ID"].endswith("releases")]
    assert rule["Filter"] == {"Prefix": "frequency/releases/"}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda d: d["classes"]["variant_calls"]["formats"].append("CRAM"), "classes", "already in class alignments"),
        (lambda d: d["classes"].pop("deliveries"), "classes", "missing deliveries"),
        (lambda d: d["classes"].update(archive={"hot_days": 1}), "classes", "unknown archive"),
        (lambda d: d["tiers"].pop("cold"), "tiers", "missing cold"),
        (lambda d: d["tiers"]["cold"].update(storage_class="glacier tier"), "tiers.cold.storage_class", "pattern"),
        (lambda d: d["classes"]["fastq"].update(hot_days=-1), "classes.fastq.hot_days", "greater than or equal"),
        (lambda d: d["classes"]["batches"].update(formats=["VCF"]), "classes", "holds no catalog files"),
        (lambda d: d["classes"]["fastq"].update(hot_dayz=3), "classes.fastq.hot_dayz", "Extra inputs"),
    ],
)
def test_an_invalid_policy_is_refused_naming_file_and_field(
    tmp_path: Path, change: object, field: str, message: str
) -> None:
    data = _packaged()
    change(data)  # type: ignore[operator]
    path = _write(tmp_path, data)
    with pytest.raises(InvalidInput) as caught:
        load_policy(path)
    problems = caught.value.problems
    assert problems and all(p.file == str(path) for p in problems)
    assert any((p.field or "").startswith(field) and message in p.message for p in problems), problems


def test_a_policy_that_is_not_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("version: 1\ntiers: [unclosed\n")
    with pytest.raises(InvalidInput) as caught:
        load_policy(path)
    (problem,) = caught.value.problems
    assert problem.file == str(path) and problem.location and problem.location.startswith("line ")


def test_the_capacity_plan_scales_and_splits_as_stated() -> None:
    policy = TierPolicy.model_validate(_packaged())
    measures = [
        ClassMeasure("fastq", 3_000, 3),  # 1,000 B per genome at the measured depth
        ClassMeasure("variant_calls", 600, 3),  # 200 B per genome, not scaled
        ClassMeasure("releases", 300, 3),
    ]
    plan = capacity_plan(
        policy,
        measures,
        genomes=730,
        coverage=30.0,
        years=2,
        measured_coverage=10.0,
        coverage_source="test",
        referral_share=0.5,
        referral_source="test",
        n_instance_genomes=3,
    )
    assert plan.per_genome["fastq"] == pytest.approx(3_000.0)  # ×3 for 30× over 10×
    assert plan.per_genome["variant_calls"] == pytest.approx(200.0)
    assert plan.per_genome["alignments"] == 0.0
    first, second = plan.rows
    assert (first.genomes, second.genomes) == (365, 730)
    fastq_hot, fastq_cold = first.by_class["fastq"]
    assert fastq_hot == pytest.approx(365 * 3_000 * 30 / 365)  # the last 30 days' arrivals
    assert fastq_hot + fastq_cold == pytest.approx(365 * 3_000)
    # variant calls: hot for 365 days, and half of the rest held by referrals
    vc_hot2, _ = second.by_class["variant_calls"]
    assert vc_hot2 == pytest.approx(730 * 200 * (0.5 + 0.5 * 0.5))
    releases_hot, releases_cold = second.by_class["releases"]
    assert releases_hot == pytest.approx(730 * 100) and releases_cold == 0.0
    hot_price, cold_price = (
        policy.tiers[StorageTier.HOT].cost_per_tb_month,
        policy.tiers[StorageTier.COLD].cost_per_tb_month,
    )
    assert first.cost == pytest.approx(
        12 * (first.hot_bytes / 2 / 1e12 * hot_price + first.cold_bytes / 2 / 1e12 * cold_price)
    )
    text = " ".join(plan.assumptions)
    for needle in ("scaled ×3", "730 genomes", "50.0%", "cold after 30 d", "per TB-month"):
        assert needle in text, needle
