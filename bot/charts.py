"""Chart images for digests (matplotlib, Agg backend: no display needed).

Rendering is CPU-bound and blocking: call it off the event loop (``asyncio.to_thread``). Figures
are made with the object API, not pyplot, so charts drawn in several threads share no global state.
DejaVu Sans ships with matplotlib and has the Vietnamese glyphs.
"""

from __future__ import annotations

import io
import textwrap


def bar_chart_png(labels: list[str], values: list[float], title: str) -> bytes:
    """A horizontal bar chart, largest first from the top, as PNG bytes."""
    # Imported on first use: matplotlib costs ~1-2 s at start-up, and every bot process (several
    # behind a webhook) would pay it although only the scheduler's digests draw charts.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    height = 1.4 + 0.45 * max(len(labels), 1)
    fig = Figure(figsize=(7.5, height), dpi=110)
    ax = fig.subplots()
    wrapped = [textwrap.shorten(label, 40, placeholder="…") for label in labels]
    positions = list(range(len(values)))
    bars = ax.barh(positions, values, color="#c62828")
    ax.set_yticks(positions, wrapped, fontfamily="DejaVu Sans")
    ax.invert_yaxis()
    ax.bar_label(bars, labels=[f"{v:g}" for v in values], padding=3, fontsize=9)
    ax.set_title(title, fontfamily="DejaVu Sans", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.12)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
