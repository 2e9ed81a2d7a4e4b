"""``python -m bot`` is ``phoihop``."""

from bot.runtime.cli import entry

entry()
