"""The national frequency database: releases, strata, FAF, disclosure control, look-ups and VCF annotation.

``FrequencyDatabase`` (look-ups) and ``build_release`` (publishing) are the entry points; see docs/frequency.md.
"""
