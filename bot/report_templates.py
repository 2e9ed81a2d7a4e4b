"""Report templates as the database keeps them: each version stored once, the shipped ones
loaded into a new deployment, and who a template is for (its audience: kinds of unit and
organisations, issue 16 §3).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.template_files import load_template_file
from bot.templates import DEFAULT_TEMPLATES_DIR, Template
from storage.models import ReportTemplate
from storage.queries import reports as reports_q
from storage.queries import units as units_q


async def known_activities(session: AsyncSession) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {}
    for type_key, key in await reports_q.measure_keys(session):
        result.setdefault(type_key, set()).add(key)
    return result


async def store_template(
    session: AsyncSession, template: Template, now: datetime
) -> tuple[ReportTemplate, bool]:
    """Keep a template; a changed file becomes a new version, an unchanged one is a no-op."""
    latest = await reports_q.latest_template(session, template.key)
    data = template.to_dict()
    if latest is not None and latest.data == data:
        return latest, False
    version = max(template.version, (latest.version + 1) if latest else 1)
    if version != template.version:
        data = {**data, "version": version}
    row = ReportTemplate(
        key=template.key,
        version=version,
        period=template.period,
        title_vi=template.title_vi,
        title_en=template.title_en,
        data=data,
        created_at=now,
    )
    await reports_q.add(session, row)
    return row, True


async def known_audience(session: AsyncSession) -> tuple[list[str], list[str]]:
    """The unit kinds and organisations of this deployment, which a template's ``for:`` may name."""
    kinds = [k.key for k in await units_q.kinds(session)]
    orgs = [o.key for o in await units_q.organisations(session)]
    return kinds, orgs


async def load_file(session: AsyncSession, path: Path) -> Template:
    """A template file checked against this deployment's catalog, unit kinds and organisations."""
    kinds, orgs = await known_audience(session)
    return load_template_file(
        path,
        known_activities=await known_activities(session),
        known_kinds=kinds,
        known_orgs=orgs,
    )


async def ensure_default_templates(session: AsyncSession, now: datetime) -> int:
    """The shipped templates: a new deployment gets them all, an upgraded one those it lacks (a
    new file, or a shipped file with a higher version than any it keeps). A version an operator
    loaded later is never replaced by the shipped one."""
    count = 0
    for path in sorted(DEFAULT_TEMPLATES_DIR.glob("*.yaml")):
        template = await load_file(session, path)
        latest = await reports_q.latest_template(session, template.key)
        if latest is None or latest.version < template.version:
            await store_template(session, template, now)
            count += 1
    return count


async def latest_templates(session: AsyncSession) -> list[ReportTemplate]:
    return await reports_q.latest_templates(session)


def template_of(row: ReportTemplate) -> Template:
    return Template.from_dict(row.data)
