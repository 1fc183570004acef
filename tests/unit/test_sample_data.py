"""The bundled TLE files are found by walking up to the checkout, or in $SATFEED_DATA_DIR."""

from __future__ import annotations

from pathlib import Path

import pytest
from satfeed_dev import sample_data
from satfeed_dev.sample_data import CATALOGUE, EARTH_OBSERVATION, tle_file
from satfeed_dev.toolchain import REPO_ROOT
from satfeed_dev.workspace import find_root


def test_the_checkout_is_the_first_folder_up_that_holds_the_sources_note(tmp_path: Path) -> None:
    assert find_root(REPO_ROOT / "dev" / "src" / "satfeed_dev" / "cli.py") == REPO_ROOT
    assert find_root(tmp_path) is None


def test_without_the_variable_the_files_come_from_the_checkout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SATFEED_DATA_DIR", raising=False)
    assert tle_file(EARTH_OBSERVATION) == REPO_ROOT / "data" / "tle" / EARTH_OBSERVATION


def test_the_variable_comes_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "tle").mkdir()
    (tmp_path / "tle" / "mine.tle").write_text("")
    monkeypatch.setenv("SATFEED_DATA_DIR", str(tmp_path))
    assert tle_file("mine.tle") == tmp_path / "tle" / "mine.tle"
    with pytest.raises(FileNotFoundError, match=r"from SATFEED_DATA_DIR\) holds: mine\.tle"):
        tle_file(CATALOGUE)


def test_outside_a_checkout_the_error_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SATFEED_DATA_DIR", raising=False)
    monkeypatch.setattr(sample_data, "find_root", lambda: None)
    with pytest.raises(FileNotFoundError, match=r"not inside a satfeed.*set SATFEED_DATA_DIR"):
        tle_file(CATALOGUE)
