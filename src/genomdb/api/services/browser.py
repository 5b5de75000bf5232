"""What the variant browser's pages show: the search box's reading of a query, variant, gene and region pages.

Frequencies come from the frequency service at the caller's tier (so a page never shows more than the same
caller's API answer); the classification panel is shown to clinical roles and data stewards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from genomdb.access.policy import classification_roles
from genomdb.access.records import Action
from genomdb.access.tiers import highest_tier
from genomdb.api.context import Caller, ServiceContext
from genomdb.api.services import frequency
from genomdb.classification import service
from genomdb.classification.frequency_evidence import FrequencyObservation, FrequencySuggestion
from genomdb.classification.model import AssertionVersion, NationalView
from genomdb.errors import InvalidInput, NotFound, Problem
from genomdb.frequency.disclosure import Tier
from genomdb.frequency.keys import looks_like_interval, parse_interval, parse_variant_key
from genomdb.frequency.records import RegionFrequencies, ReleaseInfo, VariantFrequency
from genomdb.refdata.builds import get_build
from genomdb.refdata.genes import Gene, find_gene, grch38_genes

NEIGHBOUR_WINDOW_BP = 50_000
CLASSIFICATION_ROLES = classification_roles(Action.READ_CLASSIFICATIONS)
"""Who sees the classification panel: the access policy's readers of the national variant database."""
_VARIANT_LIKE = re.compile(r"^\s*[A-Za-z0-9]+[-:_]\d+[-:_][A-Za-z]")
_GENE_LIKE = re.compile(r"^\s*[A-Za-z][A-Za-z0-9-]{0,19}\s*$")
ACCEPTED = "a variant (chr19-11089362-G-A), a region (chr19:11080000-11100000) or a gene symbol (LDLR)"


@dataclass(frozen=True, slots=True)
class Understood:
    """How the search box read a query, and the page that answers it."""

    kind: str
    """``variant``, ``region`` or ``gene``."""
    canonical: str
    path: str
    description: str


def interpret_query(text: str) -> Understood:
    """Read a query as a variant key, a region or a gene symbol; InvalidInput/NotFound say what was not understood."""
    query = text.strip()
    if not query:
        raise InvalidInput("nothing to search for", [Problem("search", "empty query", expected=ACCEPTED)])
    if _VARIANT_LIKE.match(query) and not looks_like_interval(query):
        variant = parse_variant_key(query)
        return Understood(
            "variant", variant.key, f"/variant/{variant.key}", f"variant {variant.key} (GRCh38, VCF position)"
        )
    if looks_like_interval(query):
        interval = parse_interval(query)
        return Understood(
            "region",
            str(interval),
            f"/region/{interval}",
            f"region {interval} (GRCh38, 1-based, inclusive: {interval.length_bp:,} bp)",
        )
    if _GENE_LIKE.match(query):
        gene = find_gene(query)
        return Understood(
            "gene",
            gene.symbol,
            f"/gene/{gene.symbol}",
            f"gene {gene.symbol} ({gene.chrom}:{gene.start_1based:,}-{gene.end_1based:,}, {gene.strand} strand)",
        )
    raise InvalidInput(
        f"cannot read {query!r}", [Problem("search", "not a variant, region or gene", expected=ACCEPTED, found=query)]
    )


@dataclass(frozen=True, slots=True)
class ClassificationPanel:
    """The national variant database's view of a variant, for clinical users."""

    view: NationalView
    history: tuple[AssertionVersion, ...]
    regions: dict[str, str]
    """Department code → its region's code."""
    observation: FrequencyObservation | None = None
    """The national frequency the suggestions rest on (None when the release does not cover the variant)."""
    suggestions: tuple[FrequencySuggestion, ...] = ()
    """BA1/BS1/PM2 the national frequency supports: a suggestion to the classifier, never applied."""


@dataclass(frozen=True, slots=True)
class VariantPage:
    frequency: VariantFrequency
    release: ReleaseInfo
    genes: tuple[Gene, ...]
    previous: VariantFrequency | None
    next: VariantFrequency | None
    classification: ClassificationPanel | None
    classification_note: str
    understood: Understood | None = None


