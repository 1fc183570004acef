"""The Docker Compose stack (deploy/compose) on a real Docker Engine, with `make images`.

The test bed starts its own dockerd (satfeed_dev.docker_engine); the project's images are
built by `make images` itself and Kafka's from the test bed's jars (satfeed_dev.compose_bed).
In order: the images; `make compose-up`'s script brings every service up healthy; schema-v1
records in each topic, read from this host as the frontend's user (SCRAM-SHA-512 over TLS);
the broker refuses clients without credentials or with wrong ones, a producer's credentials
writing another satellite's topic and the frontend's writing or creating any; Chromium sees
three satellites updating; a killed producer, started
again, leaves its topic on the time grid with nothing lost and nothing twice; a warm start;
one more satellite from an override file; a setup that fails is named with its output;
`down -v` leaves nothing. Then bad input: a taken port, and Kafka failing its health check;
and the plaintext variant for development, rendered. Figures go to artifacts/compose-report.json
(docs/benchmarks.md).
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
import urllib.request
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from satfeed_core import cadence
from satfeed_core.kafka_security import SASL_SSL, KafkaSecurity
from satfeed_core.record import decode_record
from satfeed_dev.compose_bed import COMPOSE_FILE, ComposeStack, ImageTimes, build_images
from satfeed_dev.docker_engine import DockerEngine, engine_missing
from satfeed_dev.procs import free_port
from satfeed_dev.waiting import wait_for

from tests.integration.frontend.conftest import WatchedPage

# The first test builds the images: cold, on a fresh machine, that takes minutes.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800)]

SATELLITES = ("terra", "aqua", "aura")
NOAA_19 = COMPOSE_FILE.parent / "noaa-19.yaml"
ONE_SHOTS = {"certs", "setup"}
SERVICES = {"kafka", *ONE_SHOTS, "frontend", *(f"producer-{s}" for s in SATELLITES)}
REPORT: dict[str, object] = {}


@pytest.fixture(scope="module")
def engine(run_root: Path) -> Iterator[DockerEngine]:
    missing = engine_missing()
    if missing and os.geteuid() == 0:  # as root, make setup installs the engine
        pytest.fail(f"no Docker Engine: {missing}", pytrace=False)
    if missing:
        pytest.skip(f"no Docker Engine can run here: {missing}")
    docker = DockerEngine(run_root / "docker")
    docker.start()
    try:
        yield docker
    finally:
        docker.stop()
        (run_root / "artifacts").mkdir(parents=True, exist_ok=True)
        (run_root / "artifacts" / "compose-report.json").write_text(json.dumps(REPORT, indent=1))


@pytest.fixture(scope="module")
def built(engine: DockerEngine) -> ImageTimes:
    times = build_images(engine)
    REPORT["image_seconds"] = {k: round(v, 1) for k, v in times.seconds.items()}
    return times


@pytest.fixture(scope="module")
def stack(engine: DockerEngine, built: ImageTimes) -> Iterator[ComposeStack]:
    compose = ComposeStack(engine, http_port=free_port(), kafka_port=free_port())
    try:
        yield compose
    finally:
        compose.down()


def _metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=3) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return 0.0


def _up_until_first_record(stack: ComposeStack) -> float:
    """Seconds from `up` until the page's server holds a record."""
    started = time.monotonic()
    done = stack.up()
    assert done.returncode == 0, done.stdout + done.stderr
    wait_for(
        lambda: _metric(stack.http_port, "satfeed_frontend_records_consumed_total") > 0,
        120,
        "the first record on the page",
    )
    return round(time.monotonic() - started, 1)


def _settings(stack: ComposeStack, security: KafkaSecurity) -> dict[str, Any]:
    return {"bootstrap.servers": stack.bootstrap_servers, **security.client_settings()}


def _records(stack: ComposeStack, topic: str) -> list[tuple[bytes, int, bytes]]:
    """(key, timestamp ms, value) of every record in the topic, read from this host as the
    frontend's user (its ACLs: Describe on groups satfeed-frontend-*)."""
    consumer = Consumer(
        {
            **_settings(stack, stack.security("frontend")),
            "group.id": "satfeed-frontend-compose-test",
        }
    )
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=20)
        consumer.assign([TopicPartition(topic, 0, low)])
        records: list[tuple[bytes, int, bytes]] = []
        while len(records) < high - low:
            message = consumer.poll(10)
            assert message is not None, f"{topic}: {len(records)} of {high - low} records read"
            assert message.error() is None, message.error()
            records.append((message.key() or b"", message.timestamp()[1], message.value() or b""))
        return records
    finally:
        consumer.close()


