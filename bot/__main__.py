"""``python -m bot`` is ``phoihop``."""

from bot.cli import entry

entry()
