"""satfeed's alerts and dashboard: promtool checks the rules file and runs its unit tests
(every alert fires on the series that should raise it and stays quiet on the others), every
metric a rule or a dashboard panel names is one satfeed exports, every panel's query parses,
and the chart ships exactly these rules and this dashboard."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from satfeed_dev.toolchain import REPO_ROOT, go_tools

pytestmark = pytest.mark.integration

RULES = REPO_ROOT / "charts" / "satfeed-operator" / "files" / "prometheus-rules.yaml"
DASHBOARD = REPO_ROOT / "charts" / "satfeed-operator" / "files" / "grafana-dashboard.json"
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


def exported() -> set[str]:
    """Every metric name the operator, producer and frontend define."""
    return {
        name
        for source in SOURCES
        for name in re.findall(r'"(satfeed_[a-z_]+)"', source.read_text())
    }


def unexported(expr: str) -> list[str]:
    suffixes = ("_total", "_bucket", "_count", "_sum")
    names = re.findall(r"\b(satfeed_[a-z_]+)", expr)
    known = exported()
    return [
        name
        for name in names
        if name not in known and not any(name.removesuffix(s) in known for s in suffixes)
    ]


def test_every_alert_names_exported_metrics_and_a_runbook() -> None:
    runbooks = (REPO_ROOT / "docs" / "runbooks.md").read_text().lower()
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            assert unexported(rule["expr"]) == [], rule["alert"]
            annotations = rule["annotations"]
            assert {"summary", "description", "runbook_url"} <= annotations.keys()
            assert rule["labels"]["severity"] in ("warning", "critical")
            anchor = annotations["runbook_url"].split("#")[1]
            assert f"## {rule['alert'].lower()}" in runbooks, f"no runbook for {anchor}"


def rendered(values: str, kind: str) -> list[dict[str, Any]]:
    """The operator chart's objects of ``kind``, rendered with ``--set values``."""
    proc = subprocess.run(
        [str(go_tools(build=False).helm), "template", "sat", str(OPERATOR), "--set", values],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return [d for d in yaml.safe_load_all(proc.stdout) if d and d["kind"] == kind]


def test_the_chart_ships_these_rules() -> None:
    rules = rendered("prometheusRule.enabled=true,prometheusRule.force=true", "PrometheusRule")
    assert len(rules) == 1
    assert rules[0]["spec"]["groups"] == yaml.safe_load(RULES.read_text())["groups"]


def test_the_dashboard_loads_and_its_queries_parse_and_name_exported_metrics(
    tmp_path: Path,
) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(exprs) >= 10
    for expr in exprs:
        assert unexported(expr) == [], expr
    # promtool parses expressions when it checks rules: each query as a recording rule.
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [{"record": f"satfeed:panel_{i}", "expr": e} for i, e in enumerate(exprs)],
            }
        ]
    }
    path = tmp_path / "dashboard-queries.yaml"
    path.write_text(yaml.safe_dump(rules))
    proc = promtool("check", "rules", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_chart_ships_the_dashboard_labelled_for_grafana() -> None:
    (configmap,) = [
        each
        for each in rendered("grafanaDashboard.enabled=true", "ConfigMap")
        if each["metadata"]["name"].endswith("-dashboard")
    ]
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(configmap["data"]["satfeed.json"]) == json.loads(DASHBOARD.read_text())
