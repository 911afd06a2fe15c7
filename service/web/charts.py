"""Pictures drawn on the server as SVG: they need no script, print well and scale on a phone.

Every text that reaches the SVG is escaped here (labels and quotes are user data), and every link
is one of the site's own paths or an http(s) IRI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup, escape

from newsgraph.service.web.display import KIND_TITLES, FactRow

WIDTH, ROW, LEFT, RIGHT, TOP = 760, 26, 130, 16, 24
COLOURS = {"membership": "#1b6ca8", "arms-transfer": "#b3261e", "meeting": "#2e7d32", "agreement": "#7b4ea3",
           "statement": "#c26a00", "deployment": "#00796b", "military-action": "#5d4037",
           "founding": "#455a64"}


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None  # a dateTime's day is its first ten characters
    except ValueError:
        return None


def timeline(rows: list[FactRow], title: str) -> Markup:
    """One lane per fact kind; a fact is a dot on its day, or a bar from its earliest to its latest day
    when only bounds are known. Facts with no date at all are left out (the tables list them)."""
    dated = [(r, _day(r.earliest), _day(r.latest)) for r in rows]
    dated = [(r, a or b, b or a) for r, a, b in dated if a or b]
    if not dated:
        return Markup("")
    kinds = [k for k in KIND_TITLES if any(r.kind == k for r, _, _ in dated)]
    first = min(a for _, a, _ in dated).year
    last = max(b for _, _, b in dated).year
    if last - first < 2:
        first, last = max(1, first - 1), min(9999, last + 1)
    start, end = date(first, 1, 1), date(last, 12, 31)  # the axis covers whole years, within what dates hold
    span = (end - start).days + 1
    plot = WIDTH - LEFT - RIGHT
    height = TOP + ROW * len(kinds) + 28

    def x(d: date) -> float:
        return LEFT + plot * (d - start).days / span

    parts = [f'<svg class="timeline" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="tl-title" '
             f'xmlns="http://www.w3.org/2000/svg"><title id="tl-title">{escape(title)}</title>']
    step = max(1, round((last - first) / 10))
    for year in range(first, last + 1, step):
        xx = x(date(year, 1, 1))
        parts.append(f'<line x1="{xx:.1f}" y1="{TOP - 6}" x2="{xx:.1f}" y2="{height - 22}" class="grid"/>'
                     f'<text x="{xx:.1f}" y="{height - 8}" text-anchor="middle" class="axis">{year}</text>')
    for lane, kind in enumerate(kinds):
        y = TOP + lane * ROW + ROW / 2
        colour = COLOURS.get(kind, "#444")
        parts.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" class="lane">'
                     f'{escape(KIND_TITLES[kind])}</text>')
        for r, a, b in dated:
            if r.kind != kind:
                continue
            tip = escape(f"{r.date or r.latest}: {r.summary}")
            if a == b or (b - a).days < 3:
                shape = f'<circle cx="{x(a):.1f}" cy="{y:.1f}" r="5" fill="{colour}"/>'
            else:
                w = max(4.0, x(b) - x(a))
                shape = (f'<rect x="{x(a):.1f}" y="{y - 4:.1f}" width="{w:.1f}" height="8" rx="3" '
                         f'fill="{colour}" fill-opacity="0.45" stroke="{colour}"/>')
            link = escape(r.href or "")
            parts.append(f'<a href="{link}"><title>{tip}</title>{shape}</a>' if link else f"<g><title>{tip}</title>"
                         f"{shape}</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def facts_by_year(by_year: dict[int, dict[str, int]], title: str = "Facts by kind and year") -> Markup:
    """Stacked bars: one per year that has facts, coloured by kind, with a legend."""
    if not by_year:
        return Markup("")
    years = list(range(min(by_year), max(by_year) + 1))
    kinds = [k for k in KIND_TITLES if any(k in by_year.get(y, {}) for y in years)]
    top = max(sum(by_year.get(y, {}).values()) for y in years) or 1
    width, height, left, bottom, legend = 760, 260, 44, 28, 22
    plot_w, plot_h = width - left - 10, height - bottom - legend - 10
    bar = plot_w / len(years)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title" '
             f'xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{escape(title)}</title>']
    for frac in (0, 0.5, 1):
        y = legend + 10 + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{round(top * frac)}</text>')
    step = max(1, round(len(years) / 12))
    for i, year in enumerate(years):
        x = left + i * bar
        y = legend + 10 + plot_h
        for kind in kinds:
            n = by_year.get(year, {}).get(kind, 0)
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            parts.append(f'<rect x="{x + bar * 0.1:.1f}" y="{y:.1f}" width="{max(1.0, bar * 0.8):.1f}" '
                         f'height="{h:.1f}" fill="{COLOURS[kind]}"><title>{year}: {n} '
                         f'{escape(KIND_TITLES[kind].lower())}</title></rect>')
        if i % step == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 8}" text-anchor="middle" '
                         f'class="axis">{year}</text>')
    x = left
    for kind in kinds:
        parts.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{COLOURS[kind]}"/>'
                     f'<text x="{x + 14}" y="13" class="axis">{escape(KIND_TITLES[kind])}</text>')
        x += 14 + 7 * len(KIND_TITLES[kind]) + 14
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass
class Counterpart:
    label: str
    href: str | None
    facts: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


def counterparts(rows: list[FactRow], limit: int = 14) -> list[Counterpart]:
    """The entities an entity's facts name beside it, most often first (articles are not counterparts)."""
    found: dict[str, Counterpart] = {}
    for r in rows:
        for role in r.counterparts:
            href = role.entity.href
            if not href or not href.startswith("/id/") or href.startswith("/id/article/"):
                continue
            c = found.setdefault(href, Counterpart(role.entity.text, href))
            c.facts += 1
            c.kinds[r.kind or "fact"] = c.kinds.get(r.kind or "fact", 0) + 1
    return sorted(found.values(), key=lambda c: (-c.facts, c.label))[:limit]


