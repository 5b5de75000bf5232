"""Pharmacogenetics: allele definitions → diplotypes → phenotypes → CPIC recommendations (PharmCAT 3.x semantics).

Public entry points:

* ``calling.PgxCaller`` — built once per data version (``PgxCaller.load(settings.pgx_data)``); ``call_person`` and
  ``call_person_both`` (records alone vs with callable reference blocks) turn a person's evidence into a result.
* ``evidence`` — the input seam: ``PositionEvidence`` per allele-defining position, ``build_person_evidence`` from
  genotype calls and callable blocks (the variant store), ``PersonEvidence.without_blocks`` for PharmCAT's view.
* ``vcf.read_vcf_evidence`` — the same evidence from a VCF/gVCF file (GRCh38, ``chr`` names).
* ``outside_calls.parse_outside_calls`` — PharmCAT's outside-call TSV (CYP2D6, HLA-A, HLA-B, MT-RNR1, …).
* ``report`` — the schema-versioned JSON report and a PharmCAT-comparable ``.match.json``.
"""
