"""A group shard's files: members from a directory of element files, the shard plan, reloads
that keep the last good ones, and errors that name the file."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from satfeed_core.elements import Elements, elements_text
from satfeed_core.shards import ShardPlan
from satfeed_dev.waiting import wait_for
from satfeed_producer.group_config import GroupConfig
from satfeed_producer.group_reload import ELEMENTS, PLAN, Changes, GroupReloader
from satfeed_producer.group_service import run_group
from satfeed_producer.group_source import ElementsDir, GroupSourceError, PlanFile

from tests.unit.core.tle_samples import ISS_LINE1, ISS_LINE2, edited
from tests.unit.producer.projected_volume import ProjectedVolume

SNAPSHOT = datetime(2026, 8, 23, 12, 0, tzinfo=UTC)
STALE_AFTER = timedelta(days=14)


def _at_snapshot() -> datetime:
    return SNAPSHOT


def _chunks(elements: list[Elements], size: int) -> dict[str, str]:
    return {
        f"{k}.elements": "".join(elements_text(each) for each in elements[i : i + size])
        for k, i in enumerate(range(0, len(elements), size))
    }


@pytest.fixture
def some(catalogue: list[Elements]) -> list[Elements]:
    return catalogue[:300]


def _reloader(path: Path, plan: Path | None = None) -> GroupReloader:
    return GroupReloader(
        ElementsDir(path, STALE_AFTER, clock=_at_snapshot),
        PlanFile(plan) if plan is not None else None,
        background=False,
    )


def test_members_are_every_usable_object_of_every_file(
    tmp_path: Path, some: list[Elements]
) -> None:
    ProjectedVolume(tmp_path).write(_chunks(some, 120))
    reloader = _reloader(tmp_path)
    loaded, plan = reloader.load()
    assert loaded.files == ("0.elements", "1.elements", "2.elements")
    assert loaded.objects == 300
    assert len(loaded.members) + len(loaded.unusable) == 300
    assert len(loaded.members) >= 295
    assert plan == ShardPlan.steady(1)  # no plan file: one shard
    assert reloader.poll().members is None  # nothing changed


def test_an_object_in_two_files_is_its_newest_epoch(tmp_path: Path) -> None:
    newer_line1 = edited(ISS_LINE1, 21, "234.60000000")
    ProjectedVolume(tmp_path).write(
        {
            "0.elements": f"ISS\n{newer_line1}\n{ISS_LINE2}\n",
            "1.elements": f"ISS\n{ISS_LINE1}\n{ISS_LINE2}\n",
        }
    )
    loaded, _ = _reloader(tmp_path).load()
    [iss] = loaded.members.elements
    assert iss.tle_lines == (newer_line1, ISS_LINE2)


def test_a_kubelet_swap_is_seen_and_loaded(tmp_path: Path, some: list[Elements]) -> None:
    volume = ProjectedVolume(tmp_path)
    volume.write(_chunks(some[:200], 100))
    reloader = _reloader(tmp_path)
    reloader.load()
    volume.write(_chunks(some[100:300], 100))
    changes = reloader.poll()
    assert changes.members is not None
    assert changes.members.members.norad_id.min() >= min(e.norad_id for e in some[100:300])
    assert reloader.poll().members is None  # loaded once


def test_a_bad_file_on_reload_keeps_the_last_good_members_and_names_the_file(
    tmp_path: Path, some: list[Elements], caplog: pytest.LogCaptureFixture
) -> None:
    volume = ProjectedVolume(tmp_path)
    good = _chunks(some, 150)
    volume.write(good)
    reloader = _reloader(tmp_path)
    reloader.load()
    broken = good["1.elements"].splitlines()
    broken[2] = broken[2][:-1] + str((int(broken[2][-1]) + 1) % 10)  # checksum
    volume.write({**good, "1.elements": "\n".join(broken) + "\n"})
    with caplog.at_level(logging.ERROR):
        changes = reloader.poll()
        assert reloader.poll().errors == []  # said once, not at every tick
    assert changes.members is None
    [(source, message)] = changes.errors
    assert source == ELEMENTS
    assert f"{tmp_path}/1.elements: line 2, column 69: checksum" in message
    assert "fix or replace this file" in message
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "keeping the current members" in record.getMessage()
    volume.write(good)  # fixed: loaded again
    assert reloader.poll().members is not None


def test_a_reload_with_no_usable_member_is_refused(tmp_path: Path, some: list[Elements]) -> None:
    volume = ProjectedVolume(tmp_path)
    volume.write(_chunks(some, 150))
    reloader = _reloader(tmp_path)
    reloader.load()
    # The ISS with a drag term that brings it down within two days: unusable at the snapshot.
    decayed = edited(edited(ISS_LINE1, 54, " 30000+0"), 21, "230.00000000")
    volume.write({"0.elements": f"FALLING\n{decayed}\n{ISS_LINE2}\n"})
    [(source, message)] = reloader.poll().errors
    assert source == ELEMENTS
    assert "none of the 1 objects in 0.elements can be propagated now" in message
    assert "FALLING (NORAD 25544) cannot be propagated" in message


def test_a_malformed_plan_keeps_the_last_good_one(tmp_path: Path, some: list[Elements]) -> None:
    ProjectedVolume(tmp_path / "elements").write(_chunks(some, 150))
    plans = ProjectedVolume(tmp_path / "shards")
    plans.write({"plan.json": ShardPlan.steady(2).to_json()})
    reloader = _reloader(tmp_path / "elements", tmp_path / "shards" / "plan.json")
    _, plan = reloader.load()
    assert plan == ShardPlan.steady(2)
    plans.write({"plan.json": '{"shards": 3, "previous": 2}'})
    changes = reloader.poll()
    assert changes.plan is None
    [(source, message)] = changes.errors
    assert source == PLAN
    assert "plan.json: shard plan lacks switchAt; expected JSON like" in message
    switch = SNAPSHOT + timedelta(minutes=1)
    plans.write({"plan.json": ShardPlan(3, 2, switch).to_json()})
    assert reloader.poll().plan == ShardPlan(shards=3, previous=2, switch_at=switch)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "holds no *.elements files"),
        ({"0.elements": "hello\n"}, "0.elements: input is neither TLE text nor OMM JSON"),
        ({"3.elements": '[{"NORAD_CAT_ID": 5}]'}, "3.elements: OMM record 1, field EPOCH"),
    ],
)
def test_bad_files_at_start_raise_naming_the_file(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    ProjectedVolume(tmp_path).write(files)
    with pytest.raises(GroupSourceError, match=message.replace("*", r"\*")):
        _reloader(tmp_path).load()


def test_a_missing_directory_or_plan_names_the_flag(tmp_path: Path) -> None:
    with pytest.raises(GroupSourceError, match="--elements-dir / SATFEED_ELEMENTS_DIR"):
        _reloader(tmp_path / "nowhere").load()
    with pytest.raises(GroupSourceError, match="--shard-plan-file / SATFEED_SHARD_PLAN_FILE"):
        PlanFile(tmp_path / "plan.json").load()


def test_the_shard_exits_2_naming_the_bad_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ProjectedVolume(tmp_path).write({"0.elements": "garbage\n"})
    config = GroupConfig(
        bootstrap_servers="127.0.0.1:9",
        topic="group",
        elements_dir=tmp_path,
        shard=0,
        shard_plan_file=None,
        interval_s=1.0,
        elements_stale_after=STALE_AFTER,
        buffer_mib=8,
        flush_timeout_s=1.0,
        http_host="127.0.0.1",
        http_port=0,
        log_format="text",
        log_level="INFO",
    )
    with caplog.at_level(logging.ERROR):
        assert run_group(config) == 2
    assert f"cannot start the group shard: {tmp_path}/0.elements: input is" in caplog.text


def test_signatures_change_with_a_swap_only(tmp_path: Path, some: list[Elements]) -> None:
    volume = ProjectedVolume(tmp_path)
    volume.write(_chunks(some, 150))
    elements = ElementsDir(tmp_path, STALE_AFTER)
    first = elements.signature()
    assert elements.signature() == first
    volume.write(_chunks(some, 150))  # same content, new files: a swap all the same
    assert elements.signature() != first


def test_members_load_in_the_background_while_ticks_go_on(
    tmp_path: Path, some: list[Elements]
) -> None:
    volume = ProjectedVolume(tmp_path)
    volume.write(_chunks(some[:100], 100))
    reloader = GroupReloader(ElementsDir(tmp_path, STALE_AFTER, clock=_at_snapshot), None)
    reloader.load()
    volume.write(_chunks(some, 100))

    def loaded() -> Changes | None:
        changes = reloader.poll()  # returns at once
        assert not changes.errors, changes.errors
        return changes if changes.members is not None else None

    changes = wait_for(loaded, 30, "the background load", interval=0.01)
    assert changes.members is not None
    assert changes.members.objects == 300
    reloader.close()