def test_make_images_builds_the_project_images(engine: DockerEngine, built: ImageTimes) -> None:
    for name in ("producer", "frontend", "operator"):
        info = json.loads(engine.docker("image", "inspect", f"satfeed-{name}:0.1.0").stdout)[0]
        assert info["Config"]["User"] == "10001:10001"
        assert info["Config"]["Entrypoint"] == [f"satfeed-{name}"]


def test_every_service_comes_up_healthy_with_records_in_every_topic(
    stack: ComposeStack,
) -> None:
    REPORT["cold_up_to_first_record_s"] = _up_until_first_record(stack)
    expected = {service: "healthy" for service in SERVICES} | dict.fromkeys(ONE_SHOTS, "exited")
    wait_for(lambda: stack.health() == expected, 120, "every service healthy")
    for satellite in SATELLITES:
        topic = f"satfeed.{satellite}"
        records = wait_for(partial(_records, stack, topic), 60, f"records in {topic}")
        for key, timestamp_ms, value in records:
            record = decode_record(value)  # schema v1, validated
            assert key == satellite.encode() == record.satellite.encode()
            assert timestamp_ms == round(record.time.timestamp() * 1000)


def _refused(settings: dict[str, Any]) -> list[int]:
    """The client errors met writing one record with these settings, which must fail (the
    client's callbacks are served while it flushes)."""
    errors: list[int] = []
    config: dict[str, Any] = {**settings, "error_cb": lambda error: errors.append(error.code())}
    assert _write(config, "satfeed.terra", b"compose-test-forged") != [None]
    return errors


def test_the_broker_refuses_clients_without_credentials_or_with_wrong_ones(
    stack: ComposeStack,
) -> None:
    frontend = stack.security("frontend")
    assert "satfeed.terra" in AdminClient(_settings(stack, frontend)).list_topics(timeout=20).topics
    # No credentials at all: plaintext against the TLS listener gets nowhere.
    assert KafkaError._AUTHENTICATION not in _refused(
        {"bootstrap.servers": stack.bootstrap_servers}
    )
    wrong = stack.secrets / "wrong-password"
    wrong.write_text("not-the-password\n")
    for username in ("frontend", "nobody"):
        security = KafkaSecurity(SASL_SSL, username, wrong, frontend.ca_file)
        assert KafkaError._AUTHENTICATION in _refused(_settings(stack, security)), username
    # Inside the Compose network, the plaintext listeners (controller, setup) are out of
    # reach: they are bound to the kafka container's loopback.
    network = f"{stack.project}_default"
    for port in (9093, 9095):
        probe = stack.engine.docker(
            "run", "--rm", f"--network={network}", "--entrypoint=bash", stack.env()["KAFKA_IMAGE"],
            "-c", f"exec 3<>/dev/tcp/kafka/{port}", check=False,
        )  # fmt: skip
        assert probe.returncode != 0, port
        assert "refused" in probe.stderr, (port, probe.stderr)


def _write(settings: dict[str, Any], topic: str, key: bytes) -> list[int | None]:
    """The delivery results of one record written with these settings."""
    writer = Producer({**settings, "message.timeout.ms": 8000})
    delivered: list[int | None] = []
    writer.produce(
        topic,
        key=key,
        value=b"forged",
        on_delivery=lambda error, _: delivered.append(error.code() if error else None),
    )
    writer.flush(20)
    return delivered


def test_a_producers_credentials_write_its_own_topic_only(stack: ComposeStack) -> None:
    terra = _settings(stack, stack.security("producer-terra"))
    key = b"compose-test-forged"
    assert _write(terra, "satfeed.aqua", key) == [KafkaError.TOPIC_AUTHORIZATION_FAILED]
    assert all(record_key != key for record_key, _, _ in _records(stack, "satfeed.aqua"))


