"""Whom a template is for (issue 16 §3): ``for: {kinds: [...], orgs: [...]}`` is validated with
its line, the shipped templates each name their units, and a template without it is for every
unit and stores as before."""

from __future__ import annotations

import json

import pytest

from bot.template_files import TemplateError, load_template_file, parse_template
from bot.templates import DEFAULT_TEMPLATES_DIR, Template
from tests.bot.test_templates import CHAIN, HEAD, KNOWN, A, catalog_activities

FOR_CASES = [
    (
        "for_unknown_kind",
        HEAD.replace("questions:", "for: {kinds: [thon], orgs: [mttq]}\nquestions:") + A,
        "line 5: for: unknown unit kind 'thon'; known: central, province, district, commune, "
        "residential_area, work_group",
    ),
    (
        "for_kind_misspelt",
        HEAD.replace("questions:", "for: {kinds: [comune]}\nquestions:") + A,
        "line 5: for: unknown unit kind 'comune' (did you mean commune?)",
    ),
    (
        "for_unknown_org",
        HEAD.replace("questions:", "for: {orgs: [phunu]}\nquestions:") + A,
        "line 5: for: unknown organisation 'phunu' (did you mean phu_nu?)",
    ),
    (
        "for_unknown_field",
        HEAD.replace("questions:", "for: {kind: [commune]}\nquestions:") + A,
        "line 5: for: unknown field 'kind' (did you mean kinds?)",
    ),
    (
        "for_empty_list",
        HEAD.replace("questions:", "for: {kinds: []}\nquestions:") + A,
        "line 5: for: kinds must be a non-empty list",
    ),
    (
        "for_not_a_list",
        HEAD.replace("questions:", "for: {orgs: mttq}\nquestions:") + A,
        "line 5: for: orgs must be a non-empty list",
    ),
    (
        "for_twice",
        HEAD.replace("questions:", "for: {orgs: [mttq, mttq]}\nquestions:") + A,
        "line 5: for: orgs names mttq twice",
    ),
    (
        "for_empty",
        HEAD.replace("questions:", "for: {}\nquestions:") + A,
        "line 5: for must be {kinds: [...], orgs: [...]}",
    ),
    (
        "for_a_list",
        HEAD.replace("questions:", "for: [commune]\nquestions:") + A,
        "line 5: for must be {kinds: [...], orgs: [...]}",
    ),
]


@pytest.mark.parametrize(
    ("text", "error"), [c[1:] for c in FOR_CASES], ids=[c[0] for c in FOR_CASES]
)
def test_for_errors_name_the_line(text: str, error: str) -> None:
    with pytest.raises(TemplateError) as info:
        parse_template(text, known_activities=KNOWN)
    assert any(e.startswith(error) for e in info.value.errors), info.value.errors


def test_the_shipped_templates_say_whom_they_are_for() -> None:
    """Issue 16 §3: each report goes to the units it was written for; the Front committees'
    reports ask about "the People's Committee at the same level", which a thôn has not."""
    shipped = {
        t.key: t
        for t in (
            load_template_file(p, known_activities=catalog_activities())
            for p in DEFAULT_TEMPLATES_DIR.glob("*.yaml")
        )
    }
    audiences = {key: (t.period, t.kinds, t.orgs) for key, t in shipped.items()}
    front = ("province", "district", "commune")
    assert audiences == {
        "quarterly_front": ("quarter", front, ("mttq",)),
        "half_year_front": ("half", front, ("mttq",)),
        "year_end_front": ("year", front, ("mttq",)),
        "residential_front": ("quarter", ("residential_area",), ("mttq",)),
        "womens_union_quarterly": ("quarter", (*front, "residential_area"), ("phu_nu",)),
    }
    for template in shipped.values():
        texts = [q.label("vi") for q in template.questions]
        same_level = any("cùng cấp" in text for text in texts)
        assert same_level == (template.kinds == front), template.key
        assert all(
            q.label_vi and q.label_en and q.label_vi != q.label_en for q in template.questions
        )
    thon = shipped["residential_front"]
    assert thon.fits("residential_area", "mttq")
    assert not thon.fits("residential_area", "phu_nu") and not thon.fits("commune", "mttq")
    quarterly = shipped["quarterly_front"]
    assert quarterly.fits("commune", "mttq") and not quarterly.fits("residential_area", "mttq")
    assert shipped["womens_union_quarterly"].fits("residential_area", "phu_nu")


def test_a_template_without_for_is_for_every_unit_and_stores_as_before() -> None:
    """Templates written before audiences existed keep working, and their stored copy does not
    change (loading the same file again is not a new version)."""
    template = parse_template(CHAIN)
    assert (template.kinds, template.orgs) == ((), ())
    assert template.fits("residential_area", "ubnd") and template.fits("commune", "mttq")
    assert "for" not in template.to_dict()
    only_orgs = parse_template(CHAIN.replace("questions:", "for: {orgs: [phu_nu]}\nquestions:"))
    assert only_orgs.fits("province", "phu_nu") and not only_orgs.fits("province", "mttq")
    assert only_orgs.to_dict()["for"] == {"kinds": [], "orgs": ["phu_nu"]}
    assert Template.from_dict(json.loads(json.dumps(only_orgs.to_dict()))) == only_orgs


def test_a_deployment_may_name_its_own_levels() -> None:
    """Unit kinds are data: a deployment that added a level names it in ``for:``."""
    text = CHAIN.replace("questions:", "for: {kinds: [to_tu_quan]}\nquestions:")
    with pytest.raises(TemplateError):
        parse_template(text)
    template = parse_template(text, known_kinds=("commune", "to_tu_quan"))
    assert template.kinds == ("to_tu_quan",)
