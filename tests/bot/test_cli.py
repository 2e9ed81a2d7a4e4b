"""The operator's command line: every command, and every failure as one line (no traceback)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.runtime.cli import main
from storage.db import Database
from storage.models import Base
from tests.conftest import REFERENCE_TABLES, _run_outside_loop

#: Next year: a round's deadline must lie ahead of the real clock the CLI reads, and within the
#: years dates may name (bot/date_window.py: up to five years ahead).
NEXT = date.today().year + 1


@pytest.fixture
def url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PHOIHOP_BOT_USERNAME", "phoihop_bot")
    monkeypatch.delenv("PHOIHOP_BOT_TOKEN", raising=False)
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
        return
    pg: str = request.getfixturevalue("postgres_schema")

    async def truncate() -> None:
        db = Database(pg)
        tables = [t.name for t in Base.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
        async with db.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        await db.dispose()

    _run_outside_loop(truncate())
    yield pg


def run(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str, str]:
    code = main(["--database-url", url, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_operator_builds_a_tree_and_invites(
    url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(capsys, url, "db", "upgrade")[0] == 0
    code, out, _ = run(capsys, url, "areas", "import", "--province", "tuyen_quang")
    assert code == 0 and out.startswith("added 125 units")
    assert run(capsys, url, "areas", "import", "--province", "08")[1].startswith(
        "added 0 units, 125 already present"
    )

    csv_file = tmp_path / "thon.csv"
    csv_file.write_text(
        "code,name,kind,org,parent\n"
        "02365-t1-pn,Chi hội Phụ nữ thôn Cầu Bâm,residential_area,phu_nu,02365-t1\n"
        "02365-t1,Thôn Cầu Bâm,residential_area,mttq,02365\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, url, "units", "import", str(csv_file))
    assert (code, out.strip(), err) == (0, "added 2 units, 0 already present", "")

    code, out, _ = run(
        capsys,
        url,
        "units",
        "add",
        "--parent",
        "02365",
        "--kind",
        "work_group",
        "--name",
        "Tổ tự quản số 1",
        "--code",
        "02365-tq1",
    )
    assert code == 0 and out.strip() == "added 02365-tq1: Tổ tự quản số 1"

    code, out, _ = run(capsys, url, "units", "list", "--under", "02365", "--json")
    units = json.loads(out)
    assert units[0] == {
        "code": "02365",
        "name": "Ủy ban MTTQ xã Yên Nguyên",
        "kind": "commune",
        "org": "mttq",
        "parent": "08",
    }
    assert {
        "code": "02365-t1-pn",
        "name": "Chi hội Phụ nữ thôn Cầu Bâm",
        "kind": "residential_area",
        "org": "phu_nu",
        "parent": "02365-t1",
    } in units
    assert len(units) == 4

    code, out, _ = run(
        capsys,
        url,
        "admin",
        "invite",
        "--unit",
        "02365-t1",
        "--role",
        "cadre",
        "--uses",
        "5",
        "--expires",
        "3d",
    )
    assert code == 0
    assert out.strip().splitlines()[-1].startswith("https://t.me/phoihop_bot?start=")
    code, out, _ = run(capsys, url, "admin", "grant", "5550001", "--unit", "08", "--role", "owner")
    assert (code, out.strip()) == (0, "5550001 is now owner of Ủy ban MTTQ tỉnh Tuyên Quang (08)")


def test_bad_csv_imports_nothing_and_names_lines(
    url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, url, "db", "upgrade")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,kind,org,parent\n"
        "a,Tỉnh A,province,mttq,\n"
        "b,Xã B,hamlet,mttq,a\n"
        "c,Xã C,commune,mttq,nowhere\n"
        "a,Lặp,province,mttq,\n",
        encoding="utf-8",
    )
    code, _out, err = run(capsys, url, "units", "import", str(bad))
    assert code == 2
    assert "phoihop: line 5: code 'a' repeats line 2" in err
    assert "nothing was imported" in err
    assert json.loads(run(capsys, url, "units", "list", "--json")[1]) == []
    bad.write_text(
        "code,name,kind,org,parent\na,Tỉnh A,province,mttq,\nb,Xã B,hamlet,mttq,a\nc,Xã C,commune,mttq,nowhere\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, url, "units", "import", str(bad))
    assert "line 3: unit b: unknown kind 'hamlet'" in err
    assert "line 4: parent 'nowhere' not found" in err
    assert json.loads(run(capsys, url, "units", "list", "--json")[1]) == []
    bad.write_text("id,title\n1,x\n", encoding="utf-8")
    assert (
        "line 1: missing column(s) code, name, kind, org, parent"
        in run(capsys, url, "units", "import", str(bad))[2]
    )


def test_one_line_failures(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, url, "db", "upgrade")
    code, _, err = run(capsys, url, "admin", "invite", "--unit", "nope", "--role", "cadre")
    assert (code, err) == (2, "phoihop: no unit with code 'nope' (see `phoihop units list`)\n")
    code, _, err = run(
        capsys, url, "admin", "invite", "--unit", "nope", "--role", "cadre", "--expires", "forever"
    )
    assert err.startswith("phoihop: not a duration: 'forever'") and err.count("\n") == 1
    code, _, err = run(
        capsys, url, "units", "add", "--kind", "commune", "--name", "X", "--org", "party"
    )
    assert err.startswith("phoihop: unit u-1: unknown organisation 'party'")
    code, _, err = run(capsys, url, "run")
    assert (code, err.count("\n")) == (2, 1) and "PHOIHOP_BOT_TOKEN is not set" in err


def test_unit_names_have_a_sane_length(
    url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A unit's name is quoted in captions, headings and lists: a 121st character is refused,
    by `units add` and by `units import` (naming the line), and nothing is added."""
    run(capsys, url, "db", "upgrade")
    name = "Ban Công tác Mặt trận " + "x" * 99  # 121 characters
    code, _, err = run(
        capsys, url, "units", "add", "--kind", "commune", "--name", name, "--code", "long"
    )
    assert (code, err) == (
        2,
        "phoihop: unit long: name is 121 characters long, at most 120 please\n",
    )
    code, _, err = run(
        capsys, url, "units", "add", "--kind", "commune", "--name", "Xã A\nXã B", "--code", "two"
    )
    assert (code, err) == (2, "phoihop: unit two: name must be one line\n")
    csv_file = tmp_path / "long.csv"
    csv_file.write_text(
        f"code,name,kind,org,parent\na,Tỉnh A,province,mttq,\nb,{name},commune,mttq,a\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, url, "units", "import", str(csv_file))
    assert code == 2 and "line 3: unit b: name is 121 characters long, at most 120 please" in err
    assert json.loads(run(capsys, url, "units", "list", "--json")[1]) == []
    code, out, _ = run(
        capsys, url, "units", "add", "--kind", "commune", "--name", name[:120], "--code", "ok"
    )
    assert code == 0 and out.strip() == f"added ok: {name[:120]}"


def test_run_refuses_an_out_of_date_schema(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PHOIHOP_BOT_TOKEN", "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    code, _, err = run(capsys, url, "run")
    assert code == 2
    assert err.startswith("phoihop: the database schema is empty, this version needs ")
    assert err.strip().endswith("run `phoihop db upgrade`")
    assert run(capsys, url, "db", "current")[0] == 1


def test_bad_or_unreachable_database(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "mysql://x/y", "units", "list")
    assert (code, err) == (
        2,
        "phoihop: PHOIHOP_DATABASE_URL: unsupported database 'mysql': use sqlite+aiosqlite:///FILE or postgresql+asyncpg://...\n",
    )
    code, _, err = run(
        capsys, "postgresql+asyncpg://nobody:secret@127.0.0.1:1/none", "units", "list"
    )
    assert code == 2 and err.startswith(
        "phoihop: cannot use the database postgresql+asyncpg://nobody:***@127.0.0.1:1/none"
    )
    assert "secret" not in err and err.count("\n") == 1
    code, _, err = run(capsys, f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/x.db", "units", "list")
    assert code == 2 and err.startswith("phoihop: cannot use the database")
    assert err.endswith(f"the folder {tmp_path}/no/such/dir does not exist\n")


def test_catalog_load(url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, url, "db", "upgrade")[0] == 0
    assert run(capsys, url, "catalog", "load")[1].strip() == "0 added, 20 updated, 0 retired"
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "types:\n"
        "  - key: cuu_tro\n"
        "    name: {vi: Cứu trợ thiên tai, en: Disaster relief}\n"
        "    measures: [{key: amount, kind: money, label: {vi: Số tiền, en: Amount}}]\n"
        "  - key: hoa_giai\n"
        "    retired: true\n"
        "    name: {vi: Hòa giải ở cơ sở, en: Grassroots mediation}\n"
        "    measures: [{key: cases, kind: count, label: {vi: Số vụ, en: Cases}}]\n",
        encoding="utf-8",
    )
    assert (
        run(capsys, url, "catalog", "load", str(extra))[1].strip()
        == "1 added, 0 updated, 1 retired"
    )
    extra.write_text(
        "types:\n  - key: x\n    name: {vi: X, en: X}\n    measures: [{key: n, kind: weight, label: {vi: N, en: N}}]\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, url, "catalog", "load", str(extra))
    assert (
        code == 2
        and "phoihop: line 4: type x: measure n: kind must be one of count, money, decimal" in err
    )
    assert err.strip().endswith("nothing was imported")


def test_templates_and_rounds(url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, url, "db", "upgrade")[0] == 0
    assert run(capsys, url, "areas", "import", "--province", "tuyen_quang")[0] == 0
    assert (
        "quarterly_front  v3  [quarter]  Báo cáo công tác Mặt trận quý  "
        "for: mttq / province, district, commune" in run(capsys, url, "templates", "list")[1]
    )
    from bot.templates import DEFAULT_TEMPLATES_DIR

    path = DEFAULT_TEMPLATES_DIR / "quarterly.yaml"
    assert (
        run(capsys, url, "templates", "load", str(path))[1].strip()
        == "quarterly_front version 3 unchanged"
    )
    changed = tmp_path / "q.yaml"
    changed.write_text(
        path.read_text(encoding="utf-8").replace(
            "Báo cáo công tác Mặt trận quý", "Báo cáo quý (sửa)"
        ),
        encoding="utf-8",
    )
    assert (
        run(capsys, url, "templates", "load", str(changed))[1].strip()
        == "quarterly_front version 4 loaded"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        path.read_text(encoding="utf-8").replace("type: yesno", "type: maybe", 1), encoding="utf-8"
    )
    code, _, err = run(capsys, url, "templates", "load", str(bad))
    assert (
        code == 2
        and "line 29: question briefing_held: type must be one of" in err
        and err.strip().endswith("nothing was imported")
    )

    code, out, err = run(
        capsys,
        url,
        "rounds",
        "open",
        "--template",
        "quarterly_front",
        "--period",
        f"Q4 {NEXT}",
        "--unit",
        "08",
        "--deadline",
        f"20/12/{NEXT}",
    )
    assert code == 0, err
    assert out.startswith(
        f"round #1 open: quarterly_front v4, Q4 {NEXT}, 124 units, deadline 20/12/{NEXT}"
    )
    assert (
        f"#1  quarterly_front  Q4 {NEXT}  08  0/124 submitted"
        in run(capsys, url, "rounds", "list")[1]
    )
    code, _, err = run(
        capsys,
        url,
        "rounds",
        "open",
        "--template",
        "quarterly_front",
        "--period",
        "Q4 2020",
        "--unit",
        "08",
        "--deadline",
        "20/12/2020",
    )
    assert (code, err.strip()) == (2, "phoihop: cannot open the round: deadline past")
    # The same template, period and unit again: refused, naming the round that asks already
    # (issue 15 §6).
    code, _, err = run(
        capsys,
        url,
        "rounds",
        "open",
        "--template",
        "quarterly_front",
        "--period",
        f"Q4 {NEXT}",
        "--unit",
        "08",
        "--deadline",
        f"22/12/{NEXT}",
    )
    assert (code, err.strip()) == (
        2,
        "phoihop: cannot open the round: round #1 already asks the same template "
        f"for Q4 {NEXT} of this unit",
    )
    # Years outside the window dates may name (issue 15 §5): the reason, in one line.
    for period, deadline in (("Q4 9999", f"20/12/{NEXT}"), (f"Q4 {NEXT}", "01/01/0001")):
        code, _, err = run(
            capsys,
            url,
            "rounds",
            "open",
            "--template",
            "quarterly_front",
            "--period",
            period,
            "--unit",
            "08",
            "--deadline",
            deadline,
        )
        assert code == 2 and "must be from" in err and err.count("\n") == 1, err
    code, _, err = run(
        capsys,
        url,
        "rounds",
        "open",
        "--template",
        "nope",
        "--period",
        f"Q4 {NEXT}",
        "--unit",
        "08",
        "--deadline",
        f"20/12/{NEXT}",
    )
    assert err.strip() == "phoihop: no template 'nope' (see `phoihop templates list`)"
    code, _, err = run(
        capsys,
        url,
        "rounds",
        "open",
        "--template",
        "quarterly_front",
        "--period",
        "someday",
        "--unit",
        "08",
        "--deadline",
        f"20/12/{NEXT}",
    )
    assert code == 2 and err.startswith("phoihop: ") and err.count("\n") == 1


def test_rollup_rebuild(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, url, "db", "upgrade")[0] == 0
    assert run(capsys, url, "rollup", "rebuild")[1].strip() == "rollup rebuilt: 0 rows"


def test_run_webhook_refuses_in_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No secret, a plain-http URL, a bad --listen or secret: one line, exit 2, before any work."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PHOIHOP_BOT_TOKEN", "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    monkeypatch.delenv("PHOIHOP_WEBHOOK_SECRET", raising=False)
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    hook = "https://bot.example.org/tg/hook"
    code, _, err = run(capsys, url, "run", "--webhook", hook)
    assert (code, err.count("\n")) == (2, 1)
    assert err.startswith("phoihop: PHOIHOP_WEBHOOK_SECRET is not set: webhook mode needs a secret")
    monkeypatch.setenv("PHOIHOP_WEBHOOK_SECRET", "s3cret-value_1")
    code, _, err = run(capsys, url, "run", "--webhook", "http://bot.example.org/hook")
    assert (code, err.count("\n")) == (2, 1) and "must be a public https:// URL" in err
    code, _, err = run(capsys, url, "run", "--webhook", hook, "--listen", "8443")
    assert (code, err.count("\n")) == (2, 1) and "--listen must be HOST:PORT" in err
    # Everything right but the schema: the same check as polling mode.
    code, _, err = run(capsys, url, "run", "--webhook", hook, "--listen", "[::1]:8443")
    assert code == 2 and err.startswith("phoihop: the database schema is empty")
    monkeypatch.setenv("PHOIHOP_WEBHOOK_SECRET", "has spaces and the secret")
    code, _, err = run(capsys, url, "run", "--webhook", hook)
    assert (code, err.count("\n")) == (2, 1) and err.startswith(
        "phoihop: PHOIHOP_WEBHOOK_SECRET: must be"
    )
    assert "has spaces" not in err


def _seed_demo_year(url: str) -> None:
    """The demo province with a year of entries up to 16/11/2026 (units, people, rollup)."""
    from datetime import UTC, date, datetime

    from bot.demo import seed_demo, seed_demo_activities

    async def seed() -> None:
        db = Database(url)
        now = datetime(2026, 11, 16, 1, 30, tzinfo=UTC)
        async with db.session() as session:
            await seed_demo(session, now)
            await seed_demo_activities(session, date(2026, 11, 16), now)
        await db.dispose()

    _run_outside_loop(seed())


def _sql_sums(url: str, code: str, start: object, end: object) -> dict[tuple[str, str], int]:
    """Independent of the export code: one GROUP BY over the raw entries under the unit's path,
    keyed by the Vietnamese header text the sheet should carry (type name — measure label)."""
    sums: dict[tuple[str, str], int] = {}

    async def query() -> None:
        db = Database(url)
        async with db.engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT t.name_vi, m.label_vi, SUM(v.value_milli) FROM activities a "
                    "JOIN activity_values v ON v.activity_id = a.id "
                    "JOIN units u ON u.id = a.unit_id "
                    "JOIN activity_types t ON t.key = a.type_key "
                    "JOIN activity_measures m ON m.type_key = a.type_key AND m.key = v.measure_key "
                    "WHERE a.deleted_at IS NULL AND a.occurred_on BETWEEN :start AND :end "
                    "AND u.path LIKE (SELECT path FROM units WHERE code = :code) || '%' "
                    "GROUP BY t.name_vi, m.label_vi"
                ),
                {"start": start, "end": end, "code": code},
            )
            for name, label, milli in rows.all():
                if milli:
                    sums[(str(name), str(label))] = int(milli) // 1000
        await db.dispose()

    _run_outside_loop(query())
    return sums


def test_export_writes_the_commune_workbook(
    url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from datetime import date

    from openpyxl import load_workbook

    from bot.export import SHEETS
    from bot.periods import parse_period

    assert run(capsys, url, "db", "upgrade")[0] == 0
    _seed_demo_year(url)
    out = tmp_path / "yen-nguyen.xlsx"
    code, printed, err = run(
        capsys, url, "export", "--unit", "02365", "--period", "quý 3/2026", "--out", str(out)
    )
    assert (code, err) == (0, "")
    assert printed.splitlines()[-1] == str(out)
    assert printed.startswith(
        "Ủy ban MTTQ xã Yên Nguyên (02365), Q3 2026 (15/06/2026–14/09/2026): "
    )
    assert not list(tmp_path.glob("*.part"))  # written beside, then renamed into place

    book = load_workbook(out, read_only=True)
    assert book.sheetnames == list(SHEETS)
    rows = list(book["Tổng hợp"].iter_rows(values_only=True))
    header, own = rows[0], rows[1]
    assert own[0] == "Ủy ban MTTQ xã Yên Nguyên"
    period = parse_period("quý 3/2026", date(2026, 11, 16))
    expected = _sql_sums(url, "02365", period.start, period.end)
    assert expected  # the demo logs something every quarter
    cells = {}
    for col, label in enumerate(header[1:], start=1):
        name, _, measure = str(label).partition(" — ")
        cells[(name, measure.split(" (")[0])] = own[col]
    assert {k: v for k, v in cells.items() if v is not None} == expected
    assert all(isinstance(v, int) for v in expected.values())

    log = list(book["Nhật ký hoạt động"].iter_rows(values_only=True))[1:]
    assert log and all(period.start <= r[1].date() <= period.end for r in log)
    assert all(str(r[2]).startswith("02365") for r in log)  # only the commune's subtree
    book.close()


def test_export_default_name_and_month(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, url, "db", "upgrade")[0] == 0
    _seed_demo_year(url)
    code, printed, err = run(capsys, url, "export", "--unit", "02350")
    assert (code, err) == (0, "")
    written = Path(printed.splitlines()[-1])
    assert written.name.startswith("phoihop-02350-") and written.suffix == ".xlsx"
    assert written.is_file() and not written.is_absolute()  # in the current folder


def test_export_refusals_are_one_line(
    url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(capsys, url, "db", "upgrade")[0] == 0
    _seed_demo_year(url)
    code, _, err = run(capsys, url, "export", "--unit", "99999")
    assert (code, err) == (2, "phoihop: no unit with code '99999' (see `phoihop units list`)\n")
    code, _, err = run(capsys, url, "export", "--unit", "02365", "--period", "quý 7")
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("phoihop: cannot read the period 'quý 7': ")
    missing = tmp_path / "no" / "such.xlsx"
    code, _, err = run(capsys, url, "export", "--unit", "02365", "--out", str(missing))
    assert (code, err) == (
        2,
        f"phoihop: cannot write {missing}: folder {missing.parent} does not exist\n",
    )
    assert not list(tmp_path.glob("*.xlsx"))


def _seed_demo_with_a_log_in_progress(url: str) -> None:
    """The demo province; Nam (cadre of Thôn Cầu Bâm) half-way through a /log for his unit."""
    from datetime import UTC, datetime

    from bot.demo import seed_demo
    from storage.queries import state as state_q
    from storage.queries import units as units_q

    async def seed() -> None:
        db = Database(url)
        now = datetime(2026, 11, 16, 1, 30, tzinfo=UTC)
        async with db.session() as session:
            await seed_demo(session, now)
            unit = await units_q.by_code(session, "02365-t1")
            assert unit is not None
            state = state_q.FlowState("log", "type", {"draft": {"unit_id": unit.id}}, unit.id)
            await state_q.save(session, 1004, 1004, state, now)
        await db.dispose()

    _run_outside_loop(seed())


def _sql_rows(url: str, query: str) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []

    async def read() -> None:
        db = Database(url)
        async with db.session() as session:
            rows.extend(tuple(r) for r in (await session.execute(text(query))).all())
        await db.dispose()

    _run_outside_loop(read())
    return rows


def test_admin_lists_removes_changes_roles_and_withdraws(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 15: `phoihop admin` had only invite and grant (which never lowers a role), and
    nothing withdrew a leaked link."""
    assert run(capsys, url, "db", "upgrade")[0] == 0
    _seed_demo_with_a_log_in_progress(url)
    area = "Ban Công tác Mặt trận thôn Cầu Bâm (02365-t1)"
    leaked = run(
        capsys, url, "admin", "invite", "--unit", "02365-t1", "--role", "admin",
        "--uses", "500", "--expires", "90d",
    )  # fmt: skip
    assert leaked[0] == 0
    code, out, _ = run(capsys, url, "admin", "list", "--unit", "02365-t1")
    assert code == 0
    lines = out.splitlines()
    assert lines[:2] == [f"{area}: 1 member(s)", "  1004\tcadre\tLê Văn Nam\tsince 16/11/2026"]
    assert lines[2] == "invite links still open: 1"
    assert lines[3].startswith("  #1\tadmin\tused 0 of 500\tuntil ")

    assert run(capsys, url, "admin", "revoke", "1")[1] == (
        "invite #1 (admin of Ban Công tác Mặt trận thôn Cầu Bâm, 02365-t1) is withdrawn\n"
    )
    assert (
        "invite links still open: 0" in run(capsys, url, "admin", "list", "--unit", "02365-t1")[1]
    )
    role = ("admin", "role", "1004", "--unit", "02365-t1", "--role")
    assert run(capsys, url, *role, "admin")[1] == f"1004 is now admin of {area}\n"
    assert run(capsys, url, *role, "cadre")[1] == f"1004 is now cadre of {area}\n"
    code, out, _ = run(capsys, url, "admin", "remove", "1004", "--unit", "02365-t1")
    assert (code, out) == (0, f"1004 is no longer cadre of {area}; closed: log\n")
    # His /log for the unit is closed with the membership.
    assert _sql_rows(url, "SELECT flow FROM chat_states WHERE user_id = 1004") == []

    assert run(capsys, url, "admin", "remove", "1004", "--unit", "02365-t1")[:3:2] == (
        2,
        f"phoihop: 1004 is not a member of {area}\n",
    )
    assert run(capsys, url, *role[:4], "02365", "--role", "admin")[2] == (
        "phoihop: 1004 is not a member of Ủy ban MTTQ xã Yên Nguyên (02365)\n"
    )
    assert run(capsys, url, "admin", "role", "1002", "--unit", "02365", "--role", "admin")[2] == (
        "phoihop: 1002 is already admin of Ủy ban MTTQ xã Yên Nguyên (02365)\n"
    )
    assert run(capsys, url, "admin", "revoke", "99")[2] == "phoihop: no invite #99\n"
    assert _sql_rows(
        url,
        "SELECT action, role_before, role_after, source, by_id IS NULL, invite_id"
        " FROM membership_events ORDER BY id",
    ) == [
        ("revoke", "admin", None, "cli", 1, 1),
        ("role", "cadre", "admin", "cli", 1, None),
        ("role", "admin", "cadre", "cli", 1, None),
        ("remove", "cadre", None, "cli", 1, None),
    ]


def test_admin_grant_is_audited_and_list_shows_the_changes(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 15 §1: remove, role and revoke were audited, but a role given by `admin grant`
    left no trace. Every change of a membership is in the audit, and `admin list` shows it."""
    assert run(capsys, url, "db", "upgrade")[0] == 0
    _seed_demo_with_a_log_in_progress(url)
    grant = ("admin", "grant", "5550002", "--unit", "02365-t1", "--role")
    assert run(capsys, url, *grant, "cadre")[0] == 0
    assert run(capsys, url, *grant, "admin")[0] == 0
    assert run(capsys, url, *grant, "cadre")[1].startswith("5550002 is now admin")  # kept
    assert run(capsys, url, "admin", "remove", "5550002", "--unit", "02365-t1")[0] == 0
    assert _sql_rows(
        url,
        "SELECT action, role_before, role_after, source, by_id IS NULL"
        " FROM membership_events ORDER BY id",
    ) == [
        ("grant", None, "cadre", "cli", 1),
        ("grant", "cadre", "admin", "cli", 1),
        ("remove", "admin", None, "cli", 1),
    ]
    out = run(capsys, url, "admin", "list", "--unit", "02365-t1")[1]
    changes = out.split("changes (the last 20): 3\n")[1].splitlines()
    assert [line.split("\t")[1:] for line in changes] == [
        ["grant", "5550002", "- -> cadre", "by cli"],
        ["grant", "5550002", "cadre -> admin", "by cli"],
        ["remove", "5550002", "admin -> -", "by cli"],
    ]


def test_activities_parse(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One JSON object per line (the argument, or each line of stdin), read with the words the
    database's catalog stored."""
    assert run(capsys, url, "db", "upgrade")[0] == 0
    code, out, _ = run(
        capsys, url, "activities", "parse", "--today", "2026-11-20", "hôm qua QVNN 1,4 tỷ"
    )
    assert code == 0
    assert json.loads(out) == {
        "text": "hôm qua QVNN 1,4 tỷ",
        "activities": [
            {"type": "quy_vi_nguoi_ngheo", "measures": {"amount": 1400000000}, "date": "2026-11-19"}
        ],
        "note": "hôm qua QVNN 1,4 tỷ",
    }
    monkeypatch.setattr("sys.stdin", io.StringIO("cảm ơn\nhoa giai 2 vu, hiến 150,5 m2 đất NTM\n"))
    code, out, _ = run(capsys, url, "activities", "parse", "--today", "2026-11-20")
    assert code == 0
    assert [json.loads(line)["activities"] for line in out.splitlines()] == [
        [],
        [
            {"type": "hoa_giai", "measures": {"cases": 2}, "date": None},
            {"type": "nong_thon_moi", "measures": {"land_m2": 150.5}, "date": None},
        ],
    ]
    code, _, err = run(capsys, url, "activities", "parse", "--today", "20/11/2026", "x")
    assert code == 2 and err == "phoihop: --today must be YYYY-MM-DD, not '20/11/2026'\n"
