"""Person-level catalog reads through the access policy: the service's side of
:mod:`genomdb.access.catalog_reads`, which the CLI calls too."""

from __future__ import annotations

from genomdb.access import catalog_reads
from genomdb.access.records import Actor
from genomdb.api.context import Caller, ServiceContext
from genomdb.errors import Unavailable
from genomdb.model.catalog import Person, SampleDetail, SampleSummary, SearchFilters


def _actor(caller: Caller) -> Actor:
    if caller.actor is None:
        raise Unavailable("a person-level read reached the service without an authenticated caller")
    return caller.actor


def search_samples(context: ServiceContext, caller: Caller, filters: SearchFilters) -> list[SampleSummary]:
    """Current samples matching the filters that the policy lets the caller see (each decision is audited)."""
    return catalog_reads.search_samples(context.instance, _actor(caller), filters, via="api")


def show_sample(context: ServiceContext, caller: Caller, key: str) -> SampleDetail:
    """One current sample (by ``SMP-…`` key or the department's id), when the policy allows it."""
    return catalog_reads.show_sample(context.instance, _actor(caller), key, via="api")


def show_person(context: ServiceContext, caller: Caller, pseudonym: str) -> tuple[Person, list[SampleSummary]]:
    """A person and those of their current samples the policy lets the caller see (at least one, else refused)."""
    return catalog_reads.show_person(context.instance, _actor(caller), pseudonym, via="api")
