"""Chart documentation and schema stay in step with values.yaml (no cluster needed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from satfeed_dev.toolchain import REPO_ROOT

from scripts.chart_readme import documented_params

CHARTS = sorted(p.parent for p in (REPO_ROOT / "charts").glob("*/values.schema.json"))


def _schema_keys(schema: dict[str, Any], prefix: str = "") -> set[str]:
    keys = set()
    for name, sub in schema.get("properties", {}).items():
        keys.add(prefix + name)
        if sub.get("type") == "object" and "properties" in sub:
            keys |= _schema_keys(sub, f"{prefix}{name}.")
    return keys


def _documented(values_text: str) -> set[str]:
    return {key for _, key, _ in documented_params(values_text)}


def _leaf_keys(values: dict[str, Any], prefix: str = "") -> set[str]:
    keys = set()
    for name, value in values.items():
        if isinstance(value, dict) and value and name not in _FREE_FORM:
            keys |= _leaf_keys(value, f"{prefix}{name}.")
        else:
            keys.add(prefix + name)
    return keys


# Values passed through to Kubernetes as they are: documented as a whole.
_FREE_FORM = {"resources", "podSecurityContext", "containerSecurityContext", "requests", "limits"}


@pytest.mark.parametrize("chart", CHARTS, ids=lambda p: p.name)
def test_every_value_is_documented_and_in_the_schema(chart: Path) -> None:
    values_text = (chart / "values.yaml").read_text()
    documented = _documented(values_text)
    assert _leaf_keys(yaml.safe_load(values_text)) == documented
    schema_keys = _schema_keys(json.loads((chart / "values.schema.json").read_text()))
    assert documented - schema_keys == set(), "documented values missing from the schema"


@pytest.mark.parametrize("chart", CHARTS, ids=lambda p: p.name)
def test_readme_values_table_is_up_to_date(chart: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "chart_readme.py"), str(chart), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout
