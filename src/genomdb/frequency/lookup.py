"""Look-ups in a release: variants, regions and genes, always through the disclosure engine.

A release's ``variants.arrow`` and its coverage layers (``coverage.arrow``, ``coverage-<n>.arrow``; their sum is
the callable-AN track, see :mod:`genomdb.frequency.coverage`) are uncompressed Arrow IPC files sorted by
position, one chromosome per record batch. :class:`ReleaseReader` memory-maps them and keeps only the first and
last position of each record batch in memory; a look-up is a binary search over those, then over the batch's
memory-mapped position column (``numpy.searchsorted``), so memory stays flat and a point look-up reads a few
pages. :class:`FrequencyDatabase` is the service API the CLI and the REST API call.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from genomdb.frequency.arrowfile import SortedArrowFile
from genomdb.frequency.disclosure import (
    POLICIES,
    ConcealmentKey,
    DisclosurePolicy,
    Tier,
    disclose,
    policies_with_public_floors,
    policy_for,
)
from genomdb.frequency.keys import (
    GenomicInterval,
    VariantKey,
    looks_like_interval,
    parse_interval,
    parse_variant_key,
)
from genomdb.frequency.manifest import ReleaseManifest, read_manifest
from genomdb.frequency.records import RawStratumCounts, RegionFrequencies, ReleaseInfo, VariantFrequency
from genomdb.frequency.strata import stratum_slug
from genomdb.instance import PSEUDONYM_KEY, Instance
from genomdb.refdata.genes import find_gene

GENE_MAX_LENGTH_BP = 3_000_000


class ReleaseReader:
    """Exact counts from one release folder (no disclosure control: internal to the frequency package)."""

    def __init__(self, path: Path, manifest: ReleaseManifest | None = None) -> None:
        self.path = path
        self.manifest = manifest or read_manifest(path)
        self.strata = self.manifest.strata
        self._slugs = tuple(stratum_slug(s) for s in self.strata)
        self._variants = SortedArrowFile(path / "variants.arrow", "pos")
        self._coverage = [
            SortedArrowFile(path / layer.files()[1], "start_1based") for layer in self.manifest.coverage_layers
        ]

    @property
    def release_id(self) -> str:
        return self.manifest.release_id

    def close(self) -> None:
        self._variants.close()
        for layer in self._coverage:
            layer.close()

    def coverage_at(self, chrom: str, pos: int) -> tuple[tuple[int, ...], int]:
        """AN per stratum and callable individuals at a position (zeros when not covered): the layers' sum."""
        an = [0] * len(self._slugs)
        individuals = 0
        for layer in self._coverage:
            found = layer.row_at_or_before(chrom, pos)
            if found is None:
                continue
            batch, row = found
            if int(batch.ints("end_1based")[row]) < pos:
                continue
            names = batch.record.schema.names
            for i, slug in enumerate(self._slugs):
                if f"an_{slug}" in names:
                    an[i] += int(batch.ints(f"an_{slug}")[row])
            individuals += int(batch.ints("callable_individuals")[row])
        return tuple(an), individuals

    def _counts(self, record: dict[str, Any]) -> list[RawStratumCounts]:
        return [
            RawStratumCounts(
                stratum,
                int(record[f"ac_{slug}"]),
                int(record[f"an_{slug}"]),
                int(record[f"nhomalt_{slug}"]),
                int(record[f"nhemi_{slug}"]),
            )
            for stratum, slug in zip(self.strata, self._slugs, strict=True)
        ]

    def _count_columns(self) -> list[str]:
        return [f"{m}_{slug}" for slug in self._slugs for m in ("ac", "an", "nhomalt", "nhemi")]

    def variant_counts(self, variant: VariantKey) -> tuple[list[RawStratumCounts], int]:
        """Exact counts of a variant (AC 0 in every stratum when the release has not observed it)."""
        columns = self._count_columns()
        an, individuals = self.coverage_at(variant.chrom, variant.pos_1based)
        for batch, start, stop in self._variants.rows_between(variant.chrom, variant.pos_1based, variant.pos_1based):
            refs, alts = batch.record.column("ref"), batch.record.column("alt")
            for row in range(start, stop):
                if refs[row].as_py() == variant.ref and alts[row].as_py() == variant.alt:
                    record = {c: batch.ints(c)[row] for c in columns}
                    return self._counts(record), individuals
        absent = [RawStratumCounts(stratum, 0, n, 0, 0) for stratum, n in zip(self.strata, an, strict=True)]
        return absent, individuals

    def region_counts(self, interval: GenomicInterval) -> Iterator[tuple[VariantKey, list[RawStratumCounts], int]]:
        """Every variant of the release starting inside the interval, with its exact counts."""
        columns = ["chrom", "pos", "ref", "alt", *self._count_columns()]
        for batch, start, stop in self._variants.rows_between(
            interval.chrom, interval.start_1based, interval.end_1based
        ):
            for record in batch.record.slice(start, stop - start).select(columns).to_pylist():
                variant = VariantKey(record["chrom"], int(record["pos"]), record["ref"], record["alt"])
                _, individuals = self.coverage_at(variant.chrom, variant.pos_1based)
                yield variant, self._counts(record), individuals


