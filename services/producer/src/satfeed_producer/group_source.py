"""Where a group shard's members and shard plan come from: files the operator mounts.

The members' elements are the ``*.elements`` files of one directory (a projected volume of
the group's ConfigMaps, 4,000 members a file), the shard plan one JSON file. The kubelet
updates both by swapping a ``..data`` symlink, so a change is seen by a cheap
:meth:`signature` (the link's target and each file's inode, mtime and size) without reading
anything; only a changed signature makes the producer read the files again.

Loading applies the rules every part follows: an object found in several files is the
element set with the newest epoch (:func:`~satfeed_producer.shard.newest_per_object`), and
only elements usable now and over the next orbit are members
(:func:`satfeed_core.usability.assess`); stale ones are used, and counted.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from satfeed_core.contract import ELEMENTS_FILE_SUFFIX
from satfeed_core.elements import Elements, ElementsError, parse_elements
from satfeed_core.shards import ShardPlan, ShardPlanError
from satfeed_core.usability import State, Verdict, assess

from satfeed_producer.shard import Members, newest_per_object

Signature = tuple[object, ...]
_DATA_LINK = "..data"


class GroupSourceError(ValueError):
    """A members directory or plan file that cannot be used: names the file, says what is
    wrong and what to do."""


@dataclass(frozen=True, eq=False)
class LoadedMembers:
    members: Members
    """The usable members."""
    files: tuple[str, ...]
    objects: int
    """Distinct objects in the files, usable or not."""
    unusable: tuple[Verdict, ...]
    stale: tuple[Verdict, ...]


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        status = os.stat(path)  # follows the ..data symlink, so a swap shows up here
    except OSError:
        return None
    return (status.st_ino, status.st_mtime_ns, status.st_size)


class ElementsDir:
    """The ``*.elements`` files of a directory: every group member's elements."""

    def __init__(
        self,
        path: Path,
        stale_after: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.path = path
        self._stale_after = stale_after
        self._clock = clock

    def files(self) -> list[Path]:
        try:
            names = sorted(
                entry.name
                for entry in os.scandir(self.path)
                if entry.name.endswith(ELEMENTS_FILE_SUFFIX) and not entry.name.startswith(".")
            )
        except OSError as error:
            raise GroupSourceError(
                f"elements directory {self.path}: cannot be read ({error.strerror}): mount the "
                "group's elements there or fix --elements-dir / SATFEED_ELEMENTS_DIR"
            ) from None
        return [self.path / name for name in names]

    def signature(self) -> Signature:
        """Changes whenever a file is added, removed or swapped; reads no file."""
        try:
            link: str | None = os.readlink(self.path / _DATA_LINK)
        except OSError:
            link = None
        try:
            files = self.files()
        except GroupSourceError:
            return (link, None)
        return (link, tuple((each.name, _stat_key(each)) for each in files))

    def load(self) -> LoadedMembers:
        """Every usable member; GroupSourceError naming the file when one cannot be used."""
        files = self.files()
        if not files:
            raise GroupSourceError(
                f"elements directory {self.path} holds no *{ELEMENTS_FILE_SUFFIX} files: the "
                "group's elements are mounted there by the operator (one file per elements "
                "ConfigMap); check the pod's volume, or --elements-dir / SATFEED_ELEMENTS_DIR"
            )
        candidates: list[Elements] = []
        for path in files:
            try:
                candidates.extend(parse_elements(path.read_bytes()))
            except OSError as error:
                raise GroupSourceError(f"{path}: cannot be read ({error.strerror})") from None
            except ElementsError as error:
                raise GroupSourceError(
                    f"{path}: {error}\n(a group's elements file holds TLE text or CelesTrak "
                    "OMM JSON; fix or replace this file, the other files are fine)"
                ) from None
        objects = newest_per_object(candidates)
        now = self._clock()
        usable: list[Elements] = []
        unusable: list[Verdict] = []
        stale: list[Verdict] = []
        for elements in objects:
            verdict = assess(elements, now, self._stale_after)
            if verdict.state is State.UNUSABLE:
                unusable.append(verdict)
                continue
            usable.append(elements)
            if verdict.state is State.STALE:
                stale.append(verdict)
        if not usable:
            first = unusable[0].message if unusable else "the files hold no element set"
            raise GroupSourceError(
                f"elements directory {self.path}: none of the {len(objects)} objects in "
                f"{', '.join(each.name for each in files)} can be propagated now (first: "
                f"{first}): refresh the group's elements from their source"
            )
        return LoadedMembers(
            members=Members.of(usable),
            files=tuple(each.name for each in files),
            objects=len(objects),
            unusable=tuple(unusable),
            stale=tuple(stale),
        )


class PlanFile:
    """The group's shard plan (:class:`~satfeed_core.shards.ShardPlan` as JSON)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def signature(self) -> Signature:
        return (_stat_key(self.path),)

    def load(self) -> ShardPlan:
        try:
            text = self.path.read_bytes()
        except OSError as error:
            raise GroupSourceError(
                f"shard plan file {self.path}: cannot be read ({error.strerror}): the operator "
                "mounts the group's shard plan there; check the pod's volume, or "
                "--shard-plan-file / SATFEED_SHARD_PLAN_FILE"
            ) from None
        try:
            return ShardPlan.from_json(text)
        except ShardPlanError as error:
            raise GroupSourceError(
                f"shard plan file {self.path}: {error}; expected JSON like "
                '{"shards": 3, "previous": 2, "switchAt": "2026-12-02T12:00:00+00:00"} '
                f"({ShardPlan.steady(1).to_json()} for one shard)"
            ) from None
