"""The leaders' dashboard as a Telegram Mini App: one static page (bot/data/webapp/) and its JSON
API under ``/app/``, served by the bot process itself with aiohttp.

Every API request carries the launch data Telegram signed (``Authorization: tma <initData>``)
and is checked afresh (bot/webapp_auth.py): a missing, forged, expired or other bot's launch
gets 401 with the reason in the person's language, which the page shows. The signed Telegram
user is looked up in our database; what they see is what the chat's rules let them see
(bot/dashboard.py, bot/dashboard_board.py, bot/totals.py). The API is read-only.

``phoihop run`` serves it on ``PHOIHOP_WEB_LISTEN`` (behind the same kind of TLS reverse proxy
as the webhook); in webhook mode the webhook's server serves these routes too, so one port does
both (bot/runtime/runner.py); the console serves it on a local port with a demo leader's signed
link. The page needs nothing from the internet: no Telegram script, no chart library, no CDN.
"""

from __future__ import annotations

import html
import logging
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot import dashboard, dashboard_board, date_window
from bot import webapp_strings as words
from bot.access import Actor, load_actor
from bot.activities import Kind, from_milli
from bot.i18n import Translator, resolve_locale
from bot.names import name_of
from bot.parsing import ascii_int
from bot.periods import Period, period_containing
from bot.runtime import webapp_petitions
from bot.services import Services
from bot.totals import Cells, Row, Totals, default_unit, row_label
from bot.webapp_auth import InitDataError, Launch, unverified_language, validate
from handlers.entry_cards import figure
from storage.queries import people as people_q
from storage.text import fold

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent.parent / "data" / "webapp"
FILES = {"app.js": "text/javascript", "app.css": "text/css"}
PREFIX = "/app"
#: The page asks for nothing outside the bot: a script injected into it could not call out.
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'"
    ),
}


#: HTTP statuses of the reasons a reminder is not sent.
REMIND_STATUS = {"forbidden": 403, "not_missing": 409, "already": 429, "no_cadres": 409}


