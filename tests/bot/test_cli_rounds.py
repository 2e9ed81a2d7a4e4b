"""``phoihop rounds open`` and the templates' audiences (issue 16 §3): only the units a template
is for are asked, a template for none of them is refused saying whom it is for, and a deadline
before the period's cut-off needs --before-cutoff."""

from __future__ import annotations

import pytest

from tests.bot.test_cli import NEXT, run, url

__all__ = ["url"]  # the fixture, shared with the other CLI tests


def rounds_open(
    capsys: pytest.CaptureFixture[str], url: str, template: str, deadline: str, *extra: str
) -> tuple[int, str, str]:
    """``rounds open`` of ``template`` for Q4 of next year over the province (code 08)."""
    return run(
        capsys,
        url,
        "rounds",
        "open",
        "--template",
        template,
        "--period",
        f"Q4 {NEXT}",
        "--unit",
        "08",
        "--deadline",
        deadline,
        *extra,
    )


def test_rounds_open_asks_only_the_units_a_template_is_for(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 16 §3: the residential areas' report over a province of communes asks nobody, and
    says whom it is for; the Front's quarterly report is not the Women's Union's."""
    assert run(capsys, url, "db", "upgrade")[0] == 0
    assert run(capsys, url, "areas", "import", "--province", "tuyen_quang")[0] == 0
    listed = run(capsys, url, "templates", "list")[1]
    assert "residential_front  v1  [quarter]" in listed
    assert "for: mttq / residential_area" in listed
    assert "womens_union_quarterly  v1  [quarter]" in listed
    assert "half_year_front  v1  [half]" in listed and "year_end_front  v1  [year]" in listed
    code, _, err = rounds_open(capsys, url, "residential_front", f"20/12/{NEXT}")
    assert (code, err.strip()) == (
        2,
        "phoihop: cannot open the round: template residential_front is for "
        "mttq / residential_area, and none of the units asked is (see --kind, --org)",
    )
    code, _, err = rounds_open(capsys, url, "quarterly_front", f"20/12/{NEXT}", "--org", "phu_nu")
    assert code == 2 and "template quarterly_front is for mttq / province, district, commune" in err
    code, _, err = rounds_open(
        capsys, url, "quarterly_front", f"20/12/{NEXT}", "--kind", "residential_area"
    )
    assert code == 2 and "template quarterly_front is for" in err
    assert run(capsys, url, "rounds", "list")[1] == ""


def test_rounds_open_before_the_cut_off_needs_the_flag(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Q4 runs to 14/12 (Decree 09): a deadline on 10/12 is refused with the reason, and opened
    with --before-cutoff."""
    assert run(capsys, url, "db", "upgrade")[0] == 0
    assert run(capsys, url, "areas", "import", "--province", "tuyen_quang")[0] == 0
    code, _, err = rounds_open(capsys, url, "quarterly_front", f"10/12/{NEXT}")
    assert (code, err.strip()) == (
        2,
        f"phoihop: the deadline 10/12/{NEXT} is before the end of Q4 {NEXT} (14/12/{NEXT}, its "
        "cut-off for figures): units would report before the period is over; add "
        "--before-cutoff to open it anyway",
    )
    code, out, err = rounds_open(capsys, url, "quarterly_front", f"10/12/{NEXT}", "--before-cutoff")
    assert code == 0, err
    assert out.startswith(f"round #1 open: quarterly_front v3, Q4 {NEXT}, 124 units")
