"""The elements file is re-read when its content changes; a bad new file is ignored."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from satfeed_core.elements import tle_elements
from satfeed_core.elements_source import ElementsSource
from satfeed_dev.sample_data import tle_file
from satfeed_dev.tle_edit import shifted_epoch, three_line_sets

from tests.unit.core.tle_samples import edited


@pytest.fixture
def terra_lines() -> list[str]:
    return three_line_sets(tle_file("earth-observation.tle"))["TERRA"]


def _write_atomically(path: Path, text: str) -> None:
    # As the kubelet updates a ConfigMap volume: write aside, then rename over.
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def test_replaced_file_gives_the_new_epoch(tmp_path: Path, terra_lines: list[str]) -> None:
    path = tmp_path / "elements"
    path.write_text("\n".join(terra_lines) + "\n")
    source = ElementsSource(text=None, path=path, norad_id=None)
    first = source.load()
    assert source.changed() is None  # nothing changed yet
    _write_atomically(path, "\n".join(shifted_epoch(terra_lines, days=0.5)) + "\n")
    second = source.changed()
    assert second is not None
    assert (second.epoch - first.epoch).total_seconds() == pytest.approx(43_200, abs=0.01)
    assert source.changed() is None  # reported once


def test_invalid_new_file_is_logged_once_and_ignored(
    tmp_path: Path, terra_lines: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "elements"
    path.write_text("\n".join(terra_lines) + "\n")
    source = ElementsSource(text=None, path=path, norad_id=None)
    source.load()
    broken = [*terra_lines[:2], terra_lines[2][:-1] + "0"]  # wrong checksum on line 2
    _write_atomically(path, "\n".join(broken) + "\n")
    with caplog.at_level(logging.ERROR):
        assert source.changed() is None
        os.utime(path)  # touched again, same bad content
        assert source.changed() is None
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(messages) == 1
    assert "keeping the current elements" in messages[0]
    assert "checksum" in messages[0]


def test_file_with_several_satellites_needs_a_norad_id(tmp_path: Path) -> None:
    source = ElementsSource(text=None, path=tle_file("earth-observation.tle"), norad_id=None)
    with pytest.raises(ValueError, match=r"holds element sets of 25 objects.*--norad-id"):
        source.load()
    picked = ElementsSource(text=None, path=tle_file("earth-observation.tle"), norad_id=27424)
    assert picked.load().name == "AQUA"


def test_unknown_norad_id_is_named(tmp_path: Path) -> None:
    source = ElementsSource(text=None, path=tle_file("earth-observation.tle"), norad_id=1)
    with pytest.raises(ValueError, match=r"no element set for NORAD 1 \(it has: 25994, 27424"):
        source.load()


def _divergent(lines: list[str]) -> list[str]:
    """The same satellite with a drag term (B*, columns 54-61) that SGP4 overflows on."""
    name, line1, line2 = lines
    return [name, edited(line1, 54, " 99999+9"), line2]


def _at(lines: list[str], days_after_epoch: float) -> Callable[[], datetime]:
    epoch = tle_elements(lines[1], lines[2]).epoch
    return lambda: epoch + timedelta(days=days_after_epoch)


def test_unusable_elements_are_refused_at_start_with_what_to_do(
    tmp_path: Path, terra_lines: list[str]
) -> None:
    path = tmp_path / "elements"
    path.write_text("\n".join(_divergent(terra_lines)) + "\n")
    source = ElementsSource(text=None, path=path, norad_id=None, clock=_at(terra_lines, 0.1))
    with pytest.raises(ValueError, match=r"TERRA .*cannot be propagated.*fresh element set"):
        source.load()


def test_unusable_new_elements_are_refused_and_the_good_ones_kept(
    tmp_path: Path, terra_lines: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "elements"
    path.write_text("\n".join(terra_lines) + "\n")
    source = ElementsSource(text=None, path=path, norad_id=None, clock=_at(terra_lines, 0.1))
    good = source.load()
    _write_atomically(path, "\n".join(_divergent(terra_lines)) + "\n")
    with caplog.at_level(logging.ERROR):
        assert source.changed() is None
    assert "keeping the current elements" in caplog.text
    assert "cannot be propagated" in caplog.text
    assert good.bstar_per_earth_radius < 1.0  # what the producer keeps sampling with


def test_stale_elements_are_used_with_a_warning(
    tmp_path: Path, terra_lines: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    source = ElementsSource(
        text="\n".join(terra_lines), path=None, norad_id=None, clock=_at(terra_lines, 30)
    )
    with caplog.at_level(logging.WARNING):
        elements = source.load()
    assert elements.name == "TERRA"
    assert "older than 14 days" in caplog.text
