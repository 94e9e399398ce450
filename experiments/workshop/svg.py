"""Hand-drawn SVG views: KPI small multiples over the baseline, the region map, the actor networks.

Plain SVG strings keep a redraw at about a millisecond (a Matplotlib figure costs tens of
milliseconds) and need no JavaScript charting library, so nothing is fetched from a CDN. Every
function returns one ``<svg>`` element with a ``viewBox``, so the browser scales it to its box.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np

from experiments.workshop.feed import REGION_LABELS, SECTOR_LABELS, actor_label
from sim.config.policy import REGIONS

LIVE = "#c0392b"
BASE = "#8c8c8c"
INK = "#222"
GRID = "#e3e3e3"
FONT = "font-family='Roboto, Helvetica, Arial, sans-serif'"
# Sequential scale for the map (light to dark orange) and categorical sector colours.
SEQ = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")
SECTOR_COLOURS = ("#1f77b4", "#17becf", "#ff7f0e", "#9467bd", "#8c564b", "#2ca02c", "#1a9e77", "#e377c2", "#7f7f7f")
LEGEND_PX = 14  # legend and label type of the map and the network (their boxes are shown near their own width)
STATUS_COLOURS = {"active": "#c0392b", "under investigation": "#e67e22", "banned": "#8e44ad",
                  "incarcerated": "#555555", "desisted": "#b3b3b3"}


def fmt(v: float, kind: str) -> str:
    """Format a KPI value: ``pct`` (share), ``int``, ``one`` (one decimal), ``nok`` (NOK, scaled)."""
    if v is None or not np.isfinite(v):
        return "–"
    if kind == "pct":
        return f"{100 * v:.1f}%"
    if kind == "one":
        return f"{v:,.1f}"
    if kind == "nok":
        a = abs(v)
        if a >= 1e9:
            return f"{v / 1e9:,.1f} bn"
        if a >= 1e6:
            return f"{v / 1e6:,.0f} M"
        return f"{v:,.0f}"
    return f"{v:,.0f}"


def axis_label(v: float, kind: str) -> str:
    """A short y-axis label: 20%, 200k, 1.5k, 40 (the panel's margin holds five characters)."""
    if kind == "pct":
        return f"{100 * v:.0f}%" if v == 0 or abs(v) >= 0.1 else f"{100 * v:.1f}%"
    if kind == "nok":
        return fmt(v, "nok")
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    if a >= 1e3:
        return f"{v / 1e3:.3g}k"
    return f"{v:.3g}"


def _nice_max(v: float) -> float:
    if not np.isfinite(v) or v <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(v))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * e >= v:
            return m * e
    return 10 * e


def _path(x: np.ndarray, y: np.ndarray, sx, sy) -> str:
    """SVG path data for a polyline, broken at NaNs."""
    ok = np.isfinite(y)
    if not ok.any():
        return ""
    px, py = np.round(sx(x), 1), np.round(sy(np.where(ok, y, 0.0)), 1)
    start = ok & ~np.r_[False, ok[:-1]]  # first point of each unbroken run
    cmd = np.where(start, "M", "L")
    return "".join(f"{c}{a:g},{b:g}" for c, a, b, good in zip(cmd.tolist(), px.tolist(), py.tolist(), ok.tolist()) if good)


def _thin(x: np.ndarray, y: np.ndarray, max_points: int = 300) -> tuple[np.ndarray, np.ndarray]:
    if x.size <= max_points:
        return x, y
    step = int(math.ceil(x.size / max_points))
    idx = np.r_[np.arange(0, x.size, step), x.size - 1]
    return x[idx], y[idx]


# A KPI panel is drawn in a 220 x 130 box and shown two a row, about 225 px wide at 1024 x 768 with
# the sidebar open and wider on larger screens, so its 13-unit type stays at or above 12 CSS px
# (tests/test_workshop_browser.py measures it at 1024 x 768 and 1440 x 900).
PANEL_W, PANEL_H = 220, 130
_LEFT, _RIGHT, _TOP, _BOTTOM = 40, 8, 9, 20
TITLE_PX, TICK_PX, VALUE_PX = 14, 13, 15


