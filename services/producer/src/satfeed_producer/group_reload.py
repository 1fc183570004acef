"""Following a group shard's files while it runs: changed members and plans, or why not.

:meth:`GroupReloader.poll` is called once a tick. It compares the files' signatures (a few
``stat`` calls) with the last ones loaded; a changed plan is read at once (it is a few
bytes), changed members in a background thread (parsing and judging 16,069 element sets
takes about two seconds, longer than a tick), so ticks keep their time meanwhile with the
members they have. What cannot be used is logged once, naming the file, and the last good
members and plan stay in force.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

from satfeed_core.shards import ShardPlan

from satfeed_producer.group_source import (
    ElementsDir,
    GroupSourceError,
    LoadedMembers,
    PlanFile,
    Signature,
)

log = logging.getLogger(__name__)

ELEMENTS = "elements"
PLAN = "plan"


@dataclass
class Changes:
    """What :meth:`GroupReloader.poll` found since the previous call."""

    members: LoadedMembers | None = None
    plan: ShardPlan | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    """(source, message) for each changed file that was refused: ``elements`` or ``plan``."""


class GroupReloader:
    def __init__(
        self, elements: ElementsDir, plan: PlanFile | None, *, background: bool = True
    ) -> None:
        self.elements = elements
        self.plan_file = plan
        self._background = background
        self._members_signature: Signature | None = None
        self._plan_signature: Signature | None = None
        self._pending: tuple[Signature, Future[LoadedMembers]] | None = None

    def load(self) -> tuple[LoadedMembers, ShardPlan]:
        """The members and plan at start-up; raises GroupSourceError naming the bad file."""
        self._members_signature = self.elements.signature()
        members = self.elements.load()
        plan = ShardPlan.steady(1)
        if self.plan_file is not None:
            self._plan_signature = self.plan_file.signature()
            plan = self.plan_file.load()
        return members, plan

    def poll(self) -> Changes:
        changes = Changes()
        self._poll_plan(changes)
        self._poll_members(changes)
        return changes

    def _poll_plan(self, changes: Changes) -> None:
        if self.plan_file is None:
            return
        signature = self.plan_file.signature()
        if signature == self._plan_signature:
            return
        self._plan_signature = signature
        try:
            changes.plan = self.plan_file.load()
        except GroupSourceError as error:
            log.error("ignoring the changed shard plan: %s; keeping the current plan", error)
            changes.errors.append((PLAN, str(error)))

    def _poll_members(self, changes: Changes) -> None:
        if self._pending is None:
            signature = self.elements.signature()
            if signature == self._members_signature:
                return
            # The signature before reading: a swap during the read shows up on the next poll.
            self._pending = (signature, self._submit())
        signature, future = self._pending
        if not future.done():
            return
        self._pending = None
        self._members_signature = signature
        try:
            changes.members = future.result()
        except Exception as error:  # GroupSourceError says which file; anything else, what
            problem = str(error) if isinstance(error, GroupSourceError) else repr(error)
            log.error("ignoring the changed elements: %s; keeping the current members", problem)
            changes.errors.append((ELEMENTS, problem))

    def _submit(self) -> Future[LoadedMembers]:
        future: Future[LoadedMembers] = Future()

        def load() -> None:
            try:
                future.set_result(self.elements.load())
            except Exception as error:  # handed to the tick thread, which reports it
                future.set_exception(error)

        if self._background:
            # A daemon thread: a load under way never holds up the exit after SIGTERM.
            threading.Thread(target=load, name="elements-loader", daemon=True).start()
        else:
            load()
        return future

    def close(self) -> None:
        """Nothing to wait for: a load under way is abandoned with the process."""