def concealment_key(instance: Instance) -> ConcealmentKey:
    """The instance's key for the floors of concealment, derived from its pseudonym secret (the same everywhere)."""
    secret = bytes.fromhex((instance.settings.resolved_secrets_dir() / PSEUDONYM_KEY).read_text().strip())
    return ConcealmentKey.derived_from(secret)


class FrequencyDatabase:
    """Frequency look-ups against one registered release (the newest unless ``release_id`` names one).

    Every answer passes through :func:`genomdb.frequency.disclosure.disclose` at the tier the caller gives;
    ``public`` is the default. Deciding who may ask for which tier is the caller's access policy. A region or
    gene lists only the variants its tier reveals; nothing else is handed out, so no surface can show more.
    """

    def __init__(self, instance: Instance, release_id: str | None = None) -> None:
        from genomdb.frequency.registered import open_release

        info, manifest = open_release(instance, release_id)
        self.release: ReleaseInfo = info
        self._reader = ReleaseReader(info.path, manifest)
        self._key: ConcealmentKey | None = concealment_key(instance)
        settings = instance.settings
        self._policies = policies_with_public_floors(
            settings.public_floor_center, settings.public_floor_scale, settings.public_floor_max
        )

    @classmethod
    def from_reader(
        cls, reader: ReleaseReader, release: ReleaseInfo, *, key: ConcealmentKey | None = None
    ) -> FrequencyDatabase:
        """A database over an already open reader (benchmarks and tests without a catalog; without ``key``
        every variant gets the highest floor of its tier's range)."""
        database = cls.__new__(cls)
        database.release = release
        database._reader = reader
        database._key = key
        database._policies = dict(POLICIES)
        return database

    def policy(self, tier: Tier | str) -> DisclosurePolicy:
        """The policy this database applies at a tier (the instance's public floors included)."""
        return self._policies[policy_for(tier).tier]

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> FrequencyDatabase:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def release_id(self) -> str:
        return self._reader.release_id

    @property
    def strata(self) -> tuple[str, ...]:
        return self._reader.strata

    def _disclose(
        self, variant: VariantKey, counts: Sequence[RawStratumCounts], individuals: int, policy: DisclosurePolicy
    ) -> VariantFrequency:
        return disclose(
            variant, counts, callable_individuals=individuals, release_id=self.release_id, policy=policy, key=self._key
        )

    def lookup_variant(self, key: str | VariantKey, tier: Tier | str = Tier.PUBLIC) -> VariantFrequency:
        """One variant (``chr19-11089362-G-A``): observed, not observed (with an upper bound) or not covered."""
        policy = self.policy(tier)
        variant = key if isinstance(key, VariantKey) else parse_variant_key(key)
        counts, individuals = self._reader.variant_counts(variant)
        return self._disclose(variant, counts, individuals, policy)

    def bulk_lookup(self, keys: Iterable[str | VariantKey], tier: Tier | str = Tier.PUBLIC) -> list[VariantFrequency]:
        """Many variants at once, in the order given; every key is parsed before any is looked up."""
        policy = self.policy(tier)
        variants = [k if isinstance(k, VariantKey) else parse_variant_key(k) for k in keys]
        return [self._disclose(v, *self._reader.variant_counts(v), policy) for v in variants]

    def lookup_region(self, region: str | GenomicInterval, tier: Tier | str = Tier.PUBLIC) -> RegionFrequencies:
        """Every variant starting inside a region (``chr19:11.08M-11.10M``, at most 5 Mb) that the tier reveals."""
        policy = self.policy(tier)
        interval = region if isinstance(region, GenomicInterval) else parse_interval(region)
        disclosed = (
            self._disclose(variant, counts, individuals, policy)
            for variant, counts, individuals in self._reader.region_counts(interval)
        )
        variants = tuple(found for found in disclosed if found.revealed)
        return RegionFrequencies(interval, self.release_id, policy.tier.value, variants)

    def callable_track(self, interval: GenomicInterval, *, n_points: int = 240) -> tuple[tuple[int, int], ...]:
        """(position, callable individuals) at ``n_points`` evenly spaced positions of ``interval``: the coverage
        track along a gene or region (the same count a "not observed among N" answer states at any tier)."""
        span = max(1, interval.end_1based - interval.start_1based)
        positions = sorted({interval.start_1based + round(i * span / max(1, n_points - 1)) for i in range(n_points)})
        return tuple((pos, self._reader.coverage_at(interval.chrom, pos)[1]) for pos in positions)

    def lookup_gene(self, symbol: str, tier: Tier | str = Tier.PUBLIC) -> RegionFrequencies:
        """Every variant inside a gene's GRCh38 span that the tier reveals."""
        gene = find_gene(symbol)
        found = self.lookup_region(GenomicInterval(gene.chrom, gene.start_1based, gene.end_1based), tier)
        return RegionFrequencies(found.interval, found.release_id, found.tier, found.variants, gene)

    def lookup(self, query: str, tier: Tier | str = Tier.PUBLIC) -> VariantFrequency | RegionFrequencies:
        """A variant key or a region, told apart by their syntax."""
        if looks_like_interval(query):
            return self.lookup_region(query, tier)
        return self.lookup_variant(query, tier)
