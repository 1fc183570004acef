"""GroundStations against the real apiserver, Kafka and Topic Operator: passes in the status
as satfeed_core predicts them, a PassSoon event and the pass events in the station's topic
as a pass happens, and bad stations refused or explained."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from confluent_kafka import Consumer
from satfeed_core import pass_events
from satfeed_core.elements import parse_elements
from satfeed_core.ground_station import parse_ground_station
from satfeed_core.passes import predict_passes
from satfeed_core.propagation import Sgp4Propagator
from satfeed_dev.operator_bed import condition, example, get, wait_condition
from satfeed_dev.testbed import TestBed
from satfeed_dev.toolchain import REPO_ROOT
from satfeed_dev.waiting import wait_for

from tests.integration.operator.conftest import StartOperator

pytestmark = pytest.mark.integration

STATION_EXAMPLES = REPO_ROOT / "examples" / "stations"


def station(namespace: str, name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "satfeed.io/v1alpha1",
        "kind": "GroundStation",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def elements_of(testbed: TestBed, namespace: str, satellite: str) -> Any:
    configmap = testbed.kube.get_json("get", "configmap", f"{satellite}-elements", "-n", namespace)
    return parse_elements(configmap["data"]["elements"])[0]


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_passes_in_the_status_are_those_satfeed_core_predicts(
    testbed: TestBed, operator: Any, namespace: str
) -> None:
    kube = testbed.kube
    for name in ("terra", "aqua"):
        kube.apply(yaml.safe_dump(example(name, namespace)))
    wait_for(
        lambda: all(
            (get(testbed.kube, "satellite", namespace, n) or {}).get("status")
            for n in ("terra", "aqua")
        ),
        60,
        "both Satellites reconciled",
    )
    spec = {
        "latitude": 78.23,
        "longitude": 15.39,
        "altitudeMeters": 500,
        "minElevation": 5,
        "lookAheadHours": 12,
        "downlinks": [{"satellite": "terra", "frequencyMHz": 8212.5}],
    }
    kube.apply(yaml.safe_dump(station(namespace, "svalbard", **spec)))
    found = wait_condition(
        kube, namespace, "svalbard", "Ready", "True", timeout=90, kind="groundstation"
    )
    status = found["status"]
    assert status["satellites"] == 2
    assert (condition(found, "SatellitesSelected") or {}).get("status") == "True"

    parsed = parse_ground_station("svalbard", spec)
    start, end = parse_time(status["predictedAt"]), parse_time(status["predictedUntil"])
    expected = [
        (name, each)
        for name in ("terra", "aqua")
        for each in predict_passes(
            elements_of(testbed, namespace, name), parsed.station, start, end
        ).passes
        if each.aos is not None and each.last.time > start
    ]
    listed = [each for each in status["passes"] if "aos" in each]
    assert len(listed) == len(expected) > 4  # Svalbard sees polar orbiters every orbit
    by_key = {(each["satellite"], each["aos"]): each for each in listed}
    for name, pass_ in expected:
        aos = pass_.aos
        assert aos is not None
        entry = by_key[(name, aos.time.strftime("%Y-%m-%dT%H:%M:%SZ"))]
        assert entry["maxElevation"] == pytest.approx(pass_.culmination.elevation_deg, abs=0.01)
        assert entry["aosAzimuth"] == pytest.approx(aos.azimuth_deg, abs=0.01)
        if name == "terra":
            assert 8211.5 < entry["downlinkMHz"] < 8213.5  # Doppler: at most ~25 ppm in LEO
        else:
            assert "downlinkMHz" not in entry
    assert status["nextPass"] == status["passes"][0]
    assert status["topicName"] == pass_events.topic_name(namespace, "svalbard")

    table = kube.kubectl_ok("get", "groundstations", "-n", namespace, "-o", "wide")
    header, row = table.splitlines()[:2]
    for column in (
        "LATITUDE",
        "SATELLITES",
        "NEXT-PASS",
        "AOS",
        "MAX-EL",
        "READY",
        "NEXT-PER-SATELLITE",
    ):
        assert column in header
    assert status["nextPass"]["satellite"] in row
    assert "terra" in row
    assert "aqua" in row


def test_a_pass_happening_now_gives_a_notice_and_its_events_in_order(
    testbed: TestBed, operator: Any, namespace: str
) -> None:
    """A station placed under TERRA's track a minute from now, with a high minimum
    elevation, sees a pass of a few tens of seconds: notice, AOS and LOS all come within two
    minutes."""
    kube = testbed.kube
    kube.apply(yaml.safe_dump(example("terra", namespace)))
    wait_for(
        lambda: get(testbed.kube, "configmap", namespace, "terra-elements"), 60, "TERRA's elements"
    )
    overhead_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=75)
    below = Sgp4Propagator(elements_of(testbed, namespace, "terra")).positions_at([overhead_at])
    spec = {
        "latitude": round(float(below.lat_deg[0][0]), 4),
        "longitude": round(float(below.lon_deg[0][0]), 4),
        "minElevation": 80,
        "aosNoticeSeconds": 30,
    }
    kube.apply(yaml.safe_dump(station(namespace, "under-terra", **spec)))
    found = wait_condition(
        kube, namespace, "under-terra", "Ready", "True", timeout=60, kind="groundstation"
    )
    next_pass = found["status"]["nextPass"]
    assert next_pass["satellite"] == "terra"
    assert abs(parse_time(next_pass["culmination"]) - overhead_at) < timedelta(seconds=5)

    consumer = Consumer(
        {
            "bootstrap.servers": testbed.kafka.bootstrap_servers,
            "group.id": f"test-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([found["status"]["topicName"]])
    received: list[dict[str, Any]] = []

    def three_events() -> bool:
        message = consumer.poll(1.0)
        if message is not None and message.error() is None:
            assert message.key() == b"terra"
            received.append(pass_events.decode(message.value() or b""))
        return len(received) >= 3

    try:
        wait_for(three_events, 180, "upcoming, aos and los of TERRA's pass")
    finally:
        consumer.close()
    assert [each["event"] for each in received] == ["upcoming", "aos", "los"]
    assert len({each["eventId"] for each in received}) == 3
    upcoming, aos, los = received
    second = timedelta(seconds=1)  # the pass's times are whole seconds, events' times ms
    assert timedelta(0) <= parse_time(aos["time"]) - parse_time(aos["aos"]) < second
    assert timedelta(0) <= parse_time(los["time"]) - parse_time(los["los"]) < second
    notice = parse_time(aos["time"]) - parse_time(upcoming["time"])
    assert notice == timedelta(seconds=30)
    assert aos["maxElevation"] >= 80

    events = kube.get_json(
        "get", "events", "-n", namespace, "--field-selector", "involvedObject.name=under-terra"
    )["items"]
    notices = [each for each in events if each["reason"] == "PassSoon"]
    assert len(notices) == 1
    assert "terra rises in" in notices[0]["message"]
    final = get(testbed.kube, "groundstation", namespace, "under-terra") or {}
    assert parse_time(final["status"]["passEvents"]["publishedThrough"]) >= parse_time(los["los"])


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"latitude": 91, "longitude": 0}, "spec.latitude"),
        ({"latitude": 0, "longitude": 200}, "spec.longitude"),
        ({"latitude": 0, "longitude": 0, "minElevation": -10}, "spec.minElevation"),
        (
            {
                "latitude": 0,
                "longitude": 0,
                "horizonMask": [{"azimuth": 90, "elevation": 5}, {"azimuth": 90, "elevation": 9}],
            },
            "one elevation per azimuth",
        ),
        ({"longitude": 0}, "latitude"),
        (
            {
                "latitude": 0,
                "longitude": 0,
                "satelliteSelector": {"matchExpressions": [{"key": "a", "operator": "Like"}]},
            },
            "operator",
        ),
    ],
    ids=[
        "latitude",
        "longitude",
        "min-elevation",
        "mask-not-a-function",
        "no-latitude",
        "selector-op",
    ],
)
def test_the_apiserver_refuses_what_the_schema_can_say(
    testbed: TestBed, satellite_crd: None, namespace: str, spec: dict[str, Any], words: str
) -> None:
    result = testbed.kube.kubectl(
        "apply", "-f", "-", stdin=yaml.safe_dump(station(namespace, "bad", **spec))
    )
    assert result.returncode != 0
    assert words in result.stderr


def test_a_selector_matching_nothing_and_unusable_elements_are_explained(
    testbed: TestBed, start_operator: StartOperator, namespace: str
) -> None:
    start_operator()
    kube = testbed.kube
    kube.apply(
        yaml.safe_dump(
            station(
                namespace,
                "nobody",
                latitude=49.87,
                longitude=8.65,
                satelliteSelector={"matchLabels": {"team": "nobody"}},
            )
        )
    )
    found = wait_condition(
        kube, namespace, "nobody", "Ready", "False", timeout=60, kind="groundstation"
    )
    selected = condition(found, "SatellitesSelected") or {}
    assert selected["reason"] == "NoSatellitesSelected"
    assert "team=nobody" in selected["message"]
    assert "label the Satellites" in selected["message"]

    # A Satellite whose elements cannot be propagated (mean motion of a decayed orbit).
    terra = example("terra", namespace)
    line2 = terra["spec"]["elements"]["tle"]["line2"]
    decayed = line2[:52] + "17.50000000" + line2[63:68]
    digits = sum(int(c) if c.isdigit() else (1 if c == "-" else 0) for c in decayed)
    terra["spec"]["elements"]["tle"]["line2"] = decayed + str(digits % 10)
    terra["metadata"]["labels"] = {"team": "nobody"}
    kube.apply(yaml.safe_dump(terra))

    def explained() -> dict[str, Any] | None:
        body = get(testbed.kube, "groundstation", namespace, "nobody")
        ready = condition(body, "Ready") or {}
        return body if ready.get("reason") == "ElementsUnusable" else None

    body = wait_for(explained, 90, "Ready=False ElementsUnusable")
    assert "terra" in (condition(body, "Ready") or {})["message"]
    states = body["status"]["satelliteStates"]
    assert [(each["satellite"], each["visibility"]) for each in states] == [("terra", "unusable")]


def test_the_examples_are_valid_stations(
    testbed: TestBed, satellite_crd: None, namespace: str
) -> None:
    for example_file in sorted(STATION_EXAMPLES.glob("*.yaml")):
        testbed.kube.kubectl_ok(
            "apply", "--dry-run=server", "-n", namespace, "-f", str(example_file)
        )
