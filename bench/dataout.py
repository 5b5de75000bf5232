"""Benchmark: data-out deliveries next to the peer tools on the same files, in the same run.

    python bench/dataout.py                      # 30x over the three 1 Mb demo regions
    python bench/dataout.py --region-length 200000 --depth 30

Simulates reads at the given depth over the demo regions (demo reference, numpy, compressed to CRAM by samtools),
submits the CRAM through data-in, then times, best of ``--repeat`` runs each:

1. a region slice (the LDLR, BRCA2 and CYP2C19 gene spans) delivered by ``genomdb out request --panel`` — policy
   decision and audit, pysam slice to CRAM with index, crypt4gh sealing for the recipient, metadata and manifest —
   next to ``samtools view -C -M --write-index`` of the same regions;
2. a whole-file delivery of the CRAM (verified against its checksum while it is sealed) next to
   ``crypt4gh encrypt`` of the same file;
3. the same whole-file delivery from a store that keeps blobs crypt4gh-encrypted, where only the header is
   re-encrypted for the recipient.

Prints seconds, MB/s (of the data delivered) and the ratios.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pysam
import yaml

from genomdb.access.records import Role
from genomdb.access.users import add_user, register_key, resolve_actor
from genomdb.config import Settings
from genomdb.dataout.assembly import package_dir
from genomdb.dataout.records import CopyRequest
from genomdb.dataout.requests import request_copy
from genomdb.demo.generate import generate_demo
from genomdb.ingest.submit import submit_manifest
from genomdb.instance import Instance, init_instance
from genomdb.refdata.genes import find_gene
from genomdb.storage.checksums import stream_checksums

READ_LENGTH = 150
PANEL = ("LDLR", "BRCA2", "CYP2C19")
SAMPLE = "RH-KG-B0001"
SYNTHETIC_CPR = f"{1:02d}{1:02d}{80:02d}{1238:04d}"
"""A made-up CPR-shaped number (built from parts so no identifier-like literal sits in the code)."""
_BASES = np.frombuffer(b"ACGT", dtype=np.uint8)


def simulate_cram(reference: Path, regions: list[tuple[str, int, int]], depth: float, out: Path, seed: int) -> Path:
    """Single-end reads at ``depth`` over each region (0.5% substitutions), streamed as SAM into samtools -> CRAM."""
    rng = np.random.default_rng(seed)
    fasta = pysam.FastaFile(str(reference))
    header = ["@HD\tVN:1.6\tSO:coordinate"]
    header += [f"@SQ\tSN:{n}\tLN:{length}" for n, length in zip(fasta.references, fasta.lengths, strict=True)]
    header.append(f"@RG\tID:{SAMPLE}-RUN1\tSM:{SAMPLE}\tPL:ILLUMINA\tLB:{SAMPLE}-LIB1")
    command = ["samtools", "view", "-C", "-T", str(reference), "--threads", "2", "-o", str(out), "-"]
    with subprocess.Popen(command, stdin=subprocess.PIPE) as samtools:
        assert samtools.stdin is not None
        samtools.stdin.write(("\n".join(header) + "\n").encode())
        for chrom, start, end in regions:
            sequence = np.frombuffer(fasta.fetch(chrom, start - 1, end).upper().encode(), dtype=np.uint8)
            n_reads = int(depth * len(sequence) / READ_LENGTH)
            offsets = np.sort(rng.integers(0, len(sequence) - READ_LENGTH, n_reads))
            for chunk_start in range(0, n_reads, 50_000):
                chunk = offsets[chunk_start : chunk_start + 50_000]
                reads = sequence[chunk[:, None] + np.arange(READ_LENGTH)]
                errors = rng.random(reads.shape) < 0.005
                reads = np.where(errors, _BASES[rng.integers(0, 4, reads.shape)], reads)
                quality = (33 + rng.integers(20, 41, reads.shape)).astype(np.uint8)
                flags = np.where(rng.random(len(chunk)) < 0.5, 16, 0)
                lines = [
                    f"{chrom}_{chunk_start + i}\t{flags[i]}\t{chrom}\t{start + int(offset)}\t60\t{READ_LENGTH}M\t*\t0"
                    f"\t0\t{reads[i].tobytes().decode()}\t{quality[i].tobytes().decode()}\tRG:Z:{SAMPLE}-RUN1"
                    for i, offset in enumerate(chunk)
                ]
                samtools.stdin.write(("\n".join(lines) + "\n").encode())
        samtools.stdin.close()
    fasta.close()
    subprocess.run(["samtools", "index", str(out)], check=True)
    return out


def manifest_for(cram: Path) -> Path:
    doc: dict[str, Any] = {
        "schema_version": 1,
        "submitter": {"department": "RH-KG"},
        "title": "data-out benchmark",
        "individuals": [{"id": "p1", "cpr": SYNTHETIC_CPR}],
        "samples": [{"id": SAMPLE, "individual": "p1"}],
        "files": [{"id": "cram", "path": cram.name, "format": "CRAM", "sha256": stream_checksums(cram)[0]}],
        "analyses": [
            {
                "id": "a1",
                "samples": [SAMPLE],
                "pipeline": {"name": "simulated", "version": "1"},
                "reference_build": "GRCh38",
                "outputs": ["cram"],
            }
        ],
    }
    path = cram.with_name("manifest.yaml")
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def best_of(repeat: int, run: Callable[[], Any]) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return min(timings)


def open_instance(home: Path, reference: Path, manifest: Path, public_key: Path, *, encrypt: bool) -> Instance:
    settings = Settings(home=home, encrypt_blobs=encrypt)
    init_instance(settings)
    instance = Instance.open(settings)
    instance.add_reference("GRCh38", reference)
    submit_manifest(instance, manifest)
    add_user(instance, None, "admin", role=Role.ADMIN, department=None)
    admin = resolve_actor(instance, "admin")
    add_user(instance, admin, "clinician", role=Role.CLINICIAN, department="RH-KG")
    register_key(instance, admin, "clinician", public_key)
    return instance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--region-length", type=int, default=1_000_000, help="bp of each demo region")
    parser.add_argument("--depth", type=float, default=30.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    args = parser.parse_args()
    for tool in ("samtools", "crypt4gh"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not on PATH (samtools: apt-get install samtools; crypt4gh: pip install crypt4gh)")

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.out) as scratch:
        work = Path(scratch)
        started = time.perf_counter()
        cohort = generate_demo(work / "demo", n_individuals=10, seed=args.seed, region_length_bp=args.region_length)
        regions = [(r.chrom, r.start_1based, r.end_1based) for r in cohort.regions]
        (work / "reads").mkdir()
        cram = simulate_cram(cohort.reference_fasta, regions, args.depth, work / "reads" / f"{SAMPLE}.cram", args.seed)
        size_mb = cram.stat().st_size / 1e6
        print(
            f"simulated {args.depth:g}x over {len(regions)} regions of {args.region_length:,} bp: "
            f"{size_mb:.1f} MB CRAM ({time.perf_counter() - started:.0f} s)"
        )

        from crypt4gh.keys import c4gh

        secret, public = work / "recipient.sec", work / "recipient.pub"
        c4gh.generate(str(secret), str(public), passphrase=b"", comment=b"bench")
        manifest = manifest_for(cram)
        started = time.perf_counter()
        plain = open_instance(work / "home", cohort.reference_fasta, manifest, public, encrypt=False)
        sealed = open_instance(work / "home-sealed", cohort.reference_fasta, manifest, public, encrypt=True)
        print(f"submitted through data-in into a plain and an encrypted store ({time.perf_counter() - started:.0f} s)")

        spans = [find_gene(symbol) for symbol in PANEL]
        region_args = [f"{g.chrom}:{g.start_1based}-{g.end_1based}" for g in spans]
        peer_slice = work / "peer-slice.cram"

        def samtools_slice() -> None:
            subprocess.run(
                [
                    "samtools",
                    "view",
                    "-C",
                    "-M",
                    "-T",
                    str(cohort.reference_fasta),
                    "--write-index",
                    "-o",
                    str(peer_slice),
                    str(cram),
                    *region_args,
                ],
                check=True,
            )

        last: dict[str, Any] = {}

        def deliver(instance: Instance, request: CopyRequest) -> Callable[[], None]:
            def run() -> None:
                state = request_copy(instance, resolve_actor(instance, "clinician"), request)
                last["bytes"] = sum(
                    p.stat().st_size for p in (package_dir(instance, state.request_id) / "parts").glob("*.cram.c4gh")
                )

            return run

        t_peer_slice = best_of(args.repeat, samtools_slice)
        slice_mb = peer_slice.stat().st_size / 1e6
        t_slice = best_of(args.repeat, deliver(plain, CopyRequest(samples=(SAMPLE,), panel=PANEL, formats=("CRAM",))))
        ours_slice_mb = last["bytes"] / 1e6

        peer_sealed = work / "peer.cram.c4gh"

        def crypt4gh_encrypt() -> None:
            with cram.open("rb") as source, peer_sealed.open("wb") as target:
                subprocess.run(
                    ["crypt4gh", "encrypt", "--recipient_pk", str(public)], stdin=source, stdout=target, check=True
                )

        t_peer_whole = best_of(args.repeat, crypt4gh_encrypt)
        whole = CopyRequest(samples=(SAMPLE,), formats=("CRAM",))
        t_whole = best_of(args.repeat, deliver(plain, whole))
        t_reseal = best_of(args.repeat, deliver(sealed, whole))
        plain.close()
        sealed.close()

    rows = [
        (f"samtools view -C -M of {len(PANEL)} gene spans", t_peer_slice, slice_mb),
        ("genomdb out request --panel (slice+seal)", t_slice, ours_slice_mb),
        ("crypt4gh encrypt, whole CRAM", t_peer_whole, size_mb),
        ("genomdb out request, whole CRAM", t_whole, size_mb),
        ("genomdb whole CRAM, encrypted store", t_reseal, size_mb),
    ]
    print(f"{'':46}{'seconds':>9}{'MB':>9}{'MB/s':>9}")
    for label, seconds, megabytes in rows:
        print(f"{label:46}{seconds:9.2f}{megabytes:9.1f}{megabytes / seconds:9.1f}")
    print(f"ratio slice delivery / samtools view -C:         {t_slice / t_peer_slice:.2f}x")
    print(f"ratio whole-file delivery / crypt4gh encrypt:    {t_whole / t_peer_whole:.2f}x")
    print(f"ratio header-only re-seal / crypt4gh encrypt:    {t_reseal / t_peer_whole:.2f}x")


if __name__ == "__main__":
    main()
