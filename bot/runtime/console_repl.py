"""The console's chat loop: who you are, where you talk (your private chat with the bot or a group),
what the bot pushed meanwhile, the files it sent and the alerts of the buttons you press.

A newcomer trying the product should see all of it, not only the replies to what they typed: a
round announced by a leader reaches the cadres, a reminder arrives at its hour, a digest lands in a
group. Those arrive through the outbox whenever it sends them, so a watcher prints every bot
message that no action of the console asked for, marked ``⇢`` with whom it went to.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot import names
from bot.demo import Demo, DemoPerson
from bot.emulator import BotApiEmulator, BotMessage, GroupChat, UserClient

HELP = """Console commands:
  /as ID            talk as the Telegram user ID (demo people: /users)
  /users            list the demo people
  /press N          press inline button N of the last message that has buttons
  /group NAME       talk inside the group chat NAME (made, with the bot in it, the first time)
  /group            back to your private chat with the bot
  /admins ID ...    who administers the current group (everyone else there is a member)
  /quit             leave (Ctrl+D works too)
Anything else is sent to the bot as the current user, e.g. /start, /help, /me.
What the bot sends on its own (notices, reminders, digests) is printed as it arrives, marked ⇢."""

Out = Callable[[str], None]
#: How long the watcher waits for the bot before looking again (it is woken by every send).
WATCH_TIMEOUT = 60.0


def people_table(demo: Demo) -> str:
    rows = [
        f"  {p.telegram_id}  {full_name(p)}  ({p.role or 'no unit yet'}{', ' + p.unit_code if p.unit_code else ''})"
        for p in demo.people
    ]
    return "People:\n" + "\n".join(rows)


def full_name(person: DemoPerson) -> str:
    """The name as the bot shows it (``bot.names``): family name first for Vietnamese names,
    an English speaker's in her own order ("Anna Nguyen")."""
    return names.full_name(person.first_name, person.last_name, language=person.language)


class FileShelf:
    """Where the files and photos the bot sends are saved, so they can be opened (a workbook from
    /export, a meeting's .ics, a digest's chart). The folder is made on the first file."""

    def __init__(self, folder: str | None) -> None:
        self._folder = Path(folder) if folder else None
        self._count = 0

    def save(self, name: str, data: bytes) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="phoihop-console-files-"))
        self._folder.mkdir(parents=True, exist_ok=True)
        self._count += 1
        safe = re.sub(r"[^\w.\-]+", "_", Path(name).name) or "file"
        path = self._folder / f"{self._count:03d}-{safe}"
        path.write_bytes(data)
        return path


