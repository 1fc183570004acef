"""The Satellite CRD repeats bounds and defaults of the shared contract for the apiserver:
they must say the same as satfeed_core.contract, which the operator and producer use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from satfeed_core.contract import (
    DEFAULT_INTERVAL_SECONDS,
    ELEMENTS_KEY,
    MAX_INTERVAL_SECONDS,
    MIN_INTERVAL_SECONDS,
)

CRD = Path(__file__).parents[3] / "charts/satfeed-operator/crds/satellites.satfeed.io.yaml"


def spec_properties() -> dict[str, Any]:
    crd = yaml.safe_load(CRD.read_text())
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    properties: dict[str, Any] = schema["properties"]["spec"]["properties"]
    return properties


def test_interval_bounds_and_default_are_the_contract_s() -> None:
    interval = spec_properties()["intervalSeconds"]
    assert interval["minimum"] == MIN_INTERVAL_SECONDS
    assert interval["maximum"] == MAX_INTERVAL_SECONDS
    assert interval["default"] == DEFAULT_INTERVAL_SECONDS
    rule = interval["x-kubernetes-validations"][0]["rule"]
    assert rule == f"self >= {MIN_INTERVAL_SECONDS!r} && self <= {MAX_INTERVAL_SECONDS!r}"


def test_the_configmap_key_default_is_the_contract_s() -> None:
    ref = spec_properties()["elements"]["properties"]["configMapRef"]["properties"]["key"]
    assert ref["default"] == ELEMENTS_KEY