@dataclass(frozen=True, slots=True)
class RegionPage:
    frequencies: RegionFrequencies
    release: ReleaseInfo
    understood: Understood | None = None
    coverage: tuple[tuple[int, int], ...] = ()
    """(position, callable individuals) along the interval."""


def _genes_at(chrom: str, pos_1based: int) -> tuple[Gene, ...]:
    return tuple(
        g for g in grch38_genes().values() if g.chrom == chrom and g.start_1based <= pos_1based <= g.end_1based
    )


def _classification(
    context: ServiceContext, caller: Caller, key: str, *, gene: str | None = None
) -> tuple[ClassificationPanel | None, str]:
    if caller.role not in CLASSIFICATION_ROLES:
        return None, "Classifications from the national variant database are shown to clinical users: log in."
    regions = {d.code: d.region.code for d in context.instance.catalog.departments()}
    try:
        view = service.national_view(context.instance, key)
        history = tuple(service.history(context.instance, key))
        observation: FrequencyObservation | None = None
        suggestions: tuple[FrequencySuggestion, ...] = ()
        if highest_tier(caller.role) is Tier.CONTROLLED:  # the evidence rests on controlled-tier counts
            evidence = service.frequency_evidence(context.instance, key, gene=gene)
            observation, suggestions = evidence.observation, evidence.suggestions
    except (InvalidInput, NotFound) as exc:
        return None, f"The national variant database cannot look this variant up: {exc.message}"
    return ClassificationPanel(view, history, regions, observation, suggestions), ""


def _reading(query: str | None) -> Understood | None:
    """How the search box read the query that led to a page (None when the page was opened directly)."""
    if not query:
        return None
    try:
        return interpret_query(query)
    except (InvalidInput, NotFound):
        return None


def variant_page(
    context: ServiceContext, caller: Caller, key: str, *, release: str | None = None, query: str | None = None
) -> VariantPage:
    """A variant's frequencies by stratum, its release, its neighbours and (for clinical roles) classifications."""
    found = frequency.lookup_variant(context, caller, key, release=release)
    variant = found.variant
    database = context.releases.database(found.release_id)
    contig = get_build("GRCh38").contig(variant.chrom)
    length = contig.length if contig is not None else variant.pos_1based
    low = max(1, variant.pos_1based - NEIGHBOUR_WINDOW_BP)
    high = min(length, variant.pos_1based + NEIGHBOUR_WINDOW_BP)
    around = database.lookup_region(f"{variant.chrom}:{low}-{high}", caller.tier()).variants
    before = [v for v in around if v.variant < variant]
    after = [v for v in around if v.variant > variant]
    genes = _genes_at(variant.chrom, variant.pos_1based)
    panel, note = _classification(context, caller, variant.key, gene=genes[0].symbol if genes else None)
    return VariantPage(
        frequency=found,
        release=context.releases.info(found.release_id),
        genes=genes,
        previous=before[-1] if before else None,
        next=after[0] if after else None,
        classification=panel,
        classification_note=note,
        understood=_reading(query),
    )


def region_page(
    context: ServiceContext, caller: Caller, region: str, *, release: str | None = None, query: str | None = None
) -> RegionPage:
    """Every variant of a region, for the table, the plot and the CSV."""
    found = frequency.lookup_region(context, caller, region, release=release)
    return RegionPage(found, context.releases.info(found.release_id), _reading(query))


def gene_page(
    context: ServiceContext, caller: Caller, symbol: str, *, release: str | None = None, query: str | None = None
) -> RegionPage:
    """Every variant of a gene, for the table, the plot and the CSV."""
    found = frequency.lookup_gene(context, caller, symbol, release=release)
    coverage = context.releases.database(found.release_id).callable_track(found.interval)
    return RegionPage(found, context.releases.info(found.release_id), _reading(query), coverage)


def home(context: ServiceContext, caller: Caller) -> list[ReleaseInfo]:
    """What the front page says about the releases."""
    return context.releases.releases()


def login(context: ServiceContext, caller: Caller, token: str) -> Caller:
    """The caller a login token stands for; Unauthenticated/Forbidden when it does not verify."""
    actor = context.authenticator.actor(token.strip())
    return context.caller(actor, caller.client)