def follow_range(start: float, end: float, now: float) -> tuple[float, float]:
    """The x range of a KPI panel: from the first year to a little past the run's date, never past the horizon.

    The axis grows with the run (a quarter year at a time, so the still frame is redrawn rarely),
    so the live line fills most of the panel instead of a corner of 2014-2035.
    """
    ahead = max(0.5, 0.15 * (now - start))
    x1 = math.ceil((now + ahead) * 4) / 4
    return float(start), float(min(max(x1, start + 1.0), end))


def year_step(span: float, max_labels: int = 8) -> int:
    """Years between x labels: the smallest of 1, 2, 5, 10 that keeps at most ``max_labels`` labels."""
    return next((s for s in (1, 2, 5, 10) if span / s < max_labels), 20)


def max_year_labels(width: float) -> int:
    """How many four-digit year labels fit side by side on a panel's x axis (a label is ~2.6 type sizes wide)."""
    return max(2, int((width - _LEFT - _RIGHT) / (TICK_PX * 3.2)))


def panel_ymax(y: np.ndarray, by: np.ndarray | None) -> float:
    """The y-axis top of a KPI panel: a round number above the live run and its baseline."""
    vals = [v for v in (y, by) if v is not None and np.isfinite(v).any()]
    return _nice_max(max(float(np.nanmax(v)) for v in vals) if vals else 1.0)


def _scales(x_range: tuple[float, float], ymax: float, width: int, height: int, top: float = _TOP):
    x0, x1 = x_range

    def sx(v):
        return _LEFT + (np.asarray(v) - x0) / max(x1 - x0, 1e-9) * (width - _LEFT - _RIGHT)

    def sy(v):
        return top + (1 - np.asarray(v) / ymax) * (height - top - _BOTTOM)

    return sx, sy


def kpi_frame(title: str, kind: str, bx: np.ndarray | None, by: np.ndarray | None, x_range: tuple[float, float], ymax: float,
              width: int = PANEL_W, height: int = PANEL_H) -> str:
    """The still part of a KPI panel: title, axes and the baseline (grey, dashed).

    It changes only when the axis or the baseline does, so the page sends it once and redraws
    only ``kpi_live`` on top of it while the run plays.
    """
    x0, x1 = x_range
    top = _TOP + (24 if title else 0)
    sx, sy = _scales(x_range, ymax, width, height, top)
    out = [f"<svg viewBox='0 0 {width} {height}' xmlns='http://www.w3.org/2000/svg' {FONT} role='img'>"]
    if title:  # the page writes the title above the panel instead (with the value); a static panel carries it
        out.append(f"<text x='4' y='18' font-size='{TITLE_PX}' font-weight='600' fill='{INK}'>{escape(title)}</text>")
    for frac in (0.0, 0.5, 1.0):
        yy = top + (1 - frac) * (height - top - _BOTTOM)
        out.append(f"<line x1='{_LEFT}' x2='{width - _RIGHT}' y1='{yy:.1f}' y2='{yy:.1f}' stroke='{GRID}'/>")
        out.append(f"<text x='{_LEFT - 4}' y='{yy + 5:.1f}' font-size='{TICK_PX}' text-anchor='end' fill='#555'>{axis_label(frac * ymax, kind)}</text>")
    step = year_step(x1 - x0, max_year_labels(width))
    for yr in range(int(math.ceil(x0 / step) * step), int(math.floor(x1)) + 1, step):
        px = float(sx(yr))
        anchor = "start" if px < _LEFT + 16 else ("end" if px > width - _RIGHT - 16 else "middle")
        out.append(f"<text x='{px:.1f}' y='{height - 6}' font-size='{TICK_PX}' text-anchor='{anchor}' fill='#555'>{yr}</text>")
    if bx is not None and by is not None:
        keep = bx <= x1
        tx, ty = _thin(bx[keep], by[keep])
        out.append(f"<path d='{_path(tx, ty, sx, sy)}' fill='none' stroke='{BASE}' stroke-width='1.5' stroke-dasharray='4 3'/>")
    out.append("</svg>")
    return "".join(out)


