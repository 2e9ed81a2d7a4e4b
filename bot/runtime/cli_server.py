"""``phoihop run`` and ``phoihop console``: the bot itself.

Imported only when one of these commands runs (see ``bot.runtime.cli``); python-telegram-bot
comes with the runner or the console, not before.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable

from bot.runtime.cli import check_webhook_url, parse_listen
from bot.runtime.cli_common import command
from bot.settings import Settings
from storage.db import Database


def run(args: argparse.Namespace, settings: Settings) -> int:
    settings.require_token()  # the missing token is the first thing to say, before the database
    if args.webhook is not None:
        settings.require_webhook_secret()
        args.webhook = check_webhook_url(args.webhook)
        args.host, args.port = parse_listen(args.listen)
    return command(_serve)(args, settings)


def _serve(args: argparse.Namespace, settings: Settings, db: Database) -> Awaitable[int]:
    from bot.runtime.runner import run_polling, run_webhook

    if args.webhook is not None:
        return run_webhook(settings, db, url=args.webhook, host=args.host, port=args.port)
    return run_polling(settings, db)


def console(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime.console import run_console

    return run_console(settings, demo=args.demo, db_file=args.db, files=args.files)