def test_the_frontends_credentials_can_neither_write_nor_create_topics(
    stack: ComposeStack,
) -> None:
    frontend = _settings(stack, stack.security("frontend"))
    key = b"compose-test-forged"
    assert _write(frontend, "satfeed.terra", key) == [KafkaError.TOPIC_AUTHORIZATION_FAILED]
    assert all(record_key != key for record_key, _, _ in _records(stack, "satfeed.terra"))
    creator = AdminClient(frontend)  # kept: the future fails when its client goes
    with pytest.raises(KafkaException) as refused:
        creator.create_topics([NewTopic("satfeed.forged", 1, 1)])["satfeed.forged"].result(30)
    assert refused.value.args[0].code() in (
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
    )
    assert "satfeed.forged" not in creator.list_topics(timeout=20).topics


def test_chromium_sees_three_satellites_updating(
    stack: ComposeStack, open_page: Callable[[str], WatchedPage]
) -> None:
    page = open_page(f"http://127.0.0.1:{stack.http_port}/")
    wait_for(lambda: sorted(page.satellites_shown()) == sorted(SATELLITES), 60, "three cards")
    before = {satellite: page.card_values(satellite) for satellite in SATELLITES}
    wait_for(
        lambda: all(page.card_values(s) != before[s] for s in SATELLITES),
        15,
        "every card to move",
    )
    assert page.console_errors == []


def test_a_killed_producer_started_again_loses_nothing_and_duplicates_nothing(
    stack: ComposeStack,
) -> None:
    container = stack.container("producer-terra")
    started_at = _state(stack, container)["StartedAt"]
    before = len(_records(stack, "satfeed.terra"))
    stack.engine.docker("kill", container)
    killed_at = time.time()
    wait_for(
        lambda: (
            not _state(stack, container)["Running"]
            or _state(stack, container)["StartedAt"] != started_at
        ),
        30,
        "terra's producer to be killed",
    )
    done = stack.compose("start", "producer-terra")  # unless its restart policy did already
    assert done.returncode == 0, done.stderr
    started_again = time.time()
    # Records after the restart, for grid times the kill skipped and after.
    wait_for(
        lambda: _records(stack, "satfeed.terra")[-1][1] / 1000 > started_again + 1,
        60,
        "terra's records from after its restart",
    )
    records = _records(stack, "satfeed.terra")
    assert len(records) > before
    indices = [cadence.grid_index(ts / 1000, 1.0) for _, ts, _ in records]
    assert all(ts % 1000 == 0 for _, ts, _ in records), "every record on the 1 s grid"
    assert len(set(indices)) == len(indices), "no grid time twice"
    assert indices == sorted(indices)
    assert indices == list(range(indices[0], indices[-1] + 1)), "no grid time lost"
    assert indices[0] <= cadence.grid_index(killed_at, 1.0) <= indices[-1]


def test_a_warm_start_and_the_stacks_memory(stack: ComposeStack) -> None:
    stats = stack.engine.docker(
        "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", timeout=60
    ).stdout.split("\n")
    mib = {
        line.split()[0]: _mib(line.split()[1]) for line in stats if line.startswith(stack.project)
    }
    REPORT["memory_mib"] = {name.removeprefix(stack.project + "_"): m for name, m in mib.items()}
    REPORT["memory_total_mib"] = round(sum(mib.values()))
    assert len(mib) == len(SERVICES) - len(ONE_SHOTS)  # every service but the one-shots
    assert stack.compose("stop").returncode == 0
    REPORT["warm_up_to_first_record_s"] = _up_until_first_record(stack)


def test_one_more_satellite_is_one_override_file(stack: ComposeStack) -> None:
    stack.overrides = (NOAA_19,)
    done = stack.up()
    assert done.returncode == 0, done.stdout + done.stderr
    wait_for(
        lambda: _metric(stack.http_port, "satfeed_frontend_satellites") == 4,
        60,
        "NOAA 19 on the page, its topic found by name",
    )
    assert stack.health()["producer-noaa-19"] in ("starting", "healthy")


def _state(stack: ComposeStack, container: str) -> dict[str, object]:
    state: dict[str, object] = json.loads(stack.engine.docker("inspect", container).stdout)[0][
        "State"
    ]
    return state