def kpi_live(kind: str, x: np.ndarray, y: np.ndarray, x_range: tuple[float, float], ymax: float,
             width: int = PANEL_W, height: int = PANEL_H, show_value: bool = True) -> str:
    """The moving part of a KPI panel: the live run (red) and (``show_value``) its latest value, over ``kpi_frame``."""
    sx, sy = _scales(x_range, ymax, width, height, _TOP + (24 if show_value else 0))
    last = y[np.isfinite(y)][-1] if np.isfinite(y).any() else float("nan")
    tx, ty = _thin(x, y)
    value = (f"<text x='{width - 4}' y='18' font-size='{VALUE_PX}' text-anchor='end' fill='{LIVE}' font-weight='700'>{fmt(last, kind)}</text>"
             if show_value else "")
    return (f"<svg viewBox='0 0 {width} {height}' xmlns='http://www.w3.org/2000/svg' {FONT}>{value}"
            f"<path d='{_path(tx, ty, sx, sy)}' fill='none' stroke='{LIVE}' stroke-width='2'/></svg>")


def kpi_panel(title: str, kind: str, x: np.ndarray, y: np.ndarray, bx: np.ndarray | None, by: np.ndarray | None,
              x_range: tuple[float, float], width: int = PANEL_W, height: int = PANEL_H) -> str:
    """A whole KPI panel in one SVG (the frame with the live run drawn in), for static use."""
    ymax = panel_ymax(y, by)
    frame = kpi_frame(title, kind, bx, by, x_range, ymax, width, height)
    live = kpi_live(kind, x, y, x_range, ymax, width, height)
    inner = live[live.index(">") + 1: -len("</svg>")]
    return frame[: -len("</svg>")] + inner + "</svg>"


# Schematic positions of the eight centre regions (column, row on a 4 x 6 grid), north at the top.
MAP_POS: dict[str, tuple[float, float]] = {
    "alta": (3.0, 0.0), "bodo": (2.2, 1.1), "trondheim": (1.5, 2.2), "bergen": (0.2, 3.3),
    "oslo": (2.0, 3.5), "stavanger": (0.0, 4.5), "tonsberg": (2.4, 4.55), "kristiansand": (1.45, 5.55),
}


def _colour(t: float) -> str:
    if not np.isfinite(t):
        return "#eeeeee"
    t = min(max(t, 0.0), 1.0) * (len(SEQ) - 1)
    i = min(int(t), len(SEQ) - 2)
    f = t - i
    a, b = SEQ[i], SEQ[i + 1]
    rgb = [round(int(a[k:k + 2], 16) * (1 - f) + int(b[k:k + 2], 16) * f) for k in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in rgb)


