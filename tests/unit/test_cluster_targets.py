"""The kind/minikube Makefile targets, checked here where no Docker engine runs: the commands
each would run (DRY_RUN=1), and the message when a tool is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from satfeed_dev.toolchain import REPO_ROOT

MAKE = shutil.which("make") or "make"


def _make(target: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MAKE, "-s", "--no-print-directory", target],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _commands(target: str) -> list[str]:
    proc = _make(target, DRY_RUN="1")
    assert proc.returncode == 0, proc.stderr
    return [line[2:] for line in proc.stdout.splitlines() if line.startswith("+ ")]


STRIMZI_CHART = "oci://quay.io/strimzi-helm/strimzi-kafka-operator --version 1.2.0"
INTENDED = {
    "kind-up": [
        "kind create cluster --name satfeed",
        STRIMZI_CHART,
        f"kubectl apply -f {REPO_ROOT}/deploy/kafka/kafka.yaml",
        "kubectl wait kafka/satfeed -n satfeed --for=condition=Ready",
    ],
    "minikube-up": ["minikube start --profile satfeed", STRIMZI_CHART],
    "images": [
        f"docker build -f {REPO_ROOT}/services/producer/Dockerfile "
        f"-t satfeed-producer:0.1.0 {REPO_ROOT}",
        f"docker build -f {REPO_ROOT}/operator/Dockerfile -t satfeed-operator:0.1.0",
    ],
    "kind-load": ["kind load docker-image satfeed-frontend:0.1.0 --name satfeed"],
    "minikube-load": ["minikube image load satfeed-operator:0.1.0 --profile satfeed"],
    "deploy": [
        f"helm upgrade --install satfeed-operator {REPO_ROOT}/charts/satfeed-operator "
        f"--namespace satfeed --values {REPO_ROOT}/deploy/values/operator.yaml --wait",
        f"helm upgrade --install satfeed-frontend {REPO_ROOT}/charts/satfeed-frontend",
    ],
    "satellites": [
        f"kubectl apply -n satfeed -f {REPO_ROOT}/examples/satellites/terra.yaml",
        "kubectl wait satellites --all -n satfeed --for=condition=Ready",
    ],
    "dashboard": ["kubectl port-forward -n satfeed svc/satfeed-frontend 8050:80"],
    "e2e-cluster": [
        "kubectl wait kafkatopics -l satfeed.io/stream=positions -n satfeed --for=condition=Ready",
        "helm test satfeed-frontend -n satfeed --logs",
    ],
}


@pytest.mark.parametrize(("target", "expected"), INTENDED.items(), ids=INTENDED.keys())
def test_target_runs_the_intended_commands(target: str, expected: list[str]) -> None:
    commands = "\n".join(_commands(target))
    for command in expected:
        assert command in commands


def test_charts_values_and_examples_the_targets_use_exist() -> None:
    for command in _commands("deploy") + _commands("satellites") + _commands("kind-up"):
        for word in command.split():
            if word.startswith(str(REPO_ROOT)):
                assert Path(word).exists(), word


@pytest.mark.parametrize(
    ("target", "tool"),
    [("kind-up", "kind"), ("minikube-up", "minikube"), ("images", "docker"), ("deploy", "kubectl")],
)
def test_missing_tool_stops_with_how_to_get_it(tmp_path: Path, target: str, tool: str) -> None:
    # A PATH with only what the script itself uses: no docker, kind, minikube, kubectl, helm.
    for basic in ("bash", "env", "dirname", "grep", "make"):
        found = shutil.which(basic)
        assert found is not None
        (tmp_path / basic).symlink_to(found)
    proc = _make(target, PATH=str(tmp_path))
    assert proc.returncode != 0
    assert f"error: '{tool}' is not installed: install" in proc.stderr
