"""Harmonisation: normalisation against the reference, genotype filters, callable blocks, sample QC and sex.

``genomdb.harmonize.run.harmonize(instance)`` is the service; the modules below it are its steps.
"""