def region_map(values: np.ndarray, title: str, kind: str, centre_open: dict[str, bool], extra: str | None = None,
               width: int = 360, height: int = 470) -> str:
    """The eight centre regions as tiles placed roughly as on a map, coloured by ``values``."""
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    tw, th = 112, 54
    out = [f"<svg viewBox='0 0 {width} {height}' xmlns='http://www.w3.org/2000/svg' {FONT} role='img'>"]
    if title:  # the page names the KPI in its selector instead
        out.append(f"<text x='4' y='16' font-size='15' font-weight='600' fill='{INK}'>{escape(title)}</text>")
    for r, name in enumerate(REGIONS):
        cx, cy = MAP_POS[name]
        x, y = 6 + cx * 78, 30 + cy * 60
        t = (v[r] - lo) / (hi - lo) if hi > lo else 0.5
        fill = _colour(t)
        text = "#fff" if np.isfinite(t) and t > 0.6 else INK
        out.append(f"<g class='region' data-region='{name}'>")
        out.append(f"<rect x='{x:.0f}' y='{y:.0f}' width='{tw}' height='{th}' rx='8' fill='{fill}' stroke='#555' stroke-width='1'/>")
        out.append(f"<text x='{x + 8:.0f}' y='{y + 19:.0f}' font-size='15' font-weight='600' fill='{text}'>{escape(REGION_LABELS[name])}</text>")
        out.append(f"<text x='{x + 8:.0f}' y='{y + 40:.0f}' font-size='16' fill='{text}'>{fmt(v[r], kind)}</text>")
        is_open = centre_open.get(name, False)
        dot = "#1e8449" if is_open else "none"
        out.append(f"<circle cx='{x + tw - 12:.0f}' cy='{y + 13:.0f}' r='6' fill='{dot}' stroke='#1e8449' stroke-width='2'>"
                   f"<title>{'centre open' if is_open else 'no centre yet'}</title></circle>")
        if extra == name:
            out.append(f"<text x='{x + tw - 24:.0f}' y='{y + 45:.0f}' font-size='16' fill='#1e8449' font-weight='700'>+</text>")
        out.append("</g>")
    ly = height - 26
    for i in range(60):
        out.append(f"<rect x='{10 + i * 3}' y='{ly}' width='3' height='10' fill='{_colour(i / 59)}'/>")
    out.append(f"<text x='10' y='{ly + 22}' font-size='15' fill='#444'>{fmt(lo, kind)}</text>")
    out.append(f"<text x='190' y='{ly + 22}' font-size='15' text-anchor='end' fill='#444'>{fmt(hi, kind)}</text>")
    out.append(f"<circle cx='212' cy='{ly + 5}' r='5' fill='#1e8449'/><text x='221' y='{ly + 9}' font-size='15' fill='#444'>open</text>")
    out.append(f"<circle cx='290' cy='{ly + 5}' r='5' fill='none' stroke='#1e8449' stroke-width='2'/>"
               f"<text x='299' y='{ly + 9}' font-size='15' fill='#444'>not yet</text>")
    out.append("</svg>")
    return "".join(out)