class Refused(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status, self.code = status, code


class Dashboard:
    """The routes, bound to the bot's services and token (the launch data's key)."""

    def __init__(self, services: Services, token: str) -> None:
        self.services = services
        self.token = token

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(PREFIX, self._redirect)
        app.router.add_get(PREFIX + "/", self._index)
        app.router.add_get(PREFIX + "/static/{name}", self._static)
        app.router.add_get(PREFIX + "/api/me", self._api(self._me))
        app.router.add_get(PREFIX + "/api/completeness", self._api(self._completeness))
        app.router.add_get(PREFIX + "/api/totals", self._api(self._totals))
        app.router.add_get(PREFIX + "/api/meetings", self._api(self._meetings))
        app.router.add_get(PREFIX + "/api/petitions", self._api(self._petitions))
        app.router.add_post(PREFIX + "/api/remind", self._api(self._remind))

    # --- pages --------------------------------------------------------------------------

    async def _redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(PREFIX + "/")

    async def _index(self, request: web.Request) -> web.Response:
        body = (STATIC / "index.html").read_bytes()
        return web.Response(body=body, content_type="text/html", charset="utf-8", headers=HEADERS)

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in FILES:
            raise web.HTTPNotFound()
        body = (STATIC / name).read_bytes()
        return web.Response(body=body, content_type=FILES[name], charset="utf-8", headers=HEADERS)

    # --- the API ------------------------------------------------------------------------

    def _api(self, handler: Any) -> Any:
        async def respond(request: web.Request) -> web.Response:
            init_data = _init_data(request)
            settings = self.services.settings
            try:
                launch = validate(
                    init_data,
                    self.token,
                    self.services.clock.now(),
                    timedelta(seconds=settings.web_auth_max_age),
                )
            except InitDataError as exc:
                locale = resolve_locale(
                    None, unverified_language(init_data), settings.default_locale
                )
                log.info("dashboard: refused a launch from %s: %s", request.remote, exc.code)
                return _refusal(self.services.i18n.translator(locale), 401, exc.code)
            # A GET only reads: it must not queue for SQLite's write lock behind the bot's
            # handlers (``Database.read``). "Nhắc" (POST) writes, in one transaction.
            db = self.services.db
            opened = db.session() if request.method == "POST" else db.read()
            async with opened as session:
                person = await people_q.by_telegram_id(session, launch.user.id)
                locale = resolve_locale(
                    person.language if person else None,
                    launch.user.language_code or (person.telegram_language if person else None),
                    settings.default_locale,
                )
                tr = self.services.i18n.translator(locale)
                actor = await load_actor(session, person) if person is not None else None
                if actor is None or not actor.is_member:
                    return _refusal(tr, 403, "not_member")
                try:
                    payload = await handler(request, session, actor, tr, launch)
                except Refused as refused:
                    return _refusal(tr, refused.status, refused.code)
            return web.json_response(payload, headers=HEADERS)

        return respond

    async def _me(
        self, request: web.Request, session: Any, actor: Actor, tr: Translator, launch: Launch
    ) -> dict[str, Any]:
        today = self.services.today()
        home = default_unit(actor)
        return {
            "locale": tr.locale,
            "name": name_of(actor.person),
            "leader": actor.is_admin,
            "unit": _unit(home),
            # The deployment's rule first (PHOIHOP_PERIOD_RULE); the page may switch to the other.
            "rule": self.services.settings.period_rule,
            "rules": [{"key": key, "label": tr._(label)} for key, label in words.RULES],
            "period_kinds": [
                {"kind": kind, "label": tr._(label)} for kind, label, _n in words.PERIOD_KINDS
            ],
            "periods": {key: _period_choices(tr, today, key) for key, _label in words.RULES},
            "strings": words.page_strings(tr),
        }

    async def _completeness(
        self, request: web.Request, session: Any, actor: Actor, tr: Translator, launch: Launch
    ) -> dict[str, Any]:
        """The board; ``unit=<id>`` drills into a unit inside the person's subtree (a commune of
        a province's grouped board). A unit outside it, or none such, is refused as forbidden."""
        raw_unit = request.query.get("unit")
        unit = None
        if raw_unit:
            unit_id = ascii_int(raw_unit, max_digits=18)
            if unit_id is None:
                raise Refused(400, "bad_request")
            unit = await dashboard_board.board_unit(session, actor, unit_id)
            if unit is None:
                raise Refused(403, "forbidden")
        board = await dashboard_board.completeness(
            session, actor, self.services.clock.now(), self.services.settings.tz, unit
        )
        return {
            "view": {
                "unit": _unit(board.unit),
                "grouped": board.grouped,
                "drilled": board.drilled,
                "up": _unit(board.up),
            },
            "rounds": [
                {
                    "id": b.round.id,
                    "title": f"{b.title_vi if tr.locale == 'vi' else b.title_en} — "
                    f"{b.period.label(tr.locale)}",
                    "unit": b.unit.name,
                    "deadline": tr.moment(b.round.deadline),
                    "counts": {state: b.count(state) for state in dashboard_board.STATES},
                    "total": b.total,
                    "units": [
                        {
                            "id": r.unit.id,
                            "name": r.unit.name,
                            "state": r.state,
                            "returned": r.status == "returned",
                            "submitted_at": tr.moment(r.submitted_at) if r.submitted_at else None,
                            "cadres": r.cadres,
                            "report": r.report_id,
                            "remindable": r.remindable,
                            "reminded_today": r.reminded_today,
                        }
                        for r in b.rows
                    ],
                    "groups": [_group(g) for g in b.groups] if b.groups is not None else None,
                }
                for b in board.rounds
            ],
        }

    async def _totals(
        self, request: web.Request, session: Any, actor: Actor, tr: Translator, launch: Launch
    ) -> dict[str, Any]:
        query = request.query
        rule = self.services.settings.period_rule
        try:
            period = (
                Period.from_key(query["period"])
                if query.get("period")
                else period_containing(self.services.today(), "month", rule)
            )
        except ValueError:
            raise Refused(400, "bad_request") from None
        if not date_window.within(period.start, self.services.today()):
            raise Refused(400, "bad_request")
        home = default_unit(actor)
        raw_unit = query.get("unit")
        unit_id = ascii_int(raw_unit, max_digits=18) if raw_unit else (home.id if home else None)
        if unit_id is None:
            raise Refused(400, "bad_request")
        unit = await dashboard.unit_for(session, actor, unit_id, query.get("org") or None)
        if unit is None:
            raise Refused(403, "forbidden")
        compared = await dashboard.totals(
            session, actor, unit, period, by_org=query.get("by") == "org"
        )
        now, last = compared.now, compared.last_year
        area, choices = await dashboard.org_choices(session, actor, unit)
        return {
            "unit": _unit(unit),
            "period": {
                "key": period.key(),
                "kind": period.kind,
                "rule": period.rule,
                "label": period.label(tr.locale),
                "range": period.range_label(tr.locale),
            },
            # The organisations of the unit's area the person may see (the page's choice).
            "area": _unit(area),
            "org": next((c.org for c in choices if c.unit.id == unit.id), unit.org),
            "orgs": _orgs(tr, choices),
            "last_year": (
                {"key": last.period.key(), "label": last.period.label(tr.locale)}
                if last is not None
                else None
            ),
            "parent": _unit(now.parent),
            "by_org": query.get("by") == "org",
            "kinds": _kinds(tr, now, last),
            "rows": [_row(tr, now, row) for row in now.rows]
            if not all(r.direct for r in now.rows) or query.get("by") == "org"
            else [],
        }

    async def _remind(
        self, request: web.Request, session: Any, actor: Actor, tr: Translator, launch: Launch
    ) -> dict[str, Any]:
        """ "Nhắc": the one thing the dashboard changes (bot/dashboard_board.py ``remind``)."""
        try:
            body = await request.json()
        except ValueError:
            raise Refused(400, "bad_request") from None
        report_id = body.get("report") if isinstance(body, dict) else None
        if not isinstance(report_id, int) or isinstance(report_id, bool) or report_id <= 0:
            raise Refused(400, "bad_request")
        try:
            queued = await dashboard_board.remind(
                session, actor, report_id, self.services.clock.now(), self.services.settings.tz
            )
        except dashboard_board.RemindError as exc:
            raise Refused(REMIND_STATUS[exc.code], exc.code) from None
        return {"queued": queued}

    async def _petitions(
        self, request: web.Request, session: Any, actor: Actor, tr: Translator, launch: Launch
    ) -> dict[str, Any]:
        """Citizens' recommendations: ``/totals kiến nghị``'s counts for a period (``?period=``),
        then the items by status, overdue first (bot/runtime/webapp_petitions.py)."""
        settings = self.services.settings
        try:
            return await webapp_petitions.payload(
                session,
                actor,
                tr,
                today=self.services.today(),
                rule=settings.period_rule,
                tz=settings.tz,
                period_key=request.query.get("period"),
            )
        except webapp_petitions.BadPeriod:
            raise Refused(400, "bad_request") from None

    async def _meetings(
        self, request: web.Request, session: Any, actor: Actor, tr: Translator, launch: Launch
    ) -> dict[str, Any]:
        lines = await dashboard.upcoming_meetings(session, actor, self.services.clock.now())
        return {
            "meetings": [
                {
                    "id": m.meeting.id,
                    "title": m.meeting.title,
                    "when": tr.moment(m.meeting.starts_at),
                    "place": m.meeting.place,
                    "unit": m.unit.name if m.unit else "",
                    "answers": {k: m.answers.get(k, 0) for k in ("yes", "no", "delegate")},
                }
                for m in lines
            ]
        }


def _init_data(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "tma" and value.strip() else None


def _refusal(tr: Translator, status: int, code: str) -> web.Response:
    return web.json_response(
        {
            "error": code,
            "title": words.refusal_title(tr),
            "message": words.refusal(tr, code),
        },
        status=status,
        headers=HEADERS,
    )


def _group(group: dashboard_board.GroupRow) -> dict[str, Any]:
    """A row of a grouped board: a unit directly below and its reports' counts."""
    done = group.total - group.counts["missing"]
    return {
        "id": group.unit.id,
        "name": group.unit.name,
        "counts": group.counts,
        "total": group.total,
        "done": done,
        "percent": round(100 * done / group.total) if group.total else 0,
        "drill": not group.own,
    }


def _unit(unit: Any) -> dict[str, Any] | None:
    if unit is None:
        return None
    return {"id": unit.id, "name": unit.name, "kind": unit.kind, "org": unit.org}


def _figures(tr: Translator, kind: Kind, cells: Cells) -> list[dict[str, Any]]:
    """One entry per measure with a figure: the text exactly as /totals writes it (plain)."""
    found = []
    for m in kind.measures:
        value = cells.get((kind.key, m.key))
        if value:
            found.append(
                {
                    "measure": m.key,
                    "label": m.label(tr.locale),
                    "value": float(from_milli(value)),
                    "text": html.unescape(figure(tr, kind, m, from_milli(value))),
                }
            )
    return found


def _kinds(tr: Translator, now: Totals, last: Totals | None) -> list[dict[str, Any]]:
    """The activity types with figures now or a year earlier, each with both years' figures
    (for the lines and the chart)."""
    shown = []
    for kind in now.kinds:
        figures = _figures(tr, kind, now.total)
        before = _figures(tr, kind, last.total) if last is not None else []
        if not figures and not before:
            continue
        shown.append(
            {
                "key": kind.key,
                "name": kind.name(tr.locale),
                "figures": figures,
                "last_year": before,
                "line": f"{kind.name(tr.locale)}: " + ", ".join(f["text"] for f in figures)
                if figures
                else None,
            }
        )
    return sorted(shown, key=lambda k: k["line"] is None)  # this period's first


def _row(tr: Translator, result: Totals, row: Row) -> dict[str, Any]:
    lines = []
    for kind in result.kinds:
        figures = _figures(tr, kind, row.cells)
        if figures:
            lines.append(f"{kind.name(tr.locale)}: " + ", ".join(f["text"] for f in figures))
    return {
        "label": row_label(tr, row),
        "unit": _unit(row.target),
        "direct": row.direct,
        "lines": lines,
    }


def _period_choices(tr: Translator, today: date, rule: str) -> dict[str, list[dict[str, str]]]:
    """Per kind of period, the current one and those before it (``words.PERIOD_KINDS``) under
    ``rule``, newest first, within the years kept."""
    found: dict[str, list[dict[str, str]]] = {}
    for kind, _label, count in words.PERIOD_KINDS:
        period = period_containing(today, kind, rule)  # type: ignore[arg-type]
        listed = []
        for _ in range(count):
            if not date_window.within(period.start, today):
                break
            listed.append({"key": period.key(), "label": period.label(tr.locale)})
            try:
                period = period.previous()
            except ValueError:
                break
        found[kind] = listed
    return found


def _orgs(tr: Translator, choices: list[dashboard.OrgChoice]) -> list[dict[str, Any]]:
    """The area's own unit ("all organisations" for a Front committee) first, then the member
    organisations by name in the person's language."""

    def label(c: dashboard.OrgChoice) -> str:
        if c.all_orgs:
            return words.all_orgs(tr)
        return c.name_vi if tr.locale == "vi" else c.name_en

    ordered = [c for c in choices if c.org is None] + sorted(
        (c for c in choices if c.org is not None), key=lambda c: fold(label(c))
    )
    return [{"org": c.org, "unit": c.unit.id, "label": label(c)} for c in ordered]


def launch_fragment(init_data: str, *, platform: str = "web") -> str:
    """The URL fragment a Telegram client opens the app with (``#tgWebAppData=...``)."""
    return urlencode(
        {"tgWebAppData": init_data, "tgWebAppVersion": "8.0", "tgWebAppPlatform": platform}
    )


class WebServer:
    """The dashboard on its own port (long polling, the console); ``port=0`` picks a free one."""

    def __init__(self, dashboard_app: Dashboard, host: str, port: int) -> None:
        self.dashboard = dashboard_app
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024)
        self.dashboard.add_routes(app)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("dashboard: serving http://%s:%s%s/", self.host, self.port, PREFIX)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{PREFIX}/"

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
