"""The data-out part of the demo, on an instance holding the demo cohort: a department fetches a CRAM slice of its
own patient, another region is refused and then allowed under a grant, a research project gets pseudonymised
data, and the audit log verifies. Returns the human-readable lines the demo prints."""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import io
import json
from pathlib import Path

import pysam

from genomdb.access.audit import AuditLog
from genomdb.access.grants import create_grant, revoke_grant
from genomdb.access.records import Actor, AuditFilters, CatalogQuery, GrantScope, NewGrant, Purpose, Role
from genomdb.access.repository import AccessRepository
from genomdb.access.users import add_user, register_key, resolve_actor
from genomdb.dataout.packages import fetch_package
from genomdb.dataout.records import CopyRequest
from genomdb.dataout.requests import request_copy
from genomdb.dataout.sealing import decrypt_for_recipient
from genomdb.errors import Forbidden, IntegrityError, NotFound
from genomdb.instance import Instance
from genomdb.model.catalog import SearchFilters

DEMO_DIR = "demo-dataout"
PANEL = ("LDLR",)
RESEARCH_PROJECT = "PRJ-DEMO-FH"


def _ensure_user(instance: Instance, admin: Actor, name: str, role: Role, department: str | None) -> Actor:
    if AccessRepository(instance.db).user(name) is None:
        add_user(instance, admin, name, role=role, department=department)
    return resolve_actor(instance, name)


def _keys(folder: Path, actor: Actor, instance: Instance, admin: Actor) -> bytes:
    """A crypt4gh key pair for a demo user (made once), registered as their delivery key; returns the secret key."""
    from crypt4gh.keys import c4gh, get_private_key

    secret, public = folder / f"{actor.username}.sec", folder / f"{actor.username}.pub"
    if not secret.exists():
        with contextlib.redirect_stderr(io.StringIO()):  # crypt4gh warns that the demo key has no passphrase
            c4gh.generate(str(secret), str(public), passphrase=b"", comment=actor.username.encode())
        secret.chmod(0o600)
    register_key(instance, admin, actor.username, public)
    with contextlib.redirect_stderr(io.StringIO()):
        return bytes(get_private_key(str(secret), lambda: ""))


def _open(instance: Instance, actor: Actor, request_id: str, target: Path, secret_key: bytes) -> dict[str, Path]:
    """Fetch a package and decrypt its parts; returns plaintext paths by name."""
    fetch_package(instance, actor, request_id, target)
    package = json.loads((target / "package.json").read_text())
    plain = target / "decrypted"
    plain.mkdir(exist_ok=True)
    found = {}
    for part in package["parts"]:
        name = part["name"].removesuffix(".c4gh")
        with (target / part["name"]).open("rb") as sealed, (plain / name).open("wb") as out:
            decrypt_for_recipient(sealed, out, secret_key=secret_key)
        found[name] = plain / name
    return found


def _text(path: Path) -> str:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def _verified(files: dict[str, Path]) -> int:
    manifest = json.loads(files["manifest.json"].read_text())
    checked = 0
    for entry in manifest["files"]:
        if hashlib.sha256(files[entry["name"]].read_bytes()).hexdigest() != entry["sha256"]:
            raise IntegrityError(f"{entry['name']} does not match the package manifest")
        checked += 1
    return checked


def _n_reads(path: Path, reference: Path | None) -> int:
    mode = "rc" if path.suffix == ".cram" else "rb"
    with pysam.AlignmentFile(str(path), mode, reference_filename=str(reference) if reference else None) as alignments:
        return sum(1 for _ in alignments.fetch(until_eof=True))


