"""The periodic jobs (outbox dispatch, reminder planning, pruning) run in exactly one process.

Several bot processes may serve one webhook (PRODUCT §8). They all handle updates, but only the
holder of a PostgreSQL advisory lock (``storage.locks.LeaderLock``) schedules the jobs; the others
try for the lock every ``retry`` seconds, so when the leader dies — its connection closes and
PostgreSQL drops the lock — another process takes over within one retry interval. The leader checks
its connection as often and stops its jobs as soon as the lock is lost (a database restart), so two
leaders overlap for at most one interval; the jobs are safe even then (outbox rows are claimed with
``FOR UPDATE SKIP LOCKED``, reminders are keyed). On SQLite there is one process: it just leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from telegram.ext import Job, JobQueue

from storage.locks import LeaderLock

log = logging.getLogger(__name__)


def worker_id() -> str:
    """This process, as other processes and the operator see it (claims, pg_stat_activity)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


@dataclass(frozen=True)
class JobSpec:
    name: str
    callback: Callable[[Any], Coroutine[Any, Any, None]]
    interval: float
    first: float
    #: False: the job runs once and schedules its own next run with ``Scheduler.reschedule`` (the
    #: outbox comes back at once while rows are due, and a long fan-out never overlaps itself).
    repeat: bool = True


#: How long ``Scheduler.stop`` lets a leadership check under way finish before cancelling it.
STOP_GRACE = 5.0


class Scheduler:
    """Schedules ``jobs`` on the JobQueue while this process holds the leader lock."""

    def __init__(
        self, job_queue: JobQueue[Any], lock: LeaderLock, jobs: list[JobSpec], *, retry: float
    ) -> None:
        self.job_queue = job_queue
        self.lock = lock
        self.specs = jobs
        self.retry = retry
        self._jobs: list[Job[Any]] = []
        self._task: asyncio.Task[None] | None = None
        self._poke = asyncio.Event()
        self._stopping = False
        self._stepping = asyncio.Lock()
        #: Counts the times this process became the leader: a new term means the previous
        #: leader's work (its outbox claims) is ours to finish (``Dispatcher.take_over``).
        self.term = 0

    @property
    def leading(self) -> bool:
        return bool(self._jobs)

    async def start(self) -> None:
        """Try for the lock once now (so a lone process schedules before it starts), then keep
        trying, or keep checking, in the background."""
        await self._step()
        if self.lock.is_postgres:
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name="scheduler-leader")

    def poke(self) -> None:
        """Try (or check) now instead of at the end of the interval."""
        self._poke.set()

    async def check(self) -> bool:
        """Try for the lock (or check it is still ours) now; whether this process leads."""
        await self._step()
        return self.leading

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            # The loop ends after the step under way, if any: cancelled in the middle of a
            # query, the lock's connection was cut while it closed, and SQLAlchemy logged the
            # CancelledError as a traceback at every such stop. A step that hangs (the database
            # gone) is cancelled after a grace period.
            self._stopping = True
            self._poke.set()
            try:
                await asyncio.wait_for(asyncio.shield(task), max(self.retry, STOP_GRACE))
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._unschedule()
        await self.lock.release()

    async def _loop(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poke.wait(), self.retry)
            self._poke.clear()
            if self._stopping:
                return
            try:
                await self._step()
            except Exception:  # the loop must outlive any one failure
                log.exception("scheduler: leadership check failed")

    async def _step(self) -> None:
        async with self._stepping:  # the loop and check() must not both acquire
            await self._step_once()

    async def _step_once(self) -> None:
        if self.leading:
            if not await self.lock.held():
                self._unschedule()
                log.warning("scheduler: lost the lock; this process no longer runs the jobs")
        elif await self.lock.acquire():
            self._schedule()
            if self.lock.is_postgres:
                log.info("scheduler: this process (%s) now runs the jobs", self.lock.name)

    def _schedule(self) -> None:
        self.term += 1
        self._jobs = [
            self.job_queue.run_repeating(
                spec.callback, interval=spec.interval, first=spec.first, name=spec.name
            )
            if spec.repeat
            else self.job_queue.run_once(spec.callback, when=spec.first, name=spec.name)
            for spec in self.specs
        ]

    def reschedule(self, name: str, when: float) -> None:
        """The next run of a self-scheduling job, if this process still leads."""
        if not self.leading:
            return
        spec = next(s for s in self.specs if s.name == name)
        job = self.job_queue.run_once(spec.callback, when=when, name=name)
        self._jobs = [j for j in self._jobs if j.name != name] + [job]

    def _unschedule(self) -> None:
        jobs, self._jobs = self._jobs, []
        for job in jobs:
            # A one-off job that has fired (the outbox mid-run) is already gone from APScheduler;
            # removing it again must not abort the shutdown that called this.
            with contextlib.suppress(JobLookupError):
                job.schedule_removal()
