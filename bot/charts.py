"""Chart images for digests (matplotlib, Agg backend: no display needed).

Rendering is CPU-bound and blocking: call it off the event loop — a process pool for the charts
drawn ahead of a digest slot (``bot/chart_prerender.py``), a thread for the odd one drawn at send
time. Figures are made with the object API, not pyplot, so charts drawn in several threads share
no global state. DejaVu Sans ships with matplotlib and has the Vietnamese glyphs.

matplotlib (with numpy) is imported on first use, not at start-up: it is ~35 MB of a process that
otherwise idles at ~100 MB, and only digests draw charts.

A chart depends only on its labels, values, title and language: ``chart_key`` hashes exactly
those (and ``VERSION``, so that a change to the drawing makes new images), and the digest keeps
drawn charts by that key (``storage/queries/charts.py``).
"""

from __future__ import annotations

import hashlib
import io
import json
import textwrap

#: Part of every chart key: bump it when the drawing changes, so stored images are redrawn.
VERSION = 2
WIDTH_IN, DPI = 7.5, 110
#: Room beside the widest label for the tick and its padding, in pixels.
LABEL_GAP_PX = 24


def chart_key(labels: list[str], values: list[float], title: str, locale: str) -> str:
    """The stored image's key: a SHA-256 of exactly what the image shows (hex, 64 characters)."""
    payload = json.dumps(
        [VERSION, locale, title, list(labels), [float(v) for v in values]],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def bar_chart_png(labels: list[str], values: list[float], title: str) -> bytes:
    """A horizontal bar chart, largest first from the top, each bar labelled with its value, as
    PNG bytes.

    The layout is fixed, not ``tight_layout``: the left margin is the widest label's width, which
    the renderer measures cheaply, instead of a second layout pass over every text (measured
    here: ~57 ms a chart instead of ~100 ms, docs/bench-fanout.md). The value axis is left out:
    every bar carries its value, so the ticks only repeated them.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    height = 1.4 + 0.45 * max(len(labels), 1)
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    renderer = FigureCanvasAgg(fig).get_renderer()
    wrapped = [textwrap.shorten(label, 40, placeholder="…") for label in labels]
    font = FontProperties(family="DejaVu Sans", size=matplotlib.rcParams["ytick.labelsize"])
    widest = max(
        (renderer.get_text_width_height_descent(w, font, ismath=False)[0] for w in wrapped),
        default=0.0,
    )
    fig.subplots_adjust(
        left=min((widest + LABEL_GAP_PX) / (WIDTH_IN * DPI), 0.5),
        right=0.97,
        top=1 - 0.45 / height,
        bottom=0.15 / height,
    )
    ax = fig.add_subplot()
    positions = list(range(len(values)))
    bars = ax.barh(positions, values, color="#c62828")
    ax.set_yticks(positions, wrapped, fontfamily="DejaVu Sans")
    ax.invert_yaxis()
    ax.bar_label(bars, labels=[f"{v:g}" for v in values], padding=3, fontsize=9)
    ax.set_title(title, fontfamily="DejaVu Sans", fontsize=11)
    ax.spines[["top", "right", "bottom"]].set_visible(False)
    ax.xaxis.set_visible(False)
    ax.margins(x=0.12)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
