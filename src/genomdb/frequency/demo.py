"""The end of the demo: harmonise what was submitted, build a release and look up the demo's variants."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from genomdb.errors import Conflict
from genomdb.frequency.disclosure import Tier
from genomdb.frequency.lookup import FrequencyDatabase
from genomdb.frequency.publish import build_release, list_releases
from genomdb.frequency.records import BuildReport, RegionFrequencies, ReleaseInfo, VariantFrequency
from genomdb.ingest.progress import ProgressSink
from genomdb.instance import Instance

DEMO_GENE = "LDLR"


@dataclass(frozen=True, slots=True)
class DemoRelease:
    """The release the demo ended with, and example look-ups against it."""

    release: ReleaseInfo
    report: BuildReport | None
    """None when nothing had changed since the newest release, which is then the one shown."""
    variants: tuple[VariantFrequency, ...]
    gene: RegionFrequencies


def build_demo_release(
    instance: Instance,
    *,
    example_keys: Sequence[str] = (),
    tier: Tier | str = Tier.REGISTERED,
    progress: Callable[[str], ProgressSink] | None = None,
) -> DemoRelease:
    """Harmonise pending call files, build the next release (if anything changed) and look up examples.

    ``example_keys`` are variant keys to show (the demo cohort's ``example_variant_keys``); the demo also looks
    up LDLR by gene. Look-ups are disclosed at ``tier`` (registered: what a clinician sees). ``progress`` makes
    one sink per long step: ``progress("harmonise")`` (counts bytes read), ``progress("release")`` (counts steps).
    """
    from genomdb.harmonize.run import harmonize

    harmonize(instance, progress=progress("harmonise") if progress else None)
    report: BuildReport | None
    try:
        report = build_release(instance, progress=progress("release") if progress else None)
        release = report.release
    except Conflict:
        releases = list_releases(instance)
        if not releases:
            raise
        report, release = None, releases[-1]
    with FrequencyDatabase(instance, release.release_id) as database:
        variants = tuple(database.bulk_lookup(example_keys, tier))
        gene = database.lookup_gene(DEMO_GENE, tier)
    return DemoRelease(release, report, variants, gene)
