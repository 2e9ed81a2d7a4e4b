"""Report templates: the shipped quarterly template is valid against the catalog, skip logic asks
the right questions, stored copies round-trip, and every mistake in a file is named with its line."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from bot.catalog import DEFAULT_CATALOG
from bot.template_files import TemplateError, load_template_file, parse_template
from bot.templates import DEFAULT_TEMPLATES_DIR, QUESTION_TYPES, Condition, Template

QUARTERLY = DEFAULT_TEMPLATES_DIR / "quarterly.yaml"


def catalog_activities() -> dict[str, set[str]]:
    data = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    return {t["key"]: {m["key"] for m in t["measures"]} for t in data["types"]}


@pytest.fixture(scope="module")
def quarterly() -> Template:
    return load_template_file(QUARTERLY, known_activities=catalog_activities())


# --- the shipped template ---------------------------------------------------------------------


def test_quarterly_template_parses_and_prefills_from_real_measures(quarterly: Template) -> None:
    known = catalog_activities()
    assert (quarterly.key, quarterly.version, quarterly.period) == ("quarterly_front", 3, "quarter")
    assert quarterly.title("vi") == "Báo cáo công tác Mặt trận quý"
    assert quarterly.title("en-US") == "Quarterly Front work report"
    assert 15 <= len(quarterly.questions) <= 25
    prefilled = {(q.prefill.activity, q.prefill.measure) for q in quarterly.questions if q.prefill}
    assert all(measure in known[activity] for activity, measure in prefilled)
    assert {
        ("chuong_trinh_phoi_hop", "documents"),
        ("giam_sat", "sessions"),
        ("phan_bien", "meetings"),
        ("doi_thoai", "meetings"),
        ("tiep_xuc_cu_tri", "meetings"),
        ("tiep_xuc_cu_tri", "petitions"),
        ("don_thu", "received"),
        ("don_thu", "forwarded"),
        ("don_thu", "resolved"),
        ("quy_vi_nguoi_ngheo", "amount"),
        ("an_sinh_xa_hoi", "amount"),
        ("nha_dai_doan_ket", "built"),
        ("nha_dai_doan_ket", "repaired"),
        ("nha_dai_doan_ket", "value"),
        ("xoa_nha_tam", "houses"),
        ("dan_van_kheo", "models"),
        ("hoa_giai", "cases"),
        ("ket_nap", "persons"),
    } <= prefilled
    numeric = [q for q in quarterly.questions if q.type in ("integer", "money", "decimal")]
    assert all(q.min == 0 and q.max is not None and q.max > 0 for q in numeric)
    assert quarterly.question("poor_fund_raised").type == "money"
    assert quarterly.question("briefing_date").when == Condition("briefing_held", equals=True)
    assessment = quarterly.question("self_assessment")
    assert assessment.type == "choice"
    assert [o.label("vi") for o in assessment.options] == [
        "Hoàn thành xuất sắc",
        "Hoàn thành tốt",
        "Hoàn thành",
        "Chưa hoàn thành",
    ]
    assert quarterly.question("focus_areas").type == "multi"
    difficulties = quarterly.question("difficulties")
    assert difficulties.label("vi") == "Khó khăn, vướng mắc và kiến nghị, đề xuất"
    assert (difficulties.type, difficulties.required) == ("text", False)
    assert [q.type for q in quarterly.questions][-1] == "photo"
    assert not quarterly.questions[-1].required
    # Labels with commas survived intact (the file quotes them).
    assert quarterly.question("programmes_signed").label("vi") == (
        "Số chương trình, kế hoạch phối hợp đã ký kết trong quý"
    )
    assert all(q.label_vi and q.label_en for q in quarterly.questions)


def test_every_shipped_template_is_valid() -> None:
    files = sorted(DEFAULT_TEMPLATES_DIR.glob("*.yaml"))
    assert QUARTERLY in files
    for path in files:
        load_template_file(path, known_activities=catalog_activities())


# --- skip logic -------------------------------------------------------------------------------


def keys(questions: list) -> list[str]:
    return [q.key for q in questions]


def next_key(template: Template, answers: dict[str, object]) -> str:
    """The key of the next question to ask (the tests below expect one)."""
    question = template.next_question(answers)
    assert question is not None, "no question left"
    return question.key


def test_equals_asks_the_follow_up_only_after_yes(quarterly: Template) -> None:
    assert next_key(quarterly, {}) == "programmes_signed"
    answers: dict[str, object] = {"programmes_signed": 2}
    assert next_key(quarterly, answers) == "briefing_held"
    assert "briefing_date" not in keys(quarterly.applicable(answers))  # missing answer
    assert next_key(quarterly, {**answers, "briefing_held": True}) == "briefing_date"
    assert next_key(quarterly, {**answers, "briefing_held": False}) == "supervision_sessions"


def test_exceeds_asks_the_follow_up_only_above_the_number(quarterly: Template) -> None:
    assert "voter_petitions" not in keys(quarterly.applicable({"voter_meetings": 0}))
    assert "voter_petitions" not in keys(quarterly.applicable({"voter_meetings": Decimal(0)}))
    assert "voter_petitions" in keys(quarterly.applicable({"voter_meetings": 3}))
    assert "voter_petitions" in keys(quarterly.applicable({"voter_meetings": Decimal("1")}))
    received = {"complaints_received": 0}
    applicable = keys(quarterly.applicable(received))
    assert "complaints_forwarded" not in applicable and "complaints_resolved" not in applicable
    assert "complaints_resolved" in keys(quarterly.applicable({"complaints_received": 8}))


def test_skipped_optional_answers_count_as_answered(quarterly: Template) -> None:
    answers: dict[str, object] = {q.key: 0 for q in quarterly.applicable({})}
    del answers["difficulties"], answers["photo"]
    assert next_key(quarterly, answers) == "difficulties"
    answers["difficulties"] = None
    assert next_key(quarterly, answers) == "photo"
    answers["photo"] = None
    assert quarterly.next_question(answers) is None


def test_a_stale_answer_does_not_keep_its_follow_ups_alive() -> None:
    template = parse_template(CHAIN)
    answers = {"held": True, "count": 5, "details": "x"}
    assert keys(template.applicable(answers)) == ["held", "count", "details", "topics"]
    # Going back and answering "no" hides `count`, and with it `details`, although both stay stored.
    answers["held"] = False
    assert keys(template.applicable(answers)) == ["held", "topics"]


def test_multi_equals_means_the_option_is_chosen() -> None:
    template = parse_template(CHAIN)
    base = {"held": False}
    assert "note" in keys(template.applicable({**base, "topics": ["poverty", "welfare"]}))
    assert "note" not in keys(template.applicable({**base, "topics": ["welfare"]}))
    assert "note" not in keys(template.applicable({**base, "topics": None}))


def test_condition_holds_only_for_a_present_answer() -> None:
    assert not Condition("a", equals=True).holds({})
    assert not Condition("a", equals=True).holds({"a": None})
    assert not Condition("a", equals=True).holds({"a": 1})  # a number is not "yes"
    assert Condition("a", equals=True).holds({"a": True})
    assert Condition("a", equals="tot").holds({"a": "tot"})
    assert Condition("a", equals=Decimal(0)).holds({"a": 0})
    assert not Condition("a", exceeds=Decimal(0)).holds({"a": 0})
    assert Condition("a", exceeds=Decimal("0.5")).holds({"a": "0.75"})
    assert not Condition("a", exceeds=Decimal(0)).holds({"a": True})
    assert not Condition("a", exceeds=Decimal(0)).holds({"a": "many"})


CHAIN = """\
key: chain
version: 2
title: {vi: "Thử", en: "Test"}
period: month
questions:
  - {key: held, type: yesno, label: {vi: "Có họp?", en: "Held?"}}
  - key: count
    type: decimal
    label: {vi: "Số buổi", en: "Sessions"}
    help: {vi: "Gợi ý, ví dụ", en: "Hint, example"}
    min: -1.5
    max: 10
    when: {question: held, equals: yes}
  - {key: details, type: text, required: false, max_length: 300, label: {vi: "Chi tiết", en: "Details"}, when: {question: count, exceeds: 2.5}}
  - key: topics
    type: multi
    options:
      - {key: poverty, label: {vi: "Giảm nghèo", en: "Poverty reduction"}}
      - {key: welfare, label: {vi: "An sinh", en: "Welfare"}}
    label: {vi: "Chủ đề", en: "Topics"}
  - {key: note, type: text, label: {vi: "Ghi chú", en: "Note"}, when: {question: topics, equals: poverty}}
  - {key: zero, type: integer, label: {vi: "Không", en: "Zero"}, when: {question: count, equals: 0}}
