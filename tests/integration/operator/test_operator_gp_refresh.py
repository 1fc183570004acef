"""Elements from a CelesTrak-like GP endpoint (a test server on loopback, never the real
one): one download per NORAD id for all Satellites, the 2-hour rule respected, 403s and
errors backed off, the ConfigMap changed only when the elements do."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from satfeed_dev.celestrak import GpServer
from satfeed_dev.operator_bed import (
    condition,
    events_for,
    example,
    get,
    renamed,
    wait_condition,
    with_spec,
)
from satfeed_dev.sample_data import tle_file
from satfeed_dev.testbed import TestBed
from satfeed_dev.tle_edit import shifted_epoch, three_line_sets
from satfeed_dev.waiting import wait_for

from tests.integration.operator.conftest import StartOperator

pytestmark = pytest.mark.integration

ISS = 25544
TERRA = 25994


@pytest.fixture
def gp_server() -> Iterator[GpServer]:
    with GpServer(tle_file("earth-observation.tle")) as server:
        yield server


def checksum_of(deployment: dict[str, Any] | None) -> str:
    assert deployment is not None
    return str(
        deployment["spec"]["template"]["metadata"]["annotations"]["satfeed.io/producer-checksum"]
    )


def celestrak_satellite(namespace: str, name: str, norad_id: int) -> dict[str, Any]:
    return renamed(
        with_spec(example("iss-celestrak", namespace), noradId=norad_id, displayName=None), name
    )


def test_one_download_serves_every_satellite_of_a_norad_id(
    testbed: TestBed, namespace: str, start_operator: StartOperator, gp_server: GpServer
) -> None:
    kube = testbed.kube
    operator = start_operator(SATFEED_CELESTRAK_URL=gp_server.url)
    kube.apply(example("iss-celestrak", namespace))
    for name in ("terra-a", "terra-b", "terra-c"):
        kube.apply(celestrak_satellite(namespace, name, TERRA))

    iss = wait_condition(kube, namespace, "iss", "ElementsValid", "True")
    assert iss["status"]["elements"]["source"] == "celestrak"
    assert iss["status"]["elements"]["fetchedAt"]
    for name in ("terra-a", "terra-b", "terra-c"):
        satellite = wait_condition(kube, namespace, name, "TopicReady", "True")
        assert satellite["status"]["elements"]["name"] == "TERRA"
        configmap = get(kube, "configmap", namespace, f"{name}-elements")
        assert configmap is not None
        assert configmap["data"]["elements"].splitlines()[0] == "TERRA"

    assert len(gp_server.requests_for(TERRA)) == 1
    assert len(gp_server.requests_for(ISS)) == 1
    assert all(request.status == 200 for request in gp_server.requests)
    assert all(request.user_agent.startswith("satfeed-operator/") for request in gp_server.requests)

    # A restart remembers the download (in the Satellites' status): no second request.
    operator.stop()
    start_operator(SATFEED_CELESTRAK_URL=gp_server.url)
    kube.apply(with_spec(celestrak_satellite(namespace, "terra-a", TERRA), intervalSeconds=2))
    wait_for(
        lambda: (
            (get(kube, "satellite", namespace, "terra-a") or {})["status"]["observedGeneration"]
            == 2
        ),
        30,
        "the restarted operator to handle terra-a's change",
    )
    assert len(gp_server.requests_for(TERRA)) == 1


def test_refreshes_keep_the_interval_and_change_the_configmap_only_for_new_elements(
    testbed: TestBed, namespace: str, start_operator: StartOperator
) -> None:
    kube = testbed.kube
    refresh = 2.0
    # The server's repeat window is shorter than the operator's interval: no 403 expected.
    with GpServer(tle_file("earth-observation.tle"), timedelta(seconds=refresh - 0.5)) as server:
        start_operator(
            SATFEED_CELESTRAK_URL=server.url,
            SATFEED_ELEMENTS_REFRESH_SECONDS=str(refresh),
            SATFEED_RESYNC_SECONDS="1",
        )
        kube.apply(example("iss-celestrak", namespace))
        wait_condition(kube, namespace, "iss", "TopicReady", "True")
        configmap = get(kube, "configmap", namespace, "iss-elements")
        assert configmap is not None
        before = checksum_of(get(kube, "deployment", namespace, "iss-producer"))

        wait_for(lambda: len(server.requests_for(ISS)) >= 3, 30, "two refreshes of the ISS")
        unchanged = get(kube, "configmap", namespace, "iss-elements")
        assert unchanged is not None
        assert unchanged["metadata"]["resourceVersion"] == configmap["metadata"]["resourceVersion"]
        assert checksum_of(get(kube, "deployment", namespace, "iss-producer")) == before

        newer = shifted_epoch(
            three_line_sets(tle_file("earth-observation.tle"))["ISS (ZARYA)"], 0.5
        )
        server.set_elements(ISS, "\n".join(newer))
        wait_for(
            lambda: (
                (get(kube, "configmap", namespace, "iss-elements") or {})["data"][
                    "elements"
                ].splitlines()[1]
                == newer[1]
            ),
            30,
            "the new ISS elements in the ConfigMap",
        )
        wait_for(
            lambda: checksum_of(get(kube, "deployment", namespace, "iss-producer")) != before,
            30,
            "the producer's pod template to roll for the new elements",
        )
        wait_for(
            lambda: [
                e for e in events_for(kube, namespace, "iss") if e["reason"] == "ElementsUpdated"
            ],
            15,
            "an ElementsUpdated event",
        )
        requests = server.requests_for(ISS)
    assert all(request.status == 200 for request in requests)
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(requests)]
    assert min(gaps) >= refresh - 0.1, gaps


def test_a_refused_refresh_keeps_the_elements_and_backs_off(
    testbed: TestBed, namespace: str, start_operator: StartOperator, gp_server: GpServer
) -> None:
    kube = testbed.kube
    # The operator is told to refresh every second; the server keeps CelesTrak's 2 hours.
    start_operator(
        SATFEED_CELESTRAK_URL=gp_server.url,
        SATFEED_ELEMENTS_REFRESH_SECONDS="1",
        SATFEED_RESYNC_SECONDS="1",
    )
    kube.apply(example("iss-celestrak", namespace))
    wait_condition(kube, namespace, "iss", "TopicReady", "True")
    configmap = get(kube, "configmap", namespace, "iss-elements")
    assert configmap is not None

    wait_for(lambda: len(gp_server.requests_for(ISS)) >= 5, 40, "four refused refreshes")
    requests = gp_server.requests_for(ISS)[:5]
    assert [request.status for request in requests] == [200, 403, 403, 403, 403]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(requests)]
    # The interval (1 s), then after each refusal 1 s, 2 s, 4 s: the resync (every 1 s)
    # may add to each, never take from one.
    for gap, backoff in zip(gaps, (1, 1, 2, 4), strict=True):
        assert gap >= backoff - 0.1, gaps

    satellite = get(kube, "satellite", namespace, "iss")
    elements_valid = condition(satellite, "ElementsValid")
    assert elements_valid is not None
    assert elements_valid["status"] == "True"
    assert "the last refresh failed" in elements_valid["message"]
    assert "403" in elements_valid["message"]
    still = get(kube, "configmap", namespace, "iss-elements")
    assert still is not None
    assert still["metadata"]["resourceVersion"] == configmap["metadata"]["resourceVersion"]


def test_no_elements_at_all_is_reported_and_retried_later(
    testbed: TestBed, namespace: str, start_operator: StartOperator, gp_server: GpServer
) -> None:
    kube = testbed.kube
    gp_server.fail_with(503)
    start_operator(SATFEED_CELESTRAK_URL=gp_server.url)
    kube.apply(example("iss-celestrak", namespace))

    satellite = wait_condition(kube, namespace, "iss", "ElementsValid", "False", "FetchFailed")
    found = condition(satellite, "ElementsValid")
    assert found is not None
    assert "503" in found["message"]
    assert "tries again at" in found["message"]
    assert satellite["status"]["elements"]["nextFetchAt"]
    assert get(kube, "kafkatopic", namespace, "iss") is None
    assert len(gp_server.requests_for(ISS)) == 1

    kube.apply(celestrak_satellite(namespace, "unknown", 99999))
    unknown = wait_condition(kube, namespace, "unknown", "ElementsValid", "False", "FetchFailed")
    assert "503" in (condition(unknown, "ElementsValid") or {})["message"]


def test_a_spec_change_is_handled_at_once_while_the_next_download_is_hours_away(
    testbed: TestBed, namespace: str, start_operator: StartOperator, gp_server: GpServer
) -> None:
    """A CelesTrak Satellite waits two hours for its next download; pausing it meanwhile
    must not wait for that (kopf held spec changes back behind a delayed retry)."""
    kube = testbed.kube
    start_operator(SATFEED_CELESTRAK_URL=gp_server.url)
    satellite = celestrak_satellite(namespace, "terra", TERRA)
    kube.apply(satellite)
    wait_condition(kube, namespace, "terra", "TopicReady", "True", timeout=60)
    kube.apply(with_spec(satellite, paused=True))
    wait_condition(kube, namespace, "terra", "Ready", "False", reason="Paused", timeout=15)
