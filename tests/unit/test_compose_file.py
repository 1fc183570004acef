"""deploy/compose/compose.yaml keeps its promises: order by health, declared topics, one
producer per satellite, each client its own Kafka user and nothing else, non-root read-only
services (the real run: tests/integration/compose)."""

from __future__ import annotations

import re
from typing import Any

import yaml
from satfeed_dev.compose_bed import COMPOSE_FILE


def _services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    return services


def _producers() -> dict[str, Any]:
    return {name: s for name, s in _services().items() if name.startswith("producer-")}


def _setup_clients(services: dict[str, Any]) -> dict[str, str]:
    """Client (user) name -> its credentials volume, as mounted into setup."""
    mounts = [m.split(":") for m in services["setup"]["volumes"]]
    return {target.removeprefix("/credentials/"): volume for volume, target, *_ in mounts
            if target.startswith("/credentials/")}  # fmt: skip


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Target -> source of a service's volumes."""
    return {target: source for source, target, *_ in (m.split(":") for m in service["volumes"])}


def test_kafka_creates_no_topic_on_first_use_and_every_producers_topic_is_declared() -> None:
    services = _services()
    assert services["kafka"]["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    # setup.sh creates satfeed.<satellite> for each producer-<satellite> mounted into it.
    declared = [
        f"satfeed.{name.removeprefix('producer-')}"
        for name in _setup_clients(services)
        if name.startswith("producer-")
    ]
    topics = [p["environment"]["SATFEED_TOPIC"] for p in _producers().values()]
    assert sorted(topics) == sorted(declared) == ["satfeed.aqua", "satfeed.aura", "satfeed.terra"]


def _check_clients(services: dict[str, Any]) -> None:
    """Every client connects as the user setup makes for it, with its own password only."""
    clients = _setup_clients(services)
    for name, service in services.items():
        if not (name.startswith("producer-") or name == "frontend"):
            continue
        env = service["environment"]
        assert env["KAFKA_SECURITY_PROTOCOL"] == "${SATFEED_KAFKA_SECURITY_PROTOCOL:-SASL_SSL}"
        assert env["KAFKA_SASL_USERNAME"] == name
        if name != "frontend":
            assert env["SATFEED_TOPIC"] == f"satfeed.{name.removeprefix('producer-')}"
        mounts = _mounts(service)
        user_dir = env["KAFKA_SASL_PASSWORD_FILE"].rsplit("/", 1)[0]
        assert mounts[user_dir] == clients[name], name
        assert mounts[env["KAFKA_SSL_CA_FILE"].rsplit("/", 1)[0]] == "kafka-ca", name
        others = set(clients.values()) - {clients[name]}
        assert not others & set(mounts.values()), f"{name} mounts another client's password"


def test_each_client_connects_as_its_own_user_over_tls_with_only_its_own_password() -> None:
    services = _services()
    _check_clients(services)
    assert set(_setup_clients(services)) == {*_producers(), "frontend"}


def test_kafka_authorizes_and_its_plaintext_listeners_stay_on_its_loopback() -> None:
    env = _services()["kafka"]["environment"]
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert env["KAFKA_SUPER_USERS"] == "User:ANONYMOUS"  # the plaintext listeners' principal
    protocols = dict(
        e.split(":", 1) for e in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    listeners = dict(e.split("://", 1) for e in env["KAFKA_LISTENERS"].split(","))
    for name, protocol in protocols.items():
        if protocol == "PLAINTEXT":
            assert listeners[name].startswith("127.0.0.1:"), name
        else:
            assert protocol == "${SATFEED_KAFKA_SECURITY_PROTOCOL:-SASL_SSL}", name
    # No secret in the file: the keystore's password is read from certs.sh's file.
    assert env["KAFKA_SSL_KEYSTORE_PASSWORD"].startswith(
        "$${file:/etc/kafka/tls/"
    )  # $$: a literal $


def test_start_up_order_follows_health_checks() -> None:
    services = _services()
    done = {"condition": "service_completed_successfully"}
    assert services["kafka"]["depends_on"] == {"certs": done}
    assert services["setup"]["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    assert services["setup"]["network_mode"] == "service:kafka"
    assert services["frontend"]["depends_on"] == {"setup": done}
    for producer in _producers().values():
        assert producer["depends_on"] == {"setup": done}
    for name in ("kafka", "frontend", *_producers()):
        assert services[name]["healthcheck"]["test"][0] == "CMD", name


def test_the_frontend_finds_every_producers_topic_without_kubernetes() -> None:
    pattern = re.compile(_services()["frontend"]["environment"]["SATFEED_TOPIC_PATTERN"])
    for producer in _producers().values():
        assert pattern.fullmatch(producer["environment"]["SATFEED_TOPIC"])
    assert "KUBECONFIG" not in _services()["frontend"]["environment"]


def test_project_services_run_read_only_and_publish_on_loopback_only() -> None:
    services = _services()
    for name in ("frontend", *_producers()):
        assert services[name]["read_only"] is True, name
    for service in services.values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), port


def test_the_kafka_image_is_a_variable_defaulting_to_the_official_one() -> None:
    services = _services()
    assert services["kafka"]["image"] == services["setup"]["image"] == services["certs"]["image"]
    assert services["kafka"]["image"] == "${KAFKA_IMAGE:-apache/kafka:4.3.1}"


def test_the_satellite_override_adds_its_client_to_setup_and_keeps_the_others() -> None:
    override = yaml.safe_load((COMPOSE_FILE.parent / "noaa-19.yaml").read_text())
    assert _setup_clients(override["services"]) == {
        "producer-noaa-19": "producer-noaa-19-credentials"
    }
    assert "producer-noaa-19-credentials" in override["volumes"]
    producer = override["services"]["producer-noaa-19"]
    assert producer["depends_on"] == _producers()["producer-terra"]["depends_on"]
    assert producer["healthcheck"] == _producers()["producer-terra"]["healthcheck"]
    # Compose merges setup's volumes by target: the base's clients and this one.
    merged = _services()
    merged["setup"]["volumes"] += override["services"]["setup"]["volumes"]
    merged["producer-noaa-19"] = producer
    _check_clients(merged)
