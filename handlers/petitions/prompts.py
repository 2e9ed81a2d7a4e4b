"""What an action on a recommendation needs typed: the Front's own answer, the reason to
decline, the code to merge into, the comment on an unsatisfactory answer, the authority's answer
(then an optional document), and an extension's date and reason. One one-shot prompt on the flow
kernel (``NOTE``), opened by the card's button in that button's transaction; the action is done
(``bot.petition_workflow``) in the transaction of the last answer, and a refusal then (someone
else acted meanwhile) says why and changes nothing. /cancel changes nothing either; the same
button asks again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot import petition_workflow as wf
from bot.date_parsing import parse_deadline
from bot.i18n import N_
from bot.parsing import ParseError
from bot.petition_workflow import PetitionRefused
from handlers import flow
from handlers.common import esc
from handlers.flow import Call, Finish, Next, Outcome, Screen, Sent, Stay, Step
from handlers.petitions.texts import refusal_text
from storage.text import nfc

REOPEN = N_("Cancelled: nothing was changed. Press the button on the recommendation again.")

#: The kinds of prompt, by the card's button that opens it.
PROMPTS = {
    "af": N_(
        "Type the Front's answer to {code}. It closes the recommendation; the recorder is told."
    ),
    "dc": N_("Why is {code} declined? Type the reason: the recorder is told."),
    "mg": N_(
        "Type the code of the recommendation {code} duplicates (for example KN-2026-0041): its people count is added there."
    ),
    "no": N_("What is missing from the answer to {code}? Type it: it goes back to the authority."),
    "an": N_("Type the answer to {code}."),
    "xa": N_("Why is more time needed for {code}? Type the reason."),
}
DONE = {
    "af": N_("{code} is answered and closed; the recorder has been told."),
    "dc": N_("{code} is declined; the recorder has been told."),
    "mg": N_("{code} is merged."),
    "no": N_("{code} went back to the authority with your comment."),
    "an": N_("Your answer to {code} is sent; the Front will rate it."),
    "xa": N_("Asked: more time for {code}. The Front decides."),
}


@dataclass
class NoteDraft:
    petition_id: int = 0
    #: A key of PROMPTS (the button that opened it).
    kind: str = "af"
    #: The extension's date (ISO), once typed.
    until: str | None = None
    #: The authority's answer, kept while its document is asked.
    text: str | None = None


async def _begin(call: Call) -> NoteDraft | Stay:
    return Stay(call.tr._(REOPEN))


async def _code(call: Call, draft: NoteDraft) -> str:
    try:
        return (await wf.load(call.session, call.actor, draft.petition_id)).petition.code
    except PetitionRefused:
        return "…"


def _card_button(call: Call, draft: NoteDraft) -> list[list[tuple[str, str]]]:
    return [[(call.tr._("Open the recommendation"), f"kn:v:{draft.petition_id}")]]


async def show_date(call: Call, draft: NoteDraft) -> Screen:
    code = esc(await _code(call, draft))
    return Screen(
        call.tr._("Until which day does {code} need? Type a date, like 31/12/2026.").format(
            code=code
        )
    )


async def typed_date(call: Call, draft: NoteDraft, text: str) -> Outcome:
    try:
        until = parse_deadline(text, call.services.today())
    except ParseError:
        return Stay(call.tr._("Type a date after today, like 31/12/2026."))
    draft.until = until.isoformat()
    return Next()


async def show_text(call: Call, draft: NoteDraft) -> Screen:
    code = esc(await _code(call, draft))
    return Screen(call.tr._(PROMPTS[draft.kind]).format(code=f"<b>{code}</b>"))


async def _act(
    call: Call, draft: NoteDraft, text: str, document: tuple[str, str] | None
) -> Outcome:
    """Do the action; a refusal for the text itself asks again, any other ends the prompt."""
    session, actor, now, pid = call.session, call.actor, call.now, draft.petition_id
    try:
        async with session.begin_nested():
            if draft.kind == "af":
                item = await wf.answer_directly(session, actor, pid, text, now)
            elif draft.kind == "dc":
                item = await wf.decline(session, actor, pid, text, now)
            elif draft.kind == "mg":
                item = await wf.merge(session, actor, pid, text, now)
            elif draft.kind == "no":
                item = await wf.rate(session, actor, pid, False, text, now)
            elif draft.kind == "an":
                item = await wf.answer(session, actor, pid, text, now, document)
            else:
                until = date.fromisoformat(draft.until or "")
                item = await wf.ask_extension(
                    session, actor, pid, until, text, now, call.services.today()
                )
    except PetitionRefused as exc:
        said = refusal_text(call.tr, exc)
        if exc.reason in ("empty_answer", "empty_reason", "empty_comment", "too_long"):
            return Stay(said)
        if exc.reason in ("merge_target", "merge_self"):
            return Stay(said + " " + call.tr._("Type another code, or /cancel."))
        return Finish(said, _card_button(call, draft))
    done = call.tr._(DONE[draft.kind]).format(code=f"<b>{esc(item.petition.code)}</b>")
    return Finish(done, _card_button(call, draft))


async def typed_text(call: Call, draft: NoteDraft, text: str) -> Outcome:
    written = nfc(text).strip()
    if draft.kind == "an":
        if not written:
            return Stay(call.tr._("Type the answer, please."))
        if len(written) > wf.MAX_TEXT:
            return Stay(
                call.tr._("At most {limit} characters, please.").format(
                    limit=call.tr.number(wf.MAX_TEXT)
                )
            )
        draft.text = written
        return Next()
    return await _act(call, draft, written, None)


async def show_file(call: Call, draft: NoteDraft) -> Screen:
    return Screen(
        call.tr._(
            "Send the answering document (a file or a photo), or send the answer without one."
        ),
        [[(call.tr._("Send without a document"), "n")]],
    )


async def press_file(call: Call, draft: NoteDraft, action: str, args: list[str]) -> Outcome:
    return await _act(call, draft, draft.text or "", None)


async def sent_file(call: Call, draft: NoteDraft, sent: Sent) -> Outcome:
    if sent.kind not in ("photo", "document") or not sent.file_id:
        return Stay(call.tr._("Send a file or a photo, or press “Send without a document”."))
    return await _act(call, draft, draft.text or "", (sent.kind, sent.file_id))


async def skipped_file(call: Call, draft: NoteDraft) -> Outcome:
    return await _act(call, draft, draft.text or "", None)


NOTE = flow.register(
    flow.Flow(
        name="kn_note",
        command="petitions",
        prefix="knn",
        title=N_("your reply on the recommendation"),
        state=NoteDraft,
        steps=(
            Step("date", show_date, typed=typed_date, applies=lambda d: d.kind == "xa"),
            Step("text", show_text, typed=typed_text),
            Step(
                "file",
                show_file,
                press=press_file,
                sent=sent_file,
                optional=True,
                skipped=skipped_file,
                applies=lambda d: d.kind == "an",
            ),
        ),
        begin=_begin,
        reopen=REOPEN,
    )
)
