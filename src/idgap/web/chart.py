"""The gap trend as an inline SVG line chart, drawn on the server (no JavaScript, no CDN)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from idgap.web.labels import count

WIDTH, HEIGHT = 640, 200
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 12, 12, 28


@dataclass(frozen=True)
class TrendPoint:
    day: dt.date
    pct_unresolved: float
    unresolved: int
    amount_at_stake: float | None = None


def nice_ceiling(value: float) -> float:
    """The axis top: 10, 20, 25, 50 or 100 (times a power of ten) — the smallest that holds it."""
    scale = 1.0
    while value > 100.0 * scale:
        scale *= 10.0
    for top in (10.0, 20.0, 25.0, 50.0, 100.0):
        if value <= top * scale:
            return top * scale
    return float(math.ceil(value / 10.0) * 10)


def _x(i: int, n: int) -> float:
    span = WIDTH - PAD_LEFT - PAD_RIGHT
    return PAD_LEFT + (span * i / (n - 1) if n > 1 else span / 2)


def _y(pct: float, top: float) -> float:
    span = HEIGHT - PAD_TOP - PAD_BOTTOM
    return PAD_TOP + span * (1 - min(pct, top) / top)


def _grid(top: float, unit: str = "%") -> list[str]:
    parts = []
    for k in range(5):
        value = top * k / 4
        y = _y(value, top)
        text = f"{value:g} %" if unit == "%" else f"{value:,.0f}"
        parts.append(
            f'<line class="grid" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" '
            f'y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(text)}</text>"
        )
    return parts


def _x_labels(points: Sequence[TrendPoint]) -> list[str]:
    n = len(points)
    picks = sorted({0, n // 2, n - 1}) if n > 2 else list(range(n))
    y = HEIGHT - 8

    def anchor(i: int) -> str:  # the first and last labels stay inside the chart
        return "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"

    return [
        f'<text class="axis" x="{_x(i, n):.1f}" y="{y}" text-anchor="{anchor(i)}">'
        f"{points[i].day.strftime('%d/%m/%y')}</text>"
        for i in picks
    ]


def trend_svg(points: Sequence[TrendPoint]) -> Markup:
    """A line of % unresolved per day; an explanatory text when no lead is selected."""
    if not points:
        return Markup(
            '<p class="muted">No hay leads con estos filtros: no hay evolución que mostrar.</p>'
        )
    last = points[-1]
    label = (
        f"Evolución del porcentaje de leads sin resolver: {count(len(points), 'day')}, "
        f"último {last.pct_unresolved:.1f} % el {last.day.strftime('%d/%m/%Y')}"
    )
    return _line_svg(
        points,
        [p.pct_unresolved for p in points],
        [f"{p.pct_unresolved:.1f} % sin resolver ({count(p.unresolved, 'lead')})" for p in points],
        label=label,
    )


def money_svg(points: Sequence[TrendPoint], currency: str = "S/") -> Markup:
    """The money at stake per day; nothing when no day knows its amount."""
    known = [p for p in points if p.amount_at_stake is not None]
    if not known:
        return Markup('<p class="muted">Sin montos por día para estos filtros.</p>')
    amounts = [float(p.amount_at_stake or 0) for p in known]
    label = (
        f"Monto en juego por día: {count(len(known), 'day')}, último {currency} "
        f"{amounts[-1]:,.2f} el {known[-1].day.strftime('%d/%m/%Y')}"
    )
    titles = [f"{currency} {a:,.2f} en juego" for a in amounts]
    return _line_svg(known, amounts, titles, label=label, unit=currency, css="trend money")


def _line_svg(
    points: Sequence[TrendPoint],
    values: Sequence[float],
    titles: Sequence[str],
    *,
    label: str,
    unit: str = "%",
    css: str = "trend",
) -> Markup:
    """One line over the days: grid, day labels, the line and a titled dot per day."""
    top = nice_ceiling(max(values) or 1.0)
    n = len(points)
    coords = [(_x(i, n), _y(v, top)) for i, v in enumerate(values)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = [
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{p.day.strftime("%d/%m/%Y")}: '
        f"{escape(title)}</title></circle>"
        for (x, y), p, title in zip(coords, points, titles, strict=True)
    ]
    svg = (
        f'<svg class="{css}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="xMidYMid meet">'
        + "".join(_grid(top, unit=unit))
        + "".join(_x_labels(points))
        + f'<polyline class="line" points="{line}"/>'
        + "".join(dots)
        + "</svg>"
    )
    return Markup(svg)  # noqa: S704 - built from numbers and escaped text only


def points_from_rows(rows: Sequence[dict]) -> list[TrendPoint]:
    """Trend rows (day, pct_unresolved, unresolved, amount_at_stake) in day order."""
    points = []
    for row in rows:
        day = row.get("day")
        if isinstance(day, str):
            day = dt.date.fromisoformat(day[:10])
        if not isinstance(day, dt.date):
            continue
        points.append(
            TrendPoint(
                day=day,
                pct_unresolved=float(row.get("pct_unresolved") or 0.0),
                unresolved=int(row.get("unresolved") or 0),
                amount_at_stake=None
                if row.get("amount_at_stake") is None
                else float(row["amount_at_stake"]),
            )
        )
    return sorted(points, key=lambda p: p.day)