def run_dataout_demo(instance: Instance) -> list[str]:
    """Run the data-out demo on an instance holding the demo cohort; return what happened, line by line."""
    lines: list[str] = []
    repository = AccessRepository(instance.db)
    crams = instance.catalog.search(SearchFilters(file_format="CRAM", limit=1000))
    if not crams:
        raise NotFound("the data-out demo needs the demo cohort: run `genomdb demo` first")
    patient = crams[0]
    department = instance.catalog.department(patient.department)
    assert department is not None
    elsewhere = next(d for d in instance.catalog.departments() if d.region.code != department.region.code)

    if repository.n_users() == 0:
        add_user(instance, None, "admin", role=Role.ADMIN, department=None)
    admin = resolve_actor(instance, "admin")
    steward = _ensure_user(instance, admin, "steward", Role.STEWARD, None)
    clinician = _ensure_user(instance, admin, f"clinician-{department.code.lower()}", Role.CLINICIAN, department.code)
    outsider = _ensure_user(instance, admin, f"clinician-{elsewhere.code.lower()}", Role.CLINICIAN, elsewhere.code)
    researcher = _ensure_user(instance, admin, "researcher", Role.RESEARCHER, elsewhere.code)
    folder = instance.settings.resolved_home() / DEMO_DIR
    (folder / "keys").mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = {a.username: _keys(folder / "keys", a, instance, admin) for a in (clinician, outsider, researcher)}
    reference = instance.reference_fasta("GRCh38")
    lines.append(
        f"users: {clinician.username} ({department.code}, region {department.region.code}), "
        f"{outsider.username} ({elsewhere.code}, region {elsewhere.region.code}), {researcher.username}, "
        f"{steward.username}; delivery keys in {folder / 'keys'}"
    )

    # 1. a department reads its own patient's data: no grant needed
    request = CopyRequest(samples=(patient.sample_key,), panel=PANEL, formats=("CRAM",))
    own = request_copy(instance, clinician, request)
    files = _open(instance, clinician, own.request_id, folder / own.request_id, secret[clinician.username])
    cram = next(path for name, path in files.items() if name.endswith(".cram"))
    lines.append(
        f"✓ {clinician.username} fetched a CRAM slice (LDLR) of own patient {patient.pseudonym} "
        f"({patient.submitter_sample_id}): {_n_reads(cram, reference):,} reads, {_verified(files)} file(s) "
        f"verified against the package's sha256 manifest after crypt4gh decryption [rule own-department]"
    )

    # 2. another region is refused ...
    try:
        request_copy(instance, outsider, request)
        lines.append(f"✗ {outsider.username} was NOT refused: the policy is broken")
    except Forbidden as exc:
        lines.append(f"✓ {outsider.username} (region {elsewhere.region.code}) refused: {exc.message.split('. To')[0]}")

    # 3. ... until a steward records a grant for a treatment referral
    grant = create_grant(
        instance,
        steward,
        NewGrant(
            scope=GrantScope(samples=(patient.sample_key,)),
            purpose=Purpose.TREATMENT,
            reference="REF-DEMO-0001",
            legal_basis="Sundhedsloven § 42 a: referral for treatment to another region",
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=30),
            grantee_user=outsider.username,
        ),
    )
    granted = request_copy(instance, outsider, request)
    files = _open(instance, outsider, granted.request_id, folder / granted.request_id, secret[outsider.username])
    revoke_grant(instance, steward, grant.grant_id, reason="referral closed")
    lines.append(
        f"✓ after {steward.username} granted {grant.grant_id} (treatment referral REF-DEMO-0001, until "
        f"{grant.expires_at:%Y-%m-%d}), {outsider.username} fetched the same slice: {_verified(files)} file(s) "
        f"verified [rule grant]; the referral closed and the grant was revoked"
    )

    # 4. research: project pseudonyms, opt-outs left out
    research_grant = create_grant(
        instance,
        steward,
        NewGrant(
            scope=GrantScope(query=CatalogQuery(region=department.region.code, has_vcf=True)),
            purpose=Purpose.RESEARCH,
            reference="VEK-DEMO-2026-01",
            legal_basis="Komitéloven § 14: approved research project",
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=365),
            grantee_user=researcher.username,
            project=RESEARCH_PROJECT,
        ),
    )
    research = request_copy(
        instance,
        researcher,
        CopyRequest(grant_id=research_grant.grant_id, panel=PANEL, formats=("VCF", "GVCF")),
    )
    files = _open(instance, researcher, research.request_id, folder / research.request_id, secret[researcher.username])
    metadata = json.loads(files["metadata.json"].read_text())
    individuals = [i["id"] for i in metadata["beacon"]["individuals"]]
    in_scope = instance.catalog.samples_matching(
        SearchFilters(region=department.region.code, has_vcf=True, limit=1_000_000)
    )
    opted_out = {f.pseudonym for f in in_scope if f.research_opt_out}
    clinical = {f.pseudonym for f in in_scope} | {f.submitter_sample_id for f in in_scope}
    leaked = sorted(name for name, path in files.items() if any(c in _text(path) for c in clinical))
    mark = "✗" if leaked or len(individuals) != len({f.pseudonym for f in in_scope} - opted_out) else "✓"
    lines.append(
        f"{mark} {researcher.username} got project {RESEARCH_PROJECT} data under {research_grant.grant_id}: "
        f"{len(individuals)} individuals as project pseudonyms (e.g. {individuals[0]}), LDLR slices of "
        f"{sum(1 for n in files if n.endswith('.vcf.gz'))} VCF/gVCF files; {len(opted_out)} person(s) who opted "
        "out of research left out; "
        + (f"clinical identifiers found in {', '.join(leaked)}" if leaked else "no clinical identifier in any file")
    )

    # 5. the audit log: who saw this patient's data, and is the log intact?
    log = AuditLog(instance)
    seen = log.search(AuditFilters(person=patient.pseudonym, decision="allowed", action="read-data"))
    refused = log.search(AuditFilters(person=patient.pseudonym, decision="refused"))
    lines.append(
        f"✓ genomdb audit show --person {patient.pseudonym}: read by "
        + ", ".join(sorted({f"{e.actor} [{e.rule}]" for e in seen}))
        + f"; {len(refused)} refusal(s) recorded"
    )
    result = log.verify()
    if result.ok:
        lines.append(
            f"✓ genomdb audit verify: {result.n_entries} hash-chained entries intact, head {result.head_seq} "
            "matches the anchor outside the catalog"
        )
    else:
        lines.append("✗ genomdb audit verify failed: " + "; ".join(result.problems))
    return lines
