"""Phối hợp: application assembly and domain services."""

import os

# Opt in to python-telegram-bot's future behaviour (durations as timedelta, e.g. RetryAfter.retry_after)
# so no deprecation warning fires at run time; our code handles both forms.
os.environ.setdefault("PTB_TIMEDELTA", "1")
