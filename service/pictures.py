"""Pictures drawn on the server as SVG: they need no script, print well and scale on a phone.

Every text that reaches the SVG is escaped here (labels and quotes are user data), and every link
is one of the site's own paths or an http(s) IRI.
"""

from __future__ import annotations

from datetime import date

from markupsafe import Markup, escape

from .views import KIND_TITLES, FactRow

WIDTH, ROW, LEFT, RIGHT, TOP = 760, 26, 130, 16, 24
COLOURS = {"membership": "#1b6ca8", "arms-transfer": "#b3261e", "meeting": "#2e7d32", "agreement": "#7b4ea3",
           "statement": "#c26a00", "deployment": "#00796b", "military-action": "#5d4037"}


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
