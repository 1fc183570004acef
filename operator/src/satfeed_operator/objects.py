"""Pure builders of a Satellite's children: KafkaTopic, elements ConfigMap, producer Deployment.

Each returns the complete object the operator wants, ready for server-side apply: fixed
name, labels, owner reference. No client calls here, so they are unit-tested directly.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from satfeed_core import contract
from satfeed_core.contract import ELEMENTS_KEY
from satfeed_core.labels import (
    COMPONENT_KEY,
    POSITIONS_STREAM,
    SATELLITE_KEY,
    STREAM_KEY,
    STRIMZI_CLUSTER_KEY,
    child_labels,
)

from satfeed_operator.api import Satellite
from satfeed_operator.config import OperatorConfig
from satfeed_operator.consts import (
    CHECKSUM_ANNOTATION,
    DISPLAY_NAME_ANNOTATION,
    ELEMENTS_DIR,
    ELEMENTS_FILE,
    FIELD_MANAGER,
    FLUSH_GRACE_SECONDS,
    HTTP_PORT,
    HTTP_PORT_NAME,
    KAFKATOPIC_API_VERSION,
    KAFKATOPIC_KIND,
    PRODUCER_COMMAND,
    PRODUCER_CONTAINER,
    PRODUCER_UID,
)
from satfeed_operator.kafka_users import Credentials, build_kafkauser
from satfeed_operator.network_policy import build_producer_networkpolicy


def _metadata(
    satellite: Satellite, name: str, display_name: str, extra_labels: Mapping[str, str] = {}
) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": satellite.namespace,
        "labels": {**child_labels(satellite.name), **extra_labels},
        "annotations": {DISPLAY_NAME_ANNOTATION: display_name},
        "ownerReferences": [satellite.owner_reference()],
    }


def build_configmap(satellite: Satellite, elements_text: str, display_name: str) -> dict[str, Any]:
    """The ConfigMap the producer reads its elements from (key ``elements``)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(satellite, satellite.elements_configmap_name, display_name),
        "data": {ELEMENTS_KEY: elements_text},
    }


def build_kafkatopic(
    satellite: Satellite,
    topic_name: str,
    cluster: str,
    display_name: str,
    default_replicas: int | None,
) -> dict[str, Any]:
    """The Strimzi KafkaTopic of the Satellite's positions."""
    topic = satellite.spec.topic
    spec: dict[str, Any] = {
        "topicName": topic_name,
        "partitions": topic.partitions,
        "config": {"retention.ms": topic.retention_ms, "cleanup.policy": "delete"},
    }
    replicas = topic.replicas or default_replicas
    if replicas is not None:  # absent: the cluster's default.replication.factor
        spec["replicas"] = replicas
    labels = {STREAM_KEY: POSITIONS_STREAM, STRIMZI_CLUSTER_KEY: cluster}
    return {
        "apiVersion": KAFKATOPIC_API_VERSION,
        "kind": KAFKATOPIC_KIND,
        "metadata": _metadata(satellite, satellite.kafkatopic_name, display_name, labels),
        "spec": spec,
    }


@dataclass(frozen=True)
class ProducerPlan:
    """What a producer Deployment is made of, besides the Satellite and operator config."""

    topic_name: str
    bootstrap_servers: str
    display_name: str
    norad_id: int
    elements_text: str
    credentials: Credentials | None = None
    """Its KafkaUser's, when the brokers authenticate (else it connects in plaintext)."""


def producer_env(
    satellite: Satellite, plan: ProducerPlan, config: OperatorConfig
) -> list[dict[str, str]]:
    """The producer's environment: the whole contract between operator and producer."""
    values = {
        contract.ENV_BOOTSTRAP_SERVERS: plan.bootstrap_servers,
        contract.ENV_TOPIC: plan.topic_name,
        contract.ENV_SATELLITE_ID: satellite.name,
        contract.ENV_DISPLAY_NAME: plan.display_name,
        contract.ENV_NORAD_ID: str(plan.norad_id),
        contract.ENV_ELEMENTS_FILE: ELEMENTS_FILE,
        contract.ENV_INTERVAL: contract.format_seconds(satellite.spec.interval_seconds),
        contract.ENV_BACKFILL: str(config.producer_backfill),
        contract.ENV_HTTP_PORT: str(HTTP_PORT),
        contract.ENV_LOG_FORMAT: config.producer_log_format,
        **(plan.credentials.env() if plan.credentials else {}),
    }
    return [{"name": name, "value": value} for name, value in values.items()]


def producer_checksum(env: list[dict[str, str]], elements_text: str) -> str:
    """Changes whenever the producer's input does, so the pod template (and pod) rolls.

    The env alone would roll the pod on spec changes; the elements are in a ConfigMap,
    whose changes a pod does not otherwise notice in its template.
    """
    digest = hashlib.sha256(json.dumps([env, elements_text], sort_keys=True).encode())
    return digest.hexdigest()[:16]


def build_producer_kafkauser(
    satellite: Satellite, plan: ProducerPlan, cluster: str
) -> dict[str, Any]:
    """The producer's KafkaUser (named as its Deployment): its own topic, nothing else."""
    metadata = _metadata(satellite, satellite.producer_name, plan.display_name)
    return build_kafkauser(metadata, cluster, plan.topic_name)


def producer_selector(satellite: Satellite) -> dict[str, str]:
    return {SATELLITE_KEY: satellite.name, COMPONENT_KEY: "producer"}


