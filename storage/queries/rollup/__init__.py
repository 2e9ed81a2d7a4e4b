"""The activity rollup: kept in step with every entry write, read by totals and digests.

Every entry adds to one row per (ancestor unit, organisation, type, measure) in each of five spans
that contain its day: its half-month bucket, and the quarter and the year that contain it under
both cut-off rules (calendar: starting on the 1st; Decree 09: starting on the 15th). A period is read
as the fewest spans that tile it exactly (``cover``): a Decree 09 quarter is one quarter row per
cell instead of six half-month rows, a year one instead of twenty-four. Writes cost five rows per
ancestor and measure instead of one; reads of long periods over many units stop growing with the
number of half-months.

The package reads as one module (``from storage.queries import rollup as rollup_q``); the parts:
``cells`` (the span calendar and which cells an entry counts in), ``writes`` (``apply``,
``add_within``), ``reads`` (``totals``, ``entry_counts``, ``fullest``) and ``recompute``
(``rebuild``).
"""

from .cells import (
    ALL_ORGS,
    COARSE,
    HALF,
    ancestors,
    bucket_of,
    check_aligned,
    cover,
    next_bucket,
    span_end,
    spans_of,
)
from .reads import entry_counts, fullest, spans_clause, totals
from .recompute import coarse_sums, rebuild
from .writes import SUM_LIMIT_MILLI, add_within, apply

__all__ = [
    "ALL_ORGS",
    "COARSE",
    "HALF",
    "SUM_LIMIT_MILLI",
    "add_within",
    "ancestors",
    "apply",
    "bucket_of",
    "check_aligned",
    "coarse_sums",
    "cover",
    "entry_counts",
    "fullest",
    "next_bucket",
    "rebuild",
    "span_end",
    "spans_clause",
    "spans_of",
    "totals",
]