def _mib(usage: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([KMG]i?B)", usage).groups()  # type: ignore[union-attr]
    return round(float(number) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[unit], 1)


def test_a_setup_that_fails_is_named_with_its_output(
    stack: ComposeStack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # A satellite whose name Kafka refuses as a topic's (satfeed.noaa+19): setup stops
    # there, and up says which service failed and why, in setup's own words.
    override = tmp_path_factory.mktemp("compose") / "bad-satellite.yaml"
    override.write_text(
        "services:\n"
        "  setup:\n"
        "    volumes: ['producer-bad-credentials:/credentials/producer-noaa+19']\n"
        "volumes:\n"
        "  producer-bad-credentials:\n"
    )
    stack.overrides = (NOAA_19, override)  # kept: down -v removes its volume too
    done = stack.up()
    output = done.stdout + done.stderr
    REPORT["failed_setup_report"] = done.stderr
    assert done.returncode == 1, output
    assert "setup: it exited with status 1" in output
    assert "setup: FAILED: creating topic satfeed.noaa+19" in output
    assert "Topic name is invalid" in output  # Kafka's reason, from kafka-topics.sh


def test_down_v_leaves_no_container_network_or_volume(stack: ComposeStack) -> None:
    assert stack.leftovers()["volumes"], "Kafka's volume exists before down"
    done = stack.down()
    assert done.returncode == 0, done.stderr
    assert stack.leftovers() == {"containers": [], "networks": [], "volumes": []}


@pytest.fixture
def another_stack(engine: DockerEngine, built: ImageTimes) -> Iterator[ComposeStack]:
    compose = ComposeStack(engine, http_port=free_port(), kafka_port=free_port())
    try:
        yield compose
    finally:
        compose.down()
        assert compose.leftovers() == {"containers": [], "networks": [], "volumes": []}


def test_a_taken_port_is_named_with_what_to_do(another_stack: ComposeStack) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", another_stack.http_port))
        taken.listen()
        done = another_stack.up()
    output = done.stdout + done.stderr
    REPORT["taken_port_report"] = done.stderr
    assert done.returncode == 1, output
    assert "frontend" in output
    assert "a port is taken by another program" in output
    assert "SATFEED_HTTP_PORT" in output


def test_kafka_failing_its_health_check_is_named_with_the_checks_output(
    another_stack: ComposeStack, tmp_path: Path
) -> None:
    # A broker that advertises an address nobody can reach: it runs, but no client (the
    # health check included) gets past the bootstrap.
    override = tmp_path / "unreachable-kafka.yaml"
    override.write_text(
        "services:\n"
        "  kafka:\n"
        "    environment:\n"
        "      KAFKA_ADVERTISED_LISTENERS: >-\n"
        "        CLIENTS://nowhere.invalid:9092,HOST://127.0.0.1:1,SETUP://nowhere.invalid:9095\n"
        "    healthcheck: {interval: 3s, timeout: 10s, retries: 3, start_period: 15s}\n"
    )
    another_stack.overrides = (override,)
    done = another_stack.up()
    output = done.stdout + done.stderr
    REPORT["unhealthy_kafka_report"] = done.stderr
    assert done.returncode == 1, output
    assert "kafka: its health check fails" in output
    assert "last health check output:" in output


def test_plaintext_is_one_variable_for_development(engine: DockerEngine) -> None:
    """SATFEED_KAFKA_SECURITY_PROTOCOL=PLAINTEXT: every client and the broker's client
    listeners in plaintext, noaa-19's producer included; the default is SCRAM over TLS."""
    for variables, protocol in (
        ({}, SASL_SSL),
        ({"SATFEED_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}, "PLAINTEXT"),
    ):
        stack = ComposeStack(engine, 8050, 9094, overrides=(NOAA_19,), variables=variables)
        done = stack.compose("config")
        assert done.returncode == 0, done.stderr
        services = yaml.safe_load(done.stdout)["services"]
        clients = [name for name in services if name.startswith("producer-")] + ["frontend"]
        assert len(clients) == 5
        for name in clients:
            assert services[name]["environment"]["KAFKA_SECURITY_PROTOCOL"] == protocol, name
        kafka = services["kafka"]["environment"]
        assert f"CLIENTS:{protocol}" in kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]
        assert f"HOST:{protocol}" in kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]
