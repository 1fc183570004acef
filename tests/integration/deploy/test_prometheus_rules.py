"""satfeed's alerts: promtool checks the rules file and runs its unit tests (every alert
fires on the series that should raise it and stays quiet on the others), every metric a
rule names is one satfeed exports, and the chart ships exactly these rules."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from satfeed_dev.toolchain import REPO_ROOT, go_tools

pytestmark = pytest.mark.integration

RULES = REPO_ROOT / "charts" / "satfeed-operator" / "files" / "prometheus-rules.yaml"
RULES_TEST = REPO_ROOT / "tests" / "prometheus" / "rules_test.yaml"
OPERATOR = REPO_ROOT / "charts" / "satfeed-operator"
SOURCES = [
    REPO_ROOT / "operator" / "src" / "satfeed_operator" / "metrics.py",
    REPO_ROOT / "services" / "producer" / "src" / "satfeed_producer" / "metrics.py",
    REPO_ROOT / "services" / "frontend" / "src" / "satfeed_frontend" / "metrics.py",
]


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(go_tools(build=False).promtool), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_promtool_checks_the_rules() -> None:
    proc = promtool("check", "rules", str(RULES))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: 7 rules found" in proc.stdout


def test_every_alert_has_a_passing_promtool_unit_test() -> None:
    proc = promtool("test", "rules", str(RULES_TEST))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    alerts = {
        rule["alert"]
        for group in yaml.safe_load(RULES.read_text())["groups"]
        for rule in group["rules"]
    }
    tested = {
        case["alertname"]
        for test in yaml.safe_load(RULES_TEST.read_text())["tests"]
        for case in test["alert_rule_test"]
    }
    assert alerts == tested


def test_every_alert_names_exported_metrics_and_a_runbook() -> None:
    exported = {
        name
        for source in SOURCES
        for name in re.findall(r'"(satfeed_[a-z_]+)"', source.read_text())
    }
    runbooks = (REPO_ROOT / "docs" / "runbooks.md").read_text().lower()
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            for metric in re.findall(r"\b(satfeed_[a-z_]+)", rule["expr"]):
                base = metric.removesuffix("_total")
                assert base in exported, f"{rule['alert']} names {metric}, which nothing exports"
            annotations = rule["annotations"]
            assert {"summary", "description", "runbook_url"} <= annotations.keys()
            assert rule["labels"]["severity"] in ("warning", "critical")
            anchor = annotations["runbook_url"].split("#")[1]
            assert f"## {rule['alert'].lower()}" in runbooks, f"no runbook for {anchor}"


def test_the_chart_ships_these_rules(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            str(go_tools(build=False).helm),
            "template",
            "sat",
            str(OPERATOR),
            "--set",
            "prometheusRule.enabled=true,prometheusRule.force=true",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rendered = [d for d in yaml.safe_load_all(proc.stdout) if d and d["kind"] == "PrometheusRule"]
    assert len(rendered) == 1
    assert rendered[0]["spec"]["groups"] == yaml.safe_load(RULES.read_text())["groups"]
