"""The draft's next question and /back, independent of Telegram."""

from __future__ import annotations

from decimal import Decimal

from bot.activities import Measure, answer, back, forget, from_milli, next_step, to_milli

MEASURES = (
    Measure("built", "count", "Xây mới", "Built", "căn", "houses", 50),
    Measure("value", "money", "Giá trị", "Value", "đồng", "đồng", 5_000_000_000),
)
KEYS = [m.key for m in MEASURES]


def test_next_step_walks_the_questions_in_order() -> None:
    draft: dict[str, object] = {}
    steps = []
    for field, value in [
        ("unit_id", 1),
        ("type", "nha_dai_doan_ket"),
        ("m:built", "2"),
        ("m:value", "120000000"),
        ("date", "2026-11-15"),
        ("note", None),
        ("photo", None),
    ]:
        steps.append(next_step(draft, KEYS))
        draft = answer(draft, field, value)
    steps.append(next_step(draft, KEYS))
    assert steps == ["unit", "type", "m:built", "m:value", "date", "note", "photo", "review"]


def test_back_forgets_the_latest_answer_and_pending_confirmation_first() -> None:
    draft = answer(answer({"unit_id": 1}, "type", "nha_dai_doan_ket"), "m:built", "2")
    assert next_step(back(draft), KEYS) == "m:built"
    pending = {**draft, "pending": {"key": "value", "value": "99000000000"}}
    assert next_step(pending, KEYS) == "confirm"
    assert next_step(back(pending), KEYS) == "m:value"
    assert back({"unit_id": 1}) == {"unit_id": 1}


def test_changing_the_type_forgets_its_numbers() -> None:
    draft = answer(
        answer(answer({"unit_id": 1}, "type", "x"), "m:built", "2"), "date", "2026-11-15"
    )
    changed = forget(draft, "type")
    assert changed["values"] == {} and "date" in changed and next_step(changed, KEYS) == "type"


def test_milli_round_trip() -> None:
    for value in (
        Decimal(0),
        Decimal(2),
        Decimal("1.5"),
        Decimal("0.001"),
        Decimal(68_000_000_000),
    ):
        assert from_milli(to_milli(value)) == value
    assert to_milli(Decimal(68_000_000_000)) == 68_000_000_000_000
