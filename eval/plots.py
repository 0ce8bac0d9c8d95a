"""Small inline-SVG charts for report.html: no JavaScript, no external files. All text is escaped."""
from __future__ import annotations

from html import escape
from typing import Sequence

W, H = 520, 300
FONT = 'font-family="sans-serif" font-size="11"'
BAR = "#4c72b0"
ERR = "#222"


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    t = escape(title)
    return (
        f'<figure style="margin:0"><svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{t}"><title>{t}</title>'
        + "".join(body)
        + f"</svg><figcaption>{t}</figcaption></figure>"
    )


def bar_chart_with_ci(items: Sequence[tuple[str, float, float | None, float | None]], title: str = "") -> str:
    """Horizontal bars on a 0..1 axis, one per (name, value, ci_low, ci_high), with CI whiskers."""
    left, right, top, row = 150, 45, 10, 20
    width = W
    height = top + row * len(items) + 30
    span = width - left - right

    def x(v: float) -> float:
        return left + max(0.0, min(1.0, v)) * span

    body = []
    for t in (0, 0.25, 0.5, 0.75, 1.0):
        body.append(f'<line x1="{x(t):.1f}" y1="{top}" x2="{x(t):.1f}" y2="{height - 25}" stroke="#ddd"/>')
        body.append(f'<text x="{x(t):.1f}" y="{height - 12}" text-anchor="middle" {FONT}>{t:g}</text>')
    for i, (name, v, lo, hi) in enumerate(items):
        y = top + i * row
        body.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end" {FONT}>{escape(name)}</text>')
        body.append(f'<rect x="{left}" y="{y + 3}" width="{x(v) - left:.1f}" height="{row - 6}" fill="{BAR}"/>')
        if lo is not None and hi is not None:
            cy = y + row / 2
            body.append(f'<line x1="{x(lo):.1f}" y1="{cy}" x2="{x(hi):.1f}" y2="{cy}" stroke="{ERR}"/>')
            for xx in (x(lo), x(hi)):
                body.append(f'<line x1="{xx:.1f}" y1="{cy - 4}" x2="{xx:.1f}" y2="{cy + 4}" stroke="{ERR}"/>')
        tx = max(x(v), x(hi) if hi is not None else 0.0)
        body.append(f'<text x="{min(tx, width - 40) + 4:.1f}" y="{y + 13}" {FONT} fill="#000">{v:.3f}</text>')
    return _svg(width, height, body, title)


def line_chart(
    points: Sequence[tuple[float, float, float | None, float | None]], title: str = "", x_label: str = ""
) -> str:
    """(x, y, y_low, y_high) points on a 0..1 y axis, x at the given values (e.g. hit@k over k)."""
    left, right, top, bottom = 40, 45, 15, 35
    xs = [p[0] for p in points]
    x0, x1 = min(xs), max(xs)
    if x1 == x0:
        x1 = x0 + 1

    def px(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * (W - left - right)

    def py(v: float) -> float:
        return top + (1 - max(0.0, min(1.0, v))) * (H - top - bottom)

    body = []
    for t in (0, 0.25, 0.5, 0.75, 1.0):
        body.append(f'<line x1="{left}" y1="{py(t):.1f}" x2="{W - right}" y2="{py(t):.1f}" stroke="#ddd"/>')
        body.append(f'<text x="{left - 4}" y="{py(t) + 4:.1f}" text-anchor="end" {FONT}>{t:g}</text>')
    path = " ".join(f"{'M' if i == 0 else 'L'}{px(p[0]):.1f},{py(p[1]):.1f}" for i, p in enumerate(points))
    body.append(f'<path d="{path}" fill="none" stroke="{BAR}" stroke-width="2"/>')
    for xv, yv, lo, hi in points:
        if lo is not None and hi is not None:
            body.append(f'<line x1="{px(xv):.1f}" y1="{py(lo):.1f}" x2="{px(xv):.1f}" y2="{py(hi):.1f}" stroke="{ERR}"/>')
        body.append(f'<circle cx="{px(xv):.1f}" cy="{py(yv):.1f}" r="3" fill="{BAR}"/>')
        body.append(f'<text x="{px(xv):.1f}" y="{H - bottom + 14}" text-anchor="middle" {FONT}>{xv:g}</text>')
        body.append(f'<text x="{px(xv) + 5:.1f}" y="{py(yv) - 6:.1f}" {FONT}>{yv:.3f}</text>')
    if x_label:
        body.append(f'<text x="{W / 2}" y="{H - 4}" text-anchor="middle" {FONT}>{escape(x_label)}</text>')
    return _svg(W, H, body, title)


def histogram(values: Sequence[float], title: str = "", bins: int = 20) -> str:
    """Counts of ``values`` in equal-width bins."""
    left, right, top, bottom = 40, 20, 15, 35
    lo, hi = min(values), max(values)
    if hi == lo:
        hi = lo + 1e-9 if lo == 0 else lo * 1.01
    width = (hi - lo) / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / width))] += 1
    cmax = max(counts) or 1
    bw = (W - left - right) / bins
    body = [f'<line x1="{left}" y1="{H - bottom}" x2="{W - right}" y2="{H - bottom}" stroke="#999"/>']
    for i, c in enumerate(counts):
        h = c / cmax * (H - top - bottom)
        body.append(
            f'<rect x="{left + i * bw:.1f}" y="{H - bottom - h:.1f}" width="{bw - 1:.1f}" height="{h:.1f}" '
            f'fill="{BAR}"><title>{lo + i * width:.3g}–{lo + (i + 1) * width:.3g}: {c}</title></rect>'
        )
    body.append(f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" {FONT}>{cmax}</text>')
    body.append(f'<text x="{left}" y="{H - bottom + 14}" text-anchor="start" {FONT}>{lo:.3g}</text>')
    body.append(f'<text x="{W - right}" y="{H - bottom + 14}" text-anchor="end" {FONT}>{hi:.3g}</text>')
    return _svg(W, H, body, title)
