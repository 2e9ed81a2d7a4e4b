"""The report commands, one module per command: /report (``answer``), /review, /status and /round,
with what they share in ``texts``. The names the composition root uses are re-exported here, so
``handlers.reports.report_command`` and friends keep working."""

from handlers.reports.answer import REPORT, on_button, open_report, report_button, report_command
from handlers.reports.reopen import REOPEN
from handlers.reports.review import RETURN, review_command
from handlers.reports.round import round_button, round_command
from handlers.reports.status import status_button, status_command
from handlers.reports.texts import FLOW, REOPEN_FLOW, RETURN_FLOW, ROUND_FLOW

__all__ = [
    "FLOW",
    "REOPEN",
    "REOPEN_FLOW",
    "REPORT",
    "RETURN",
    "RETURN_FLOW",
    "ROUND_FLOW",
    "on_button",
    "open_report",
    "report_button",
    "report_command",
    "review_command",
    "round_button",
    "round_command",
    "status_button",
    "status_command",
]