def build_networkpolicy(satellite: Satellite, plan: ProducerPlan, cluster: str) -> dict[str, Any]:
    """The producer pod's NetworkPolicy (named as its Deployment): DNS and Kafka only."""
    return build_producer_networkpolicy(
        _metadata(satellite, satellite.producer_name, plan.display_name),
        producer_selector(satellite),
        cluster,
        plan.bootstrap_servers,
    )


def build_deployment(
    satellite: Satellite, plan: ProducerPlan, replicas: int, config: OperatorConfig
) -> dict[str, Any]:
    """The producer Deployment: ``replicas`` (0 or 1) pods publishing the positions."""
    selector = producer_selector(satellite)
    env = producer_env(satellite, plan, config)
    credentials = plan.credentials
    container = producer_container(
        config,
        env,
        satellite.spec.producer_resources,
        [
            {"name": "elements", "mountPath": ELEMENTS_DIR, "readOnly": True},
            *(credentials.mounts() if credentials else []),
        ],
    )
    volumes = [
        {"name": "elements", "configMap": {"name": satellite.elements_configmap_name}},
        *(credentials.volumes() if credentials else []),
    ]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(satellite, satellite.producer_name, plan.display_name),
        "spec": producer_deployment_spec(
            selector,
            {**child_labels(satellite.name), **selector},
            {
                CHECKSUM_ANNOTATION: producer_checksum(env, plan.elements_text),
                DISPLAY_NAME_ANNOTATION: plan.display_name,
                **(credentials.annotations() if credentials else {}),
            },
            replicas,
            container,
            volumes,
        ),
    }


def producer_container(
    config: OperatorConfig,
    env: list[dict[str, str]],
    resources: Mapping[str, Any] | None,
    mounts: list[dict[str, Any]],
) -> dict[str, Any]:
    """A producer container (a Satellite's or a group shard's): probes, limits, locked down."""
    probe_port = {"path": "/healthz", "port": HTTP_PORT_NAME}
    return {
        "name": PRODUCER_CONTAINER,
        "image": config.producer_image,
        "imagePullPolicy": config.producer_image_pull_policy,
        "command": [PRODUCER_COMMAND],
        "env": env,
        "ports": [{"name": HTTP_PORT_NAME, "containerPort": HTTP_PORT, "protocol": "TCP"}],
        # The backfill at start-up publishes a few hundred records before the loop runs.
        "startupProbe": {"httpGet": probe_port, "periodSeconds": 2, "failureThreshold": 30},
        "livenessProbe": {"httpGet": probe_port, "periodSeconds": 10, "failureThreshold": 3},
        "readinessProbe": {
            "httpGet": {"path": "/readyz", "port": HTTP_PORT_NAME},
            "periodSeconds": 5,
            "failureThreshold": 2,
        },
        "resources": dict(resources or config.producer_resources),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            *mounts,
            {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 (a private emptyDir)
        ],
    }


def producer_deployment_spec(
    selector: Mapping[str, str],
    pod_labels: Mapping[str, str],
    pod_annotations: Mapping[str, str],
    replicas: int,
    container: dict[str, Any],
    volumes: list[dict[str, Any]],
) -> dict[str, Any]:
    """A producer Deployment's spec: one pod at most, never two at once."""
    return {
        "replicas": replicas,
        # Recreate: two producers of one satellite would publish every sample twice.
        "strategy": {"type": "Recreate"},
        "revisionHistoryLimit": 3,
        "selector": {"matchLabels": dict(selector)},
        "template": {
            "metadata": {"labels": dict(pod_labels), "annotations": dict(pod_annotations)},
            "spec": {
                "automountServiceAccountToken": False,  # the producer never calls the API
                "enableServiceLinks": False,
                "terminationGracePeriodSeconds": FLUSH_GRACE_SECONDS,
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": PRODUCER_UID,
                    "runAsGroup": PRODUCER_UID,
                    "fsGroup": PRODUCER_UID,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containers": [container],
                "volumes": [*volumes, {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
            },
        },
    }


def build_event(
    involved: Mapping[str, Any], type_: str, reason: str, message: str, now: str, instance: str
) -> dict[str, Any]:
    """A core/v1 Event about ``involved`` (what ``kubectl describe`` shows under Events)."""
    metadata = involved.get("metadata") or {}
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "generateName": f"{metadata.get('name')}.",
            "namespace": metadata.get("namespace"),
        },
        "involvedObject": {
            "apiVersion": involved.get("apiVersion"),
            "kind": involved.get("kind"),
            "name": metadata.get("name"),
            "namespace": metadata.get("namespace"),
            "uid": metadata.get("uid"),
        },
        "type": type_,
        "reason": reason,
        # The apiserver refuses event messages over 1 KiB.
        "message": message if len(message) <= 1024 else message[:1021] + "...",
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
        "source": {"component": FIELD_MANAGER},
        "reportingComponent": FIELD_MANAGER,
        "reportingInstance": instance,
    }


def already_applied(desired: Any, live: Any) -> bool:
    """Whether ``live`` already has every field of ``desired`` with the same value.

    Fields the apiserver defaulted or others added do not count, as in server-side apply;
    lists must match item by item. When this holds, applying ``desired`` would change
    nothing, so the request is skipped: most reconciles (a child's status changed) then
    cost the apiserver a few reads instead of three applies.
    """
    if isinstance(desired, Mapping):
        return isinstance(live, Mapping) and all(
            key in live and already_applied(value, live[key]) for key, value in desired.items()
        )
    if isinstance(desired, list):
        return (
            isinstance(live, list)
            and len(live) == len(desired)
            and all(already_applied(d, v) for d, v in zip(desired, live, strict=True))
        )
    return bool(desired == live)