@dataclass
class Console:
    """One terminal session: the current user and chat, and what was already printed."""

    emulator: BotApiEmulator
    demo: Demo | None
    out: Out
    files: FileShelf
    user: UserClient | None = None
    group: GroupChat | None = None
    groups: dict[str, GroupChat] = field(default_factory=dict)
    #: Everything the bot sent before this position in its log has been printed.
    mark: int = 0
    printing: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def people(self) -> dict[int, DemoPerson]:
        return {p.telegram_id: p for p in self.demo.people} if self.demo else {}

    # ------------------------------------------------------------------ the loop
    async def run(self, lines: AsyncIterator[str]) -> None:
        self.mark = self.emulator.event_mark()
        self.out(HELP)
        if self.people:
            self.user = self._switch(1002)
            self.out(f"You are now {self._who(self.user.id)} ({self.user.id}). Say /start.")
        watcher = asyncio.create_task(self._watch())
        try:
            async for raw in lines:
                line = raw.strip()
                if line and not await self.handle(line):
                    break
        finally:
            watcher.cancel()
            async with self.printing:
                self._print_pushed(set())

    async def handle(self, line: str) -> bool:
        """One typed line; False when the user leaves."""
        if line in ("/quit", "/exit"):
            return False
        if line == "/users":
            self.out(people_table(self.demo) if self.demo else "(no demo people; /as ID works)")
            return True
        match = re.fullmatch(r"/as\s+([0-9]{1,15})", line)
        if match:
            self.user = self._switch(int(match.group(1)))
            where = f" in {self.group.title}" if self.group else ""
            self.out(f"You are now {self._who(self.user.id)} ({self.user.id}){where}.")
            return True
        user = self.user
        if user is None:
            self.out("Choose who you are first: /as ID (e.g. /as 1012)")
            return True
        match = re.fullmatch(r"/group(?:\s+(.+))?", line)
        if match:
            await self._enter_group(user, (match.group(1) or "").strip())
            return True
        match = re.fullmatch(r"/admins((?:\s+[0-9]{1,15})*)", line)
        if match:
            self._set_admins([int(part) for part in match.group(1).split()])
            return True
        match = re.fullmatch(r"/press\s+([0-9]{1,3})", line)
        if match:
            number = int(match.group(1))
            await self._act(lambda: user.press(number, chat=self.group))
            self._print_alert(user)
        else:
            await self._act(lambda: user.send(line, chat=self.group))
        return True

    # ------------------------------------------------------------------ people and places
    def _switch(self, user_id: int) -> UserClient:
        person = self.people.get(user_id)
        if person is not None:
            return self.emulator.user(
                user_id,
                person.first_name,
                last_name=person.last_name,
                language_code=person.language,
            )
        return self.emulator.user(user_id, f"User {user_id}", language_code="vi")

    def _who(self, chat_id: int) -> str:
        person = self.people.get(chat_id)
        if person is not None:
            return full_name(person)
        for group in self.groups.values():
            if group.id == chat_id:
                return f"group {group.title}"
        if self.user is not None and self.user.id == chat_id:
            return self.user.first_name
        return f"chat {chat_id}"

    async def _enter_group(self, user: UserClient, name: str) -> None:
        if not name:
            self.group = None
            self.out(f"You are back in your private chat with the bot, as {self._who(user.id)}.")
            return
        group = self.groups.get(name)
        if group is None:
            group = self.emulator.group(-1001 - len(self.groups), name)
            self.groups[name] = group
            self.group = group

            async def add() -> list[BotMessage]:
                mark = self.emulator.event_mark()
                await group.add_bot(user)
                return [m for m in self.emulator.messages_since(mark) if m.chat_id == group.id]

            # Whoever makes the group owns it (Telegram's "creator"): they can /link it at once.
            self.emulator.set_member_status(group.id, user.id, "creator")
            self.out(f"(console) {self._who(user.id)} made the group {name} and added the bot.")
            await self._act(add)
            return
        self.group = group
        self.out(f"You are now in the group {name}, as {self._who(user.id)}.")

    def _set_admins(self, ids: list[int]) -> None:
        group = self.group
        if group is None:
            self.out("(console) /admins works inside a group: /group NAME first.")
            return
        for user_id in ids:
            self._switch(user_id)  # known to the emulator before its status is set
            self.emulator.set_member_status(group.id, user_id, "administrator")
        named = ", ".join(f"{self._who(i)} ({i})" for i in ids) or "nobody but its creator"
        self.out(f"(console) administrators of {group.title}: {named}; everyone else is a member.")

    # ------------------------------------------------------------------ printing
    async def _act(self, action: Callable[[], Awaitable[list[BotMessage]]]) -> None:
        """Run one action; print its answers, then what it made the bot send elsewhere."""
        async with self.printing:
            self._print_pushed(set())
            self.mark = self.emulator.event_mark()
            try:
                answers = await action()
            except (LookupError, ValueError, RuntimeError) as exc:
                # The emulator explains at length (every message of the chat): the first clause.
                self.out(f"(console) {str(exc).split(';')[0]}")
                return
            for message in answers:
                self.out(self.render(message))
            self._print_pushed({(m.chat_id, m.message_id) for m in answers})

    def _print_alert(self, user: UserClient) -> None:
        answer = user.last_answer or {}
        text = answer.get("text")
        if text:
            kind = "alert" if answer.get("show_alert") else "notice"
            self.out(f"     ({kind}) {text}")

    def _print_pushed(self, shown: set[tuple[int, int]]) -> None:
        for message in self.emulator.messages_since(self.mark):
            if (message.chat_id, message.message_id) not in shown:
                self.out(f"⇢ to {self._who(message.chat_id)}:\n" + self.render(message))
        self.mark = self.emulator.event_mark()

    async def _watch(self) -> None:
        """Print what the bot sends while nobody acts (the outbox, the scheduler)."""
        while True:
            try:
                await self.emulator.wait_for(
                    lambda: self.emulator.event_mark() > self.mark, WATCH_TIMEOUT
                )
            except TimeoutError:
                continue
            async with self.printing:
                self._print_pushed(set())

    def render(self, message: BotMessage) -> str:
        """A bot message as terminal text (as the phone shows it), buttons numbered."""
        text = message.text or ""
        place = next((f"[{g.title}] " for g in self.groups.values() if g.id == message.chat_id), "")
        head = ("✎ " if message.edited else "") + place + "bot: "
        lines = [head + text.replace("\n", "\n     ")]
        if message.document:
            name = str(message.document.get("file_name") or "file")
            data = message.document.get("data", b"")
            path = self.files.save(name, data)
            lines.append(f"     [file: {name} ({len(data)} bytes), saved to {path}]")
        if message.photo:
            suffix = ".png" if message.photo.startswith(b"\x89PNG") else ".jpg"
            path = self.files.save(f"photo-{message.message_id}{suffix}", message.photo)
            lines.append(f"     [photo: {len(message.photo)} bytes, saved to {path}]")
        number = 0
        for row in message.inline_buttons:
            cells = []
            for button in row:
                number += 1
                cells.append(f"[{number}] {button.get('text')}")
            lines.append("     " + "   ".join(cells))
        if message.keyboard:
            lines.append(
                "     keyboard: " + " | ".join(" | ".join(row) for row in message.keyboard)
            )
        return "\n".join(lines)
