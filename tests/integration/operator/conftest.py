"""Fixtures of the operator's integration tests: the CRD, and one operator per test.

Each test gets its own namespace and its own operator serving only that namespace, acting as
a ServiceAccount with the chart's Role there, so tests cannot disturb each other and a
missing permission shows up as a failed test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from satfeed_dev.operator_bed import (
    OperatorProcess,
    assert_no_rbac_refusal,
    grant_namespaced,
    install_crd,
)
from satfeed_dev.testbed import TestBed

StartOperator = Callable[..., OperatorProcess]


@pytest.fixture(scope="session")
def satellite_crd(testbed: TestBed) -> None:
    install_crd(testbed.kube)


@pytest.fixture
def start_operator(
    testbed: TestBed,
    satellite_crd: None,
    namespace: str,
    run_root: Path,
    request: pytest.FixtureRequest,
) -> Iterator[StartOperator]:
    """Start (and on teardown stop) operators serving ``namespace``, with extra env."""
    started: list[OperatorProcess] = []
    kubeconfig = grant_namespaced(testbed.kube, namespace)

    def start(**env: str) -> OperatorProcess:
        operator = OperatorProcess(
            testbed,
            run_root / "operator" / f"{request.node.name}-{len(started)}",
            kubeconfig,
            (namespace,),
            env,
        )
        started.append(operator)
        operator.start()
        return operator

    try:
        yield start
    finally:
        for operator in started:
            operator.stop()
    for operator in started:
        assert_no_rbac_refusal(operator)


@pytest.fixture
def operator(start_operator: StartOperator) -> OperatorProcess:
    return start_operator()
