"""Button labels: cut after a whole word, and a list's buttons told apart by what differs."""

from __future__ import annotations

from handlers.labels import button_label, distinct


def test_a_long_label_is_cut_after_a_whole_word() -> None:
    text = "Báo cáo công tác Mặt trận quý · Quý III/2026 · Hội Liên hiệp Phụ nữ xã Yên Nguyên"
    cut = button_label(text, 48)
    assert cut == "Báo cáo công tác Mặt trận quý · Quý III/2026…"
    assert len(cut) <= 48 and text.startswith(cut[:-1]) and text[len(cut) - 1] == " "
    assert button_label("Thôn Cầu Bâm", 48) == "Thôn Cầu Bâm"
    assert button_label("  Thôn \n Cầu   Bâm ") == "Thôn Cầu Bâm"
    # A single word longer than the room is the only thing cut inside.
    assert button_label("x" * 80, 10) == "x" * 9 + "…"


def test_buttons_alike_drop_what_they_share() -> None:
    reports = [
        ("Hội Phụ nữ xã Yên Nguyên", "Báo cáo công tác Mặt trận quý", "Quý III/2026"),
        ("Thôn Cầu Bâm", "Báo cáo công tác Mặt trận quý", "Quý III/2026"),
    ]
    labels, shared = distinct(reports)
    assert labels == ["Hội Phụ nữ xã Yên Nguyên", "Thôn Cầu Bâm"]
    assert shared == ["Báo cáo công tác Mặt trận quý", "Quý III/2026"]
    one, nothing = distinct(reports[:1], limit=80)
    assert one == ["Hội Phụ nữ xã Yên Nguyên · Báo cáo công tác Mặt trận quý · Quý III/2026"]
    assert nothing == []
    twins, _ = distinct([reports[0], reports[0]], limit=80)
    assert twins[0] == twins[1] and "Quý III/2026" in twins[0]
