"""A realistic demo cohort: simulated genomes written as the files and manifests departments submit.

``generate_demo(out_dir)`` writes a synthetic GRCh38-shaped reference, per-sample gVCF/VCF files, reads
(FASTQ, CRAM) for a few samples and one submission manifest per department.
"""

from genomdb.demo.generate import DemoCohort, ExampleVariant, ProgressCallback, generate_demo
from genomdb.demo.regions import GenomicRegion, demo_regions

__all__ = ["DemoCohort", "ExampleVariant", "GenomicRegion", "ProgressCallback", "demo_regions", "generate_demo"]
