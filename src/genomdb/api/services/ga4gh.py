"""GA4GH data access over the service: htsget tickets and their byte blocks, and DRS objects.

Thin wrappers around :mod:`genomdb.dataout.htsget` and :mod:`genomdb.dataout.drs`: every decision (and its audit
record) is the access policy's, taken inside those functions for the authenticated caller.
"""

from __future__ import annotations

from typing import Any

from genomdb import __version__
from genomdb.access.records import Actor
from genomdb.api.context import Caller, ServiceContext
from genomdb.dataout.block_grants import block_key, verify
from genomdb.dataout.drs import drs_object
from genomdb.dataout.htsget import READ_FORMATS, VARIANT_FORMATS, htsget_ticket, read_block
from genomdb.errors import InvalidInput, Problem, Unavailable

HTSGET_PREFIX = "/htsget"
"""Where the htsget routes are served; ticket and DRS block URLs are ``{service}{HTSGET_PREFIX}/blocks/{token}``."""
HTSGET_VERSION = "1.3.0"


def _actor(caller: Caller) -> Actor:
    if caller.actor is None:
        raise Unavailable("a GA4GH data read reached the service without an authenticated caller")
    return caller.actor


def htsget_base(service_url: str) -> str:
    """The base URL of the htsget routes for the service's own URL (``http://host:port/``)."""
    return service_url.rstrip("/") + HTSGET_PREFIX


def ticket(
    context: ServiceContext,
    caller: Caller,
    object_id: str,
    *,
    kind: str,
    reference_name: str | None,
    start: int | None,
    end: int | None,
    format: str | None,
    class_: str | None,
    encryption_scheme: str | None,
    service_url: str,
) -> dict[str, Any]:
    """An htsget 1.3 ticket whose byte ranges point back at this service's block route, with signed grants."""
    return htsget_ticket(
        context.instance,
        _actor(caller),
        object_id,
        kind=kind,
        reference_name=reference_name,
        start=start,
        end=end,
        format=format,
        class_=class_,
        encryption_scheme=encryption_scheme,
        base_url=htsget_base(service_url),
        lifetime_seconds=context.settings.block_url_seconds,
    )


def parse_range(header: str | None) -> tuple[int, int]:
    """``bytes=a-b`` (inclusive, as tickets give it) → (a, b + 1); InvalidInput otherwise."""
    text = (header or "").strip()
    first, dash, last = text.removeprefix("bytes=").partition("-")
    if not text.startswith("bytes=") or not dash or not first.isdigit() or not last.isdigit():
        message = "InvalidRange: a block is read with the ticket's header `Range: bytes=<first>-<last>`"
        raise InvalidInput(message, [Problem("htsget", message, field="Range", expected="bytes=a-b", found=header)])
    return int(first), int(last) + 1


def block(
    context: ServiceContext, caller: Caller, token: str, query: dict[str, str], range_header: str | None
) -> tuple[bytes, int, int]:
    """The bytes of a ticket's block URL, with the (first, last) byte positions they cover.

    The URL's signed grant is the credential; without a ``Range`` header the whole range it grants is read.
    """
    if range_header is None:
        grant = verify(block_key(context.instance), token, query)
        start, end_exclusive = grant.first, grant.last + 1
    else:
        start, end_exclusive = parse_range(range_header)
    data = read_block(context.instance, token, query, start, end_exclusive, presenter=caller.actor)
    return data, start, start + len(data) - 1


def service_info(context: ServiceContext, kind: str, *, service_url: str) -> dict[str, Any]:
    """GA4GH service-info of the htsget reads or variants endpoint, with the htsget capabilities object."""
    base = service_url.rstrip("/")
    return {
        "id": f"{context.settings.beacon_id.rsplit('.', 1)[0]}.htsget.{kind}",
        "name": f"genomdb htsget {kind}",
        "type": {"group": "org.ga4gh", "artifact": "htsget", "version": HTSGET_VERSION},
        "description": (
            f"{'Alignments' if kind == 'reads' else 'Variant calls'} of the national genome database by sample "
            "key, department sample id, research project id or file sha256, behind the access policy; "
            "encryptionScheme=C4GH seals the data for the caller's registered crypt4gh key"
        ),
        "organization": {"name": context.settings.organization_name, "url": f"{base}/"},
        "version": __version__,
        "environment": "prod",
        "documentationUrl": f"{base}/docs",
        "htsget": {
            "datatype": kind,
            "formats": list(READ_FORMATS if kind == "reads" else VARIANT_FORMATS),
            "fieldsParameterEffective": False,
            "tagsParametersEffective": False,
        },
    }


def drs(context: ServiceContext, caller: Caller, object_id: str, *, service_url: str, host: str) -> dict[str, Any]:
    """The DRS 1.x object of a stored file; its https access URL is the htsget block route."""
    return drs_object(
        context.instance,
        _actor(caller),
        object_id,
        base_url=htsget_base(service_url),
        host=host,
        lifetime_seconds=context.settings.block_url_seconds,
    )