"""


# --- storage -----------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["quarterly", "chain"])
def test_to_dict_round_trips_through_json(source: str, quarterly: Template) -> None:
    template = quarterly if source == "quarterly" else parse_template(CHAIN)
    stored = json.loads(json.dumps(template.to_dict()))
    assert Template.from_dict(stored) == template


def test_chain_template_fields() -> None:
    template = parse_template(CHAIN)
    count = template.question("count")
    assert (count.min, count.max, count.required) == (Decimal("-1.5"), Decimal(10), True)
    assert count.help("vi") == "Gợi ý, ví dụ" and count.help("en") == "Hint, example"
    assert template.question("details").max_length == 300
    assert template.question("note").max_length == 2000
    assert template.question("details").when == Condition("count", exceeds=Decimal("2.5"))
    assert template.question("zero").when == Condition("count", equals=Decimal(0))
    with pytest.raises(KeyError):
        template.question("missing")


def test_load_template_file(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(CHAIN, encoding="utf-8")
    assert load_template_file(path).key == "chain"


# --- errors -------------------------------------------------------------------------------------

HEAD = """\
key: t
version: 1
title: {vi: "Tiêu đề", en: "Title"}
period: quarter
questions:
"""
# Line 6: the first question.
A = '  - {key: a, type: integer, label: {vi: "A", en: "A"}}\n'
YES = '  - {key: y, type: yesno, label: {vi: "Y", en: "Y"}}\n'
CHOICE = (
    '  - {key: c, type: choice, label: {vi: "C", en: "C"}, options: ['
    '{key: one, label: {vi: "1", en: "1"}}, {key: two, label: {vi: "2", en: "2"}}]}\n'
)
KNOWN = {"giam_sat": {"sessions"}}


def q(body: str) -> str:
    """One question on one line, with a label unless the body brings its own."""
    label = "" if "label:" in body else ', label: {vi: "Q", en: "Q"}'
    return f"  - {{{body}{label}}}\n"


ERROR_CASES = [
    ("yaml", "key: t\nversion: [1\n", "line 3: not valid YAML (expected ',' or ']'"),
    ("yaml_quote", 'key: t\ntitle: {vi: "T, en: T}\n', "line 3: not valid YAML"),
    ("not_mapping", "- a\n", "line 1: a template must be a mapping"),
    (
        "unknown_top_field",
        HEAD.replace("period: quarter", "period: quarter\nperiods: month") + A,
        "line 5: template: unknown field 'periods' (did you mean period?)",
    ),
    (
        "typo_required",
        HEAD + A + "  - key: b\n    type: text\n    requried: false\n    label: {vi: B, en: B}\n",
        "line 9: question b: unknown field 'requried' (did you mean required?)",
    ),
    (
        "field_twice",
        HEAD + A + "  - key: b\n    type: text\n    type: integer\n    label: {vi: B, en: B}\n",
        "line 9: question b: type is given twice",
    ),
    (
        "unknown_type",
        HEAD + A + q("key: b, type: number"),
        "line 7: question b: type must be one of " + ", ".join(QUESTION_TYPES) + ", not 'number'",
    ),
    (
        "missing_type",
        HEAD + A + "  - key: b\n    label: {vi: B, en: B}\n",
        "line 7: question b: type must be one of " + ", ".join(QUESTION_TYPES) + ", not None",
    ),
    (
        "missing_en",
        HEAD + A + q('key: b, type: text, label: {vi: "B"}'),
        "line 7: question b: label needs both vi and en",
    ),
    (
        "missing_label",
        HEAD + A + "  - key: b\n    type: text\n",
        "line 7: question b: label needs both vi and en",
    ),
    (
        "missing_title",
        HEAD.replace('title: {vi: "Tiêu đề", en: "Title"}\n', "") + A,
        "line 1: title needs both vi and en",
    ),
    (
        "unquoted_comma",
        HEAD + A + q("key: b, type: text, label: {vi: Xóa nhà tạm, nhà dột nát, en: B}"),
        "line 7: question b: label has unexpected 'nhà dột nát' (put text with commas in quotes)",
    ),
    (
        "unquoted_comma_help",
        HEAD + A + "  - key: b\n    type: text\n    label: {vi: B, en: B}\n"
        "    help: {vi: Gợi ý, ví dụ, en: Hint}\n",
        "line 10: question b: help has unexpected 'ví dụ' (put text with commas in quotes)",
    ),
    (
        "duplicate_question",
        HEAD + A + YES + q("key: a, type: text"),
        "line 8: question a appears twice (first as question 1)",
    ),
    (
        "duplicate_option",
        HEAD
        + A
        + "  - key: c\n    type: choice\n    label: {vi: C, en: C}\n    options:\n"
        + '      - {key: one, label: {vi: "1", en: "1"}}\n'
        + '      - {key: one, label: {vi: "2", en: "2"}}\n',
        "line 12: question c: option one appears twice",
    ),
    (
        "min_above_max",
        HEAD + A + "  - key: b\n    type: integer\n    label: {vi: B, en: B}\n"
        "    min: 10\n    max: 5\n",
        "line 10: question b: min 10 is greater than max 5",
    ),
    (
        "min_on_text",
        HEAD + A + q("key: b, type: text, min: 0"),
        "line 7: question b: min applies only to integer, money and decimal questions",
    ),
    (
        "max_on_choice",
        HEAD + A + CHOICE.replace("options:", "max: 3, options:"),
        "line 7: question c: max applies only to integer, money and decimal questions",
    ),
    (
        "min_not_number",
        HEAD + A + q("key: b, type: integer, min: none"),
        "line 7: question b: min must be a number, not 'none'",
    ),
    (
        "min_not_whole",
        HEAD + A + q("key: b, type: money, min: 0.5"),
        "line 7: question b: min must be a whole number, not 0.5",
    ),
    (
        "prefill_on_text",
        HEAD + A + q("key: b, type: text, prefill: {activity: giam_sat, measure: sessions}"),
        "line 7: question b: prefill applies only to integer, money and decimal questions",
    ),
    (
        "prefill_unknown_activity",
        HEAD + A + q("key: b, type: integer, prefill: {activity: giam_sat_x, measure: sessions}"),
        "line 7: question b: prefill names unknown activity giam_sat_x",
    ),
    (
        "prefill_unknown_measure",
        HEAD + A + q("key: b, type: integer, prefill: {activity: giam_sat, measure: hours}"),
        "line 7: question b: activity giam_sat has no measure hours",
    ),
    (
        "prefill_stray_field",
        HEAD
        + A
        + q("key: b, type: integer, prefill: {activity: giam_sat, measure: sessions, x: 1}"),
        "line 7: question b: prefill: unknown field 'x'",
    ),
    (
        "options_on_integer",
        HEAD + A + CHOICE.replace("type: choice", "type: integer"),
        "line 7: question c: options apply only to choice and multi",
    ),
    (
        "options_missing",
        HEAD + A + q("key: c, type: multi"),
        "line 7: question c: a multi question needs a list of 2 to 20 options",
    ),
    (
        "one_option",
        HEAD
        + A
        + q(
            'key: c, type: choice, label: {vi: "C", en: "C"}, options: [{key: one, label: {vi: "1", en: "1"}}]'
        ),
        "line 7: question c: a choice question needs a list of 2 to 20 options",
    ),
    (
        "bad_option_key",
        HEAD + A + CHOICE.replace("key: two", "key: Two"),
        "line 7: question c: option: key 'Two' must be lower-case letters",
    ),
    (
        "when_unknown",
        HEAD + A + q("key: b, type: text, when: {question: nope, equals: true}"),
        "line 7: question b: skip logic refers to unknown question 'nope'",
    ),
    (
        "when_later",
        HEAD + q("key: b, type: text, when: {question: y, equals: true}") + YES,
        "line 6: question b: skip logic may only refer to an earlier question (y)",
    ),
    (
        "when_itself",
        HEAD + A + q("key: b, type: integer, when: {question: b, exceeds: 0}"),
        "line 7: question b: skip logic may only refer to an earlier question (b)",
    ),
    (
        "when_cycle",
        HEAD
        + q("key: b, type: yesno, when: {question: c, equals: true}")
        + q("key: c, type: yesno, when: {question: b, equals: true}"),
        "line 6: question b: skip logic may only refer to an earlier question (c)",
    ),
    (
        "exceeds_on_yesno",
        HEAD + YES + q("key: b, type: text, when: {question: y, exceeds: 0}"),
        "line 7: question b: exceeds needs a numeric question, and y is yesno",
    ),
    (
        "exceeds_not_number",
        HEAD + A + q("key: b, type: text, when: {question: a, exceeds: lots}"),
        "line 7: question b: when: exceeds must be a number, not 'lots'",
    ),
    (
        "equals_not_an_option",
        HEAD + CHOICE + q("key: b, type: text, when: {question: c, equals: three}"),
        "line 7: question b: equals must be one of c's options (one, two)",
    ),
    (
        "equals_not_bool",
        HEAD + YES + q('key: b, type: text, when: {question: y, equals: "yes"}'),
        "line 7: question b: y is yes/no, so equals must be true or false",
    ),
    (
        "equals_and_exceeds",
        HEAD + A + q("key: b, type: text, when: {question: a, equals: 1, exceeds: 0}"),
        "line 7: question b: when needs exactly one of equals or exceeds",
    ),
    (
        "equals_on_text",
        HEAD + q("key: t, type: text") + q("key: b, type: text, when: {question: t, equals: x}"),
        "line 7: question b: skip logic cannot depend on a text question",
    ),
    (
        "when_stray_field",
        HEAD + YES + q("key: b, type: text, when: {question: y, equals: true, question2: y}"),
        "line 7: question b: when: unknown field 'question2' (did you mean question?)",
    ),
    (
        "option_key_read_as_bool",
        HEAD + A + CHOICE.replace("key: two", "key: no"),
        "line 7: question c: option: key False must be lower-case letters, digits and _ (at most 48),"
        " starting with a letter (YAML reads a bare yes, no, on or off as true/false)",
    ),
    (
        "bad_question_key",
        HEAD + A + q("key: Bad-Key, type: text"),
        "line 7: question 2: key 'Bad-Key' must be lower-case letters, digits and _",
    ),
    (
        "bad_template_key",
        HEAD.replace("key: t", "key: 1t") + A,
        "line 1: template key '1t' must be lower-case letters, digits and _",
    ),
    (
        "version_zero",
        HEAD.replace("version: 1", "version: 0") + A,
        "line 2: version must be a positive whole number, not 0",
    ),
    (
        "version_text",
        HEAD.replace("version: 1", 'version: "1"') + A,
        "line 2: version must be a positive whole number, not '1'",
    ),
    (
        "period_unknown",
        HEAD.replace("period: quarter", "period: week") + A,
        "line 4: period must be one of month, quarter, half, year, not 'week'",
    ),
    (
        "max_length_too_big",
        HEAD + A + q("key: b, type: text, max_length: 5000"),
        "line 7: question b: max_length must be a whole number from 1 to 4000, not 5000",
    ),
    (
        "max_length_on_integer",
        HEAD + A + q("key: b, type: integer, max_length: 10"),
        "line 7: question b: max_length applies only to text",
    ),
    (
        "required_not_bool",
        HEAD + A + q("key: b, type: text, required: maybe"),
        "line 7: question b: required must be true or false",
    ),
    (
        "questions_empty",
        HEAD.replace("questions:\n", "questions: []\n"),
        "line 5: the template needs a non-empty list `questions:`",
    ),
    (
        "at_most_unknown",
        HEAD + A + q("key: b, type: integer, at_most: received"),
        "line 7: question b: at_most refers to unknown question 'received'",
    ),
    (
        "at_most_later",
        HEAD + q("key: b, type: integer, at_most: a") + A,
        "line 6: question b: at_most may only refer to an earlier question (a)",
    ),
    (
        "at_most_not_a_number",
        HEAD + YES + q("key: b, type: integer, at_most: y"),
        "line 7: question b: at_most needs a numeric question, and y is yesno",
    ),
    (
        "at_most_on_text",
        HEAD + A + q("key: b, type: text, at_most: a"),
        "line 7: question b: at_most applies only to integer, money and decimal questions",
    ),
    (
        "within_period_on_a_number",
        HEAD + A + q("key: b, type: integer, within_period: true"),
        "line 7: question b: within_period applies only to dates",
    ),
    (
        "within_period_not_bool",
        HEAD + A + q("key: b, type: date, within_period: maybe"),
        "line 7: question b: within_period must be true or false",
    ),
    (
        "questions_missing",
        HEAD.replace("questions:\n", ""),
        "line 1: the template needs a non-empty list `questions:`",
    ),
]


@pytest.mark.parametrize(
    ("text", "error"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_errors_name_the_line(text: str, error: str) -> None:
    with pytest.raises(TemplateError) as info:
        parse_template(text, known_activities=KNOWN)
    assert all(e.startswith("line ") for e in info.value.errors)
    assert any(e.startswith(error) for e in info.value.errors), info.value.errors


def test_all_errors_are_reported_together_in_line_order() -> None:
    text = (
        HEAD.replace("version: 1", "version: -3")
        + q("key: a, type: integer, min: 5, max: 1")
        + q("key: a, type: texte")
    )
    with pytest.raises(TemplateError) as info:
        parse_template(text)
    lines = [int(e.split(":")[0].removeprefix("line ")) for e in info.value.errors]
    assert lines == [2, 6, 7, 7]
    assert str(info.value).count(";") == 3


def test_the_valid_base_of_the_error_cases_parses() -> None:
    template = parse_template(HEAD + A + YES + CHOICE, known_activities=KNOWN)
    assert keys(list(template.questions)) == ["a", "y", "c"]


def test_consistency_rules_of_the_shipped_template(quarterly: Template) -> None:
    """Forwarded and resolved never above received; the briefing inside the report's period;
    checked against the answers given so far, both ways round (issue 16)."""
    q4 = (date(2026, 9, 15), date(2026, 12, 14))
    assert quarterly.question("complaints_forwarded").at_most == "complaints_received"
    assert quarterly.question("complaints_resolved").at_most == "complaints_received"
    given = {"complaints_received": 10}
    assert quarterly.violation(given, "complaints_forwarded", 10, q4) is None
    above = quarterly.violation(given, "complaints_forwarded", 11, q4)
    assert above is not None and (above.kind, above.limit) == ("above", Decimal(10))
    below = quarterly.violation({**given, "complaints_resolved": 7}, "complaints_received", 6, q4)
    assert below is not None and below.kind == "below" and below.other is not None
    assert below.other.key == "complaints_resolved"
    held = {"briefing_held": True}
    assert quarterly.violation(held, "briefing_date", "2026-12-14", q4) is None
    late = quarterly.violation(held, "briefing_date", "2026-12-15", q4)
    assert late is not None and late.kind == "outside_period"
    # A report stored before the rules still reads (no rules), and the rules survive storage.
    old = quarterly.to_dict()
    for question in old["questions"]:
        del question["at_most"], question["within_period"]
    assert Template.from_dict(old).question("complaints_forwarded").at_most is None
    assert Template.from_dict(quarterly.to_dict()).question("briefing_date").within_period
    stale = {**given, "complaints_forwarded": 12}
    assert [v.question.key for v in quarterly.violations(stale, q4)] == ["complaints_forwarded"]
