"""Allele frequency along the position, drawn as SVG on the server (log-scaled AF, one point per variant)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from genomdb.frequency.keys import GenomicInterval
from genomdb.frequency.records import FrequencyStatus, VariantFrequency
from genomdb.refdata.genes import Gene

WIDTH, HEIGHT = 960, 280
LEFT, RIGHT, TOP, BOTTOM = 60, 20, 16, 56
MIN_LOG_AF = -5


def _x(pos: int, interval: GenomicInterval) -> float:
    span = max(1, interval.end_1based - interval.start_1based)
    return LEFT + (pos - interval.start_1based) / span * (WIDTH - LEFT - RIGHT)


def _y(af: float) -> float:
    value = max(MIN_LOG_AF, math.log10(af)) if af > 0 else MIN_LOG_AF
    return TOP + (0 - value) / (0 - MIN_LOG_AF) * (HEIGHT - TOP - BOTTOM)


def frequency_plot(variants: Sequence[VariantFrequency], interval: GenomicInterval, gene: Gene | None = None) -> str:
    """An SVG of AF (log10, 1e-5 to 1) against position; variants whose counts the tier withholds as grey ticks on
    the axis (variants the tier does not reveal are not in ``variants`` at all)."""
    base = HEIGHT - BOTTOM
    parts = [
        f'<svg class="plot" viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="allele frequency along {escape(str(interval))}">',
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#889"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" stroke="#889"/>',
    ]
    for exponent in range(MIN_LOG_AF, 1):
        y = _y(10.0**exponent)
        parts.append(f'<line x1="{LEFT - 4}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#eef"/>')
        parts.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">1e{exponent}</text>')
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        pos = round(interval.start_1based + fraction * (interval.end_1based - interval.start_1based))
        x = _x(pos, interval)
        parts.append(f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle">{pos:,}</text>')
    parts.append(
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.0f}" y="{HEIGHT - 6}" text-anchor="middle">'
        f"{escape(interval.chrom)} position (GRCh38)</text>"
    )
    middle = (TOP + base) / 2
    parts.append(
        f'<text x="14" y="{middle:.0f}" transform="rotate(-90 14 {middle:.0f})" text-anchor="middle">'
        "allele frequency</text>"
    )
    if gene is not None:
        x1 = _x(max(gene.start_1based, interval.start_1based), interval)
        x2 = _x(min(gene.end_1based, interval.end_1based), interval)
        parts.append(f'<rect x="{x1:.1f}" y="{base + 22}" width="{max(1.0, x2 - x1):.1f}" height="6" fill="#c9d6e3"/>')
    for found in variants:
        v = found.variant
        x = _x(v.pos_1based, interval)
        af = found.total.allele_frequency
        href = escape(f"/variant/{v.key}")
        if found.status == FrequencyStatus.OBSERVED and af is not None:
            label = escape(f"{v.key}: AF {af:.3g}")
            parts.append(
                f'<a href="{href}"><circle class="observed" cx="{x:.1f}" cy="{_y(af):.1f}" r="3.5">'
                f"<title>{label}</title></circle></a>"
            )
        elif found.revealed:  # counts withheld at this tier: a tick on the axis
            label = escape(f"{v.key}: {found.message}")
            parts.append(
                f'<a href="{href}"><rect class="withheld" x="{x - 1:.1f}" y="{base - 8}" width="2" height="8">'
                f"<title>{label}</title></rect></a>"
            )
    parts.append("</svg>")
    return "".join(parts)


TRACK_HEIGHT = 90


def coverage_track(coverage: Sequence[tuple[int, int]], interval: GenomicInterval) -> str:
    """An SVG strip under the AF plot: callable individuals along the interval (a step line, same x scale)."""
    if not coverage:
        return ""
    top, base = 10, TRACK_HEIGHT - 20
    most = max(1, max(n for _, n in coverage))
    points = []
    for pos, n in coverage:
        y = base - n / most * (base - top)
        points.append(f"{_x(pos, interval):.1f},{y:.1f}")
    first_x, last_x = _x(coverage[0][0], interval), _x(coverage[-1][0], interval)
    area = f"{first_x:.1f},{base} " + " ".join(points) + f" {last_x:.1f},{base}"
    return (
        f'<svg class="plot coverage" viewBox="0 0 {WIDTH} {TRACK_HEIGHT}" xmlns="http://www.w3.org/2000/svg" '
        f'role="img" aria-label="callable individuals along {escape(str(interval))}">'
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#889"/>'
        f'<polygon points="{area}" fill="#c9d6e3" stroke="#0b5cad" stroke-width="1"/>'
        f'<text x="{LEFT - 8}" y="{top + 4}" text-anchor="end">{most:,}</text>'
        f'<text x="{LEFT - 8}" y="{base + 4}" text-anchor="end">0</text>'
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.0f}" y="{TRACK_HEIGHT - 4}" text-anchor="middle">'
        f"callable individuals (covered and passing filters) at {len(coverage)} positions</text></svg>"
    )
