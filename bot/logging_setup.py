"""Logging that never shows the bot token.

httpx logs every request URL at INFO and the Bot API puts the token in the URL; exception texts
can carry it too. A log-record factory redacts every record when it is made, so no handler
(ours, pytest's, a deployment's journald) ever sees the token.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

#: Anything shaped like a bot token, also with the colon percent-encoded (as in some URLs).
_TOKEN_RE = re.compile(r"\d{5,20}(?::|%3[Aa])[A-Za-z0-9_-]{20,100}")
_secrets: set[str] = set()
_installed = False


def redact(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, "<token>")
    return _TOKEN_RE.sub("<token>", text)


def install_redaction(*secrets: str | None) -> None:
    """Redact these secrets (and anything shaped like a bot token) from every log record."""
    global _installed
    for secret in secrets:
        if secret:
            _secrets.update({secret, quote(secret, safe="")})
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: leave it for logging to report
            return record
        cleaned = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def setup_logging(level: str = "INFO", token: str | None = None) -> None:
    install_redaction(token)
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Request lines are noise at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