def relations(center: str, others: list[Counterpart]) -> Markup:
    """The entity in the middle, its counterparts around it; a line's colour is the kind of fact that
    links them most often, its width how many facts do."""
    if not others:
        return Markup("")
    size, r_ring = 420, 150
    cx = cy = size / 2
    top = max(c.facts for c in others)
    parts = [f'<svg class="relations" viewBox="0 0 {size} {size}" role="img" aria-labelledby="rel-title" '
             f'xmlns="http://www.w3.org/2000/svg"><title id="rel-title">{escape(center)} and the entities its '
             f'facts name beside it</title>']
    nodes = []
    for i, c in enumerate(others):
        angle = 2 * math.pi * i / len(others) - math.pi / 2
        x, y = cx + r_ring * math.cos(angle), cy + r_ring * math.sin(angle)
        kind = max(c.kinds, key=lambda k: c.kinds[k])
        width = 1 + 4 * c.facts / top
        tip = escape(f"{c.label}: {c.facts} fact{'s' if c.facts > 1 else ''} — " + ", ".join(
            f"{n} {KIND_TITLES.get(k, k).lower()}" for k, n in sorted(c.kinds.items(), key=lambda kv: -kv[1])))
        parts.append(f'<line x1="{cx}" y1="{cy}" x2="{x:.1f}" y2="{y:.1f}" stroke="{COLOURS.get(kind, "#888")}" '
                     f'stroke-width="{width:.1f}" stroke-opacity="0.7"><title>{tip}</title></line>')
        anchor = "start" if math.cos(angle) > 0.3 else "end" if math.cos(angle) < -0.3 else "middle"
        dx = 10 if anchor == "start" else -10 if anchor == "end" else 0
        dy = 4 if anchor != "middle" else (-10 if math.sin(angle) < 0 else 18)
        nodes.append(f'<a href="{escape(c.href or "")}"><title>{tip}</title><circle cx="{x:.1f}" cy="{y:.1f}" r="6" '
                     f'class="node"/><text x="{x + dx:.1f}" y="{y + dy:.1f}" text-anchor="{anchor}" '
                     f'class="label">{escape(_short(c.label))}</text></a>')
    parts += nodes
    parts.append(f'<circle cx="{cx}" cy="{cy}" r="9" class="centre"/><text x="{cx}" y="{cy - 14}" '
                 f'text-anchor="middle" class="label centre-label">{escape(_short(center))}</text></svg>')
    return Markup("".join(parts))


def _short(text: str, n: int = 24) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