def network(actors: list, sectors: tuple[str, ...], width: int = 640, cols: int = 6) -> str:
    """Threat actors (circles, sized by capacity, coloured by status) with their companies.

    Companies sit around their actor, coloured by sector; closed ones are hollow grey, and a
    dashed arrow joins a company to its phoenix successor. A thick ring marks an actor a leader
    group has prioritised.
    """
    cell_w = width / cols
    cell_h = 104
    rows = max(1, math.ceil(len(actors) / cols))
    height = 24 + rows * cell_h + 110  # room for the legend (up to five lines)
    out = [f"<svg viewBox='0 0 {width} {height:.0f}' xmlns='http://www.w3.org/2000/svg' {FONT} role='img'>",
           "<defs><marker id='arr' viewBox='0 0 6 6' refX='5' refY='3' markerWidth='5' markerHeight='5' orient='auto'>"
           "<path d='M0,0L6,3L0,6z' fill='#777'/></marker></defs>"]
    if not actors:
        out.append(f"<text x='10' y='40' font-size='{LEGEND_PX}' fill='#666'>No threat actors to show.</text></svg>")
        return "".join(out)
    for i, a in enumerate(actors):
        cx = (i % cols + 0.5) * cell_w
        cy = 24 + (i // cols) * cell_h + cell_h / 2 - 6
        n = max(len(a.companies), 1)
        ring = 34
        pos = {}
        for j, (c, alive) in enumerate(a.companies):
            ang = -math.pi / 2 + 2 * math.pi * j / n
            pos[c.fid] = (cx + ring * math.cos(ang), cy + ring * math.sin(ang), alive, c)
        for x, y, alive, _ in pos.values():
            out.append(f"<line x1='{cx:.1f}' y1='{cy:.1f}' x2='{x:.1f}' y2='{y:.1f}' stroke='{'#bbb' if alive else '#ddd'}' stroke-width='1'/>")
        for x, y, _, c in pos.values():
            if c.succ is not None and c.succ in pos:
                x2, y2 = pos[c.succ][0], pos[c.succ][1]
                out.append(f"<path d='M{x:.1f},{y:.1f}Q{cx:.1f},{cy:.1f} {x2:.1f},{y2:.1f}' fill='none' stroke='#777' "
                           "stroke-dasharray='3 2' stroke-width='1' marker-end='url(#arr)'/>")
        r = 7 + 3.0 * math.sqrt(max(a.capacity, 0.0))
        r = min(r, 20)
        colour = STATUS_COLOURS.get(a.status, "#c0392b")
        stroke = "stroke='#000' stroke-width='3'" if a.targeted else "stroke='#fff' stroke-width='1'"
        out.append(f"<g class='actor' data-actor='{a.aid}' data-status='{escape(a.status)}'>"
                   f"<circle cx='{cx:.1f}' cy='{cy:.1f}' r='{r:.1f}' fill='{colour}' {stroke}>"
                   f"<title>{actor_label(a.aid)}: {escape(a.status)}, capacity NOK {a.capacity:.1f}M, "
                   f"{a.n_phoenix} phoenix bankruptcies</title></circle>"
                   f"<text x='{cx:.1f}' y='{cy + 4:.1f}' font-size='{LEGEND_PX}' text-anchor='middle' fill='#fff' font-weight='700'>{actor_label(a.aid)}</text></g>")
        for fid, (x, y, alive, c) in pos.items():
            sc = SECTOR_COLOURS[c.sector % len(SECTOR_COLOURS)]
            sname = SECTOR_LABELS.get(sectors[c.sector], sectors[c.sector]) if c.sector < len(sectors) else ""
            fill, stroke = (sc, "#fff") if alive else ("#fff", "#aaa")
            out.append(f"<rect x='{x - 5:.1f}' y='{y - 5:.1f}' width='10' height='10' rx='2' fill='{fill}' stroke='{stroke}'>"
                       f"<title>company {fid} ({escape(sname or 'other')}, {'trading' if alive else 'closed'})</title></rect>")
    items = [f"<circle cx='5' cy='0' r='5' fill='{col}'/><text x='13' y='5' font-size='{LEGEND_PX}' fill='#444'>{status}</text>"
             for status, col in STATUS_COLOURS.items()]
    widths = [24 + 0.6 * LEGEND_PX * len(status) for status in STATUS_COLOURS]
    items.append(f"<circle cx='5' cy='0' r='5' fill='#fff' stroke='#000' stroke-width='3'/>"
                 f"<text x='14' y='5' font-size='{LEGEND_PX}' fill='#444'>prioritised by a leader group</text>")
    widths.append(24 + 0.6 * LEGEND_PX * 29)
    for k, sname in enumerate(sectors):
        label = SECTOR_LABELS.get(sname, sname) or "other"
        items.append(f"<rect x='0' y='-5' width='9' height='9' rx='2' fill='{SECTOR_COLOURS[k % len(SECTOR_COLOURS)]}'/>"
                     f"<text x='12' y='4' font-size='{LEGEND_PX}' fill='#444'>{escape(label)}</text>")
        widths.append(22 + 0.58 * LEGEND_PX * len(label))
    items.append(f"<rect x='0' y='-5' width='9' height='9' rx='2' fill='#fff' stroke='#aaa'/>"
                 f"<text x='12' y='4' font-size='{LEGEND_PX}' fill='#444'>closed (dashed arrow: phoenix successor)</text>")
    widths.append(22 + 0.58 * LEGEND_PX * 40)
    out.append(_legend(items, widths, 8, height - 100, width, line=LEGEND_PX + 6))
    out.append("</svg>")
    return "".join(out)


def _legend(items: list[str], widths: list[float], x0: float, y0: float, width: float, line: float = 16) -> str:
    """Legend entries (each drawn at its own origin) laid out left to right, wrapping at ``width``."""
    out, x, y = [], x0, y0
    for item, w in zip(items, widths):
        if x + w > width - 4 and x > x0:
            x, y = x0, y + line
        out.append(f"<g transform='translate({x:.0f},{y:.0f})'>{item}</g>")
        x += w
    return "".join(out)
