"""The composition root: builds the python-telegram-bot ``Application`` with our services and
registers every handler, in commented groups (after the PTB rules-bot's layout)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, cast

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import digests, meeting_reminders, petition_reminders, report_reminders
from bot.digest_charts import ChartFiles, ChartPrerender
from bot.flood import FloodGate
from bot.logging_setup import install_redaction
from bot.notifications import Dispatcher, Pace
from bot.runtime.api_retry import PatientLimiter
from bot.runtime.ordering import PerPersonOrder
from bot.runtime.scheduler import JobSpec, Scheduler, worker_id
from bot.runtime.send_budget import SharedBudget
from bot.services import Services
from handlers import (
    activity_log,
    chat_settings,
    dashboard_button,
    delivery,
    digest,
    digest_notices,
    export,
    fallback,
    flood,
    groups,
    invites,
    log_again,
    meeting_notices,
    meetings,
    members,
    mine,
    mine_edit,
    notice_kinds,
    petitions,
    privacy,
    profile,
    proposals,
    reports,
    router,
    start,
    steps,
    totals,
)
from handlers.access_rules import missing_rules
from handlers.commands import COMMANDS
from handlers.common import GROUPS, NEW_MESSAGE, PRIVATE
from handlers.context import AppContext
from handlers.dispatch import handled
from handlers.errors import on_error
from handlers.flow import stack as flow_stack
from handlers.notices import Notices
from handlers.sender import TelegramSender
from storage.db import release_held
from storage.locks import LeaderLock
from storage.queries import update_claims as claims_q
from storage.queries import updates as updates_q
from storage.reply_marks import ReplyMarks

log = logging.getLogger(__name__)

App = Application[Any, AppContext, Any, Any, Any, Any]


class _Application(Application[Any, AppContext, Any, Any, Any, Any]):
    """python-telegram-bot's ``Application``; an update's transaction opened ahead to read who
    is talking (storage.db.hold) and taken over by no session block ends with the update, on
    every path (long polling through the update processor, the webhook directly)."""

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            await release_held()


def build_application(services: Services, *, token: str, rate_limit: bool = True) -> App:
    settings = services.settings
    install_redaction(token)
    builder = (
        ApplicationBuilder()
        .application_class(_Application)
        .token(token)
        .base_url(settings.bot_api_url)
        .base_file_url(settings.file_url)
        .context_types(ContextTypes(context=AppContext))
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        .post_init(_post_init)
        # Conversation state is in our database, so different people's updates run at the same
        # time (one person's slow reply holds up nobody else); each person's stay in order.
        .concurrent_updates(PerPersonOrder(settings.update_concurrency))
    )
    timeout = settings.api_timeout
    builder = builder.read_timeout(timeout).write_timeout(timeout).connect_timeout(timeout)
    builder = builder.get_updates_read_timeout(timeout).get_updates_connect_timeout(timeout)
    # Every request passes here: 429s wait as told, an unreachable Bot API is retried for about
    # a minute (bot/runtime/api_retry.py); rate_limit=False (tests, console) leaves out the 30/s limiter.
    # max_retries=0: the limiter paces to Telegram's limits but does not retry a 429 itself, since
    # its retry pauses *every* request (a person's reply waited 1.1 s behind a digest's 429,
    # docs/benchmarks.md); the request that met the 429 waits alone (PatientLimiter, the outbox).
    # Telegram's limit is per bot: on PostgreSQL (several processes may serve the bot) every
    # process books from one budget in the database and AIORateLimiter keeps only its per-group
    # limit; on SQLite (one process) it paces everything (bot/runtime/send_budget.py).
    shared = rate_limit and services.db.dialect == "postgresql"
    inner = (
        AIORateLimiter(overall_max_rate=0 if shared else settings.send_rate, max_retries=0)
        if rate_limit
        else None
    )
    limiter = PatientLimiter(
        inner,
        settings.api_retry_delays,
        strict=settings.strict_unit_of_work,
        budget=SharedBudget(services.db, rate=settings.send_rate) if shared else None,
    )
    builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
    app: App = builder.build()
    app.bot_data["services"] = services
    app.bot_data["flood"] = FloodGate(
        services.clock, burst=settings.flood_burst, rate=settings.flood_rate
    )
    # The notes that updates were answered, written a second at a time (handlers/delivery.py).
    app.bot_data["reply_marks"] = ReplyMarks(services.db, delay=settings.reply_marks_delay)
    register_handlers(app, services)
    unruled = missing_rules(app)
    if unruled:
        # Every handler says who may use it (handlers/access_rules.py); the access-matrix test
        # holds it to that. A handler without a rule is a programming error, not a deployment one.
        raise RuntimeError(f"handlers without an access rule: {', '.join(unruled)}")
    return app


def register_handlers(app: App, services: Services) -> None:
    # Group -2: the per-person flood limit, before any database work.
    app.add_handler(TypeHandler(Update, flood.gate), group=-2)

    # Group -1: who is talking. Loads (and refreshes) the person and roles for every update.
    app.add_handler(TypeHandler(Update, fallback.load_actor), group=-1)

    # Group 0, first match wins.
    # Commands (new messages only: an edited "/start" must not run again).
    commands = {
        "start": start.start,
        "help": start.help_command,
        "me": start.me,
        "language": start.language,
        "cancel": start.cancel,
        "invite": invites.invite,
        "members": members.members_command,
        "log": activity_log.log_command,
        "back": steps.back_command,
        "skip": steps.skip_command,
        "mine": mine.mine_command,
        "report": reports.report_command,
        "review": reports.review_command,
        "status": reports.status_command,
        "round": reports.round_command,
        "meeting": meetings.meeting_command,
        "meetings": meetings.meetings_command,
        "totals": totals.totals_command,
        "export": export.export_command,
        "link": groups.link_command,
        "unlink": groups.unlink_command,
        "settings": chat_settings.settings_command,
        "digest": digest.digest_command,
        "forgetme": privacy.forgetme_command,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=NEW_MESSAGE))
    # /petition with a code opens that item's card; /petition alone (no argument: has_args)
    # is the recording flow's, registered after this one so that it gets only those.
    app.add_handler(
        CommandHandler(
            "petition", petitions.petition_code_command, filters=NEW_MESSAGE, has_args=True
        )
    )
    app.add_handler(CommandHandler("petition", petitions.petition_command, filters=NEW_MESSAGE))
    app.add_handler(CommandHandler("petitions", petitions.petitions_command, filters=NEW_MESSAGE))

    # Inline buttons, by prefix; anything else is a stale or foreign button. Data with numbers
    # longer than any id we make is forged: refused before any handler parses it.
    app.add_handler(
        CallbackQueryHandler(fallback.oversized_button, pattern=fallback.OVERSIZED_NUMBER)
    )
    app.add_handler(CallbackQueryHandler(start.language_button, pattern=r"^lang:"))
    app.add_handler(CallbackQueryHandler(profile.change_button, pattern=r"^me:edit$"))
    app.add_handler(CallbackQueryHandler(profile.on_button, pattern=r"^prf:"))
    app.add_handler(CallbackQueryHandler(invites.on_button, pattern=r"^inv:"))
    app.add_handler(CallbackQueryHandler(members.on_button, pattern=r"^mem:"))
    app.add_handler(CallbackQueryHandler(activity_log.on_button, pattern=r"^log:"))
    app.add_handler(CallbackQueryHandler(log_again.on_button, pattern=r"^lga:"))
    app.add_handler(CallbackQueryHandler(proposals.on_button, pattern=r"^prp:"))
    app.add_handler(CallbackQueryHandler(mine.on_button, pattern=r"^mine:"))
    app.add_handler(CallbackQueryHandler(mine_edit.on_button, pattern=r"^ed:"))
    app.add_handler(CallbackQueryHandler(reports.status_button, pattern=r"^rep:st:"))
    app.add_handler(CallbackQueryHandler(totals.totals_button, pattern=r"^tot:"))
    app.add_handler(CallbackQueryHandler(reports.on_button, pattern=r"^rep:"))
    app.add_handler(CallbackQueryHandler(reports.report_button, pattern=r"^rpt:"))
    app.add_handler(CallbackQueryHandler(reports.round_button, pattern=r"^rnd:"))
    app.add_handler(CallbackQueryHandler(groups.link_button, pattern=r"^lnk:"))
    app.add_handler(CallbackQueryHandler(chat_settings.settings_button, pattern=r"^set:"))
    app.add_handler(CallbackQueryHandler(meetings.on_button, pattern=r"^mtg:"))
    app.add_handler(CallbackQueryHandler(meetings.on_schedule_button, pattern=r"^mts:"))
    app.add_handler(CallbackQueryHandler(meetings.on_time_button, pattern=r"^mtime:"))
    app.add_handler(CallbackQueryHandler(meetings.on_minutes_button, pattern=r"^mmin:"))
    app.add_handler(CallbackQueryHandler(petitions.on_record_button, pattern=r"^pet:"))
    app.add_handler(CallbackQueryHandler(petitions.link_button, pattern=r"^pcl:"))
    app.add_handler(CallbackQueryHandler(privacy.on_button, pattern=r"^fgt:"))
    app.add_handler(CallbackQueryHandler(petitions.on_button, pattern=r"^kn:"))
    app.add_handler(CallbackQueryHandler(petitions.list_button, pattern=r"^knl:"))
    app.add_handler(CallbackQueryHandler(petitions.on_note_button, pattern=r"^knn:"))
    app.add_handler(CallbackQueryHandler(flow_stack.on_kernel_button, pattern=r"^flow:"))
    app.add_handler(CallbackQueryHandler(fallback.stale_button))

    # Telegram's service updates about groups: the bot removed, a group turned supergroup.
    app.add_handler(ChatMemberHandler(groups.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, groups.on_migrate))

    # Main-menu buttons in every language.
    labels = start.menu_texts(services.i18n.all())
    app.add_handler(
        MessageHandler(NEW_MESSAGE & PRIVATE & filters.Text(list(labels)), start.menu_button)
    )

    # Typed text: to the flow the user is in; unknown commands; everything else.
    app.add_handler(
        MessageHandler(
            NEW_MESSAGE & PRIVATE & filters.TEXT & ~filters.COMMAND, router.on_private_text
        )
    )
    app.add_handler(MessageHandler(NEW_MESSAGE & filters.COMMAND, fallback.unknown_command))
    app.add_handler(
        MessageHandler(NEW_MESSAGE & PRIVATE & ~filters.TEXT, router.on_private_non_text)
    )
    app.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & PRIVATE, fallback.edited_message)
    )
    app.add_handler(MessageHandler(GROUPS | filters.UpdateType.CHANNEL_POSTS, fallback.ignored))

    # Around every handler: the flow kernel's offer to go back to a suspended flow.
    for handlers_of_group in app.handlers.values():
        for handler in handlers_of_group:
            handler.callback = handled(handler.callback)

    app.add_error_handler(on_error)
    notice_kinds.register_renderers()
    members.register_renderers()
    meeting_notices.register_renderers()
    petitions.register_renderers()
    digest_notices.register_renderers()
    delivery.register_renderers()
    dashboard_button.register_renderers()


async def _post_init(app: App) -> None:
    """Learn our username and register the command menus in both languages."""
    services: Services = app.bot_data["services"]
    me = await app.bot.get_me()
    services.bot_username = me.username
    private = [c for c in COMMANDS]
    group_commands = [c for c in COMMANDS if c.in_groups]
    for tr in services.i18n.all():
        language = "" if tr.locale == "vi" else tr.locale
        for scope, catalog in (
            (BotCommandScopeAllPrivateChats(), private),
            (BotCommandScopeAllChatAdministrators(), group_commands),
        ):
            await app.bot.set_my_commands(
                [BotCommand(c.name, tr._(c.description)) for c in catalog],
                scope=scope,
                language_code=language or None,
            )
    interval = services.settings.outbox_interval
    # The background job keeps Telegram's limits in real time; tests (interval 0) drive rounds.
    pace = Pace(round_seconds=interval * 0.8) if interval > 0 else None
    dispatcher = Dispatcher(
        services.db,
        services.clock,
        TelegramSender(app.bot, ChartFiles(services.db)),
        Notices(services),
        lease=timedelta(seconds=services.settings.outbox_lease),
        # Replies queued while Telegram was away: first, as replies, until they arrive.
        interactive_kinds=(delivery.KIND,),
        worker=worker_id(),
        pace=pace,
    )
    app.bot_data["dispatcher"] = dispatcher
    app.bot_data["charts"] = ChartPrerender(
        services.db,
        services.clock,
        services.i18n,
        services.settings.tz,
        lead=timedelta(minutes=services.settings.chart_lead),
        workers=services.settings.chart_workers,
    )
    if interval > 0 and app.job_queue is not None:
        # Exactly one process of a deployment runs these (bot/runtime/scheduler.py).
        scheduler = Scheduler(
            app.job_queue,
            LeaderLock(services.db, name=f"phoihop scheduler {worker_id()}"),
            [
                JobSpec("outbox", _dispatch, interval=interval, first=interval, repeat=False),
                JobSpec("reminders", _plan_reminders, interval=60, first=5),
                JobSpec("prune-updates", _prune_updates, interval=3600, first=60),
                JobSpec("charts", _prerender_charts, interval=60, first=10, repeat=False),
            ],
            retry=services.settings.scheduler_retry,
        )
        app.bot_data["scheduler"] = scheduler
        await scheduler.start()
    log.info("bot @%s ready", me.username)


async def _plan_reminders(context: AppContext) -> None:
    """Queue the report reminders that are due (idempotent: the outbox keys make repeats no-ops)."""
    await plan_reminders(context.application.bot_data["services"])


async def plan_reminders(services: Services) -> int:
    settings = services.settings
    async with services.db.session() as session:
        queued = await report_reminders.plan_reminders(
            session,
            services.clock.now(),
            settings.tz,
            offsets=settings.reminder_days,
            hour=settings.reminder_hour,
            overdue_max=settings.overdue_max,
        )
        queued += await meeting_reminders.plan_meeting_reminders(session, services.clock.now())
        queued += await digests.plan_digests(session, services.clock.now(), settings.tz)
        follow = await petition_reminders.follow_up(
            session,
            services.clock.now(),
            settings.tz,
            hour=settings.reminder_hour,
            erase_after_days=settings.petition_erase_after_days,
        )
        queued += follow.reminders
        # Telegram keeps an unconfirmed update 24 h: older replay guards are no longer needed.
        await updates_q.prune(session, services.clock.now() - timedelta(days=2))
        return queued


async def _prune_updates(context: AppContext) -> None:
    await prune_updates(context.application.bot_data["services"])


async def prune_updates(services: Services) -> int:
    """Forget webhook claims older than two days (Telegram drops an update after 24 hours)."""
    async with services.db.session() as session:
        return await claims_q.prune(session, services.clock.now() - timedelta(days=2))


async def _dispatch(context: AppContext) -> None:
    """The outbox job: send what is due (the dispatcher records every outcome itself), then come
    back at once if rows were left due, else after the interval. Each run schedules the next, so
    a long fan-out never overlaps itself."""
    dispatcher: Dispatcher = context.application.bot_data["dispatcher"]
    interval = context.application.bot_data["services"].settings.outbox_interval
    busy = False
    scheduler: Scheduler | None = context.application.bot_data.get("scheduler")
    try:
        if scheduler is not None:
            await dispatcher.take_over(scheduler.term)
        busy = (await dispatcher.run_once()).more
    finally:
        app = cast(App, context.application)
        # Stopping (SIGTERM): PTB waits for this run, which records every send it made; then no
        # next run, so nothing is left claimed and a restart neither loses nor repeats a notice.
        # The scheduler schedules the next run only while this process still leads.
        if app.running and scheduler is not None:
            scheduler.reschedule("outbox", 0 if busy else interval)


async def _prerender_charts(context: AppContext) -> None:
    """Draw the coming digest slot's charts ahead (bot/digest_charts.py). The drawing runs in a
    process pool and may take minutes, so the job schedules its own next run, a minute after this
    one ends, instead of repeating (runs never overlap). A failure is logged, not fatal: the
    charts are then drawn as the digests are sent."""
    app = cast(App, context.application)
    prerender: ChartPrerender = app.bot_data["charts"]
    try:
        # A stop (SIGTERM) waits for this run: it ends after the charts being drawn.
        await prerender.run_once(stopping=lambda: not app.running)
    except Exception:
        log.exception("drawing the digest charts ahead failed; they are drawn at send time")
    finally:
        scheduler: Scheduler | None = app.bot_data.get("scheduler")
        if app.running and scheduler is not None:
            scheduler.reschedule("charts", 60)
