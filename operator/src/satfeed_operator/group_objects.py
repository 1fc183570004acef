"""Pure builders of a SatelliteGroup's children, ready for server-side apply.

- ``<group>`` KafkaTopic: one topic, at least one partition per shard, compressed;
- ``<group>-elements-<k>`` ConfigMaps: the usable members' element sets, in chunks;
- ``<group>-shards`` ConfigMap: the shard plan (:class:`satfeed_core.shards.ShardPlan`);
- ``<group>-shard-<i>`` Deployments: one producer pod per shard, each mounting every chunk
  and the plan, told only its own index.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from satfeed_core import contract
from satfeed_core.labels import (
    COMPONENT_KEY,
    ENCODING_BATCH_V2,
    ENCODING_KEY,
    POSITIONS_STREAM,
    SATELLITE_GROUP_KEY,
    SHARD_KEY,
    STREAM_KEY,
    STRIMZI_CLUSTER_KEY,
    group_child_labels,
)
from satfeed_core.shards import ShardPlan

from satfeed_operator.config import OperatorConfig
from satfeed_operator.consts import (
    CHECKSUM_ANNOTATION,
    DISPLAY_NAME_ANNOTATION,
    ELEMENTS_DIR,
    HTTP_PORT,
    KAFKATOPIC_API_VERSION,
    KAFKATOPIC_KIND,
    SHARD_PLAN_DIR,
)
from satfeed_operator.group_api import SatelliteGroup
from satfeed_operator.kafka_users import Credentials, build_kafkauser
from satfeed_operator.network_policy import build_producer_networkpolicy
from satfeed_operator.objects import producer_container, producer_deployment_spec


def _metadata(
    group: SatelliteGroup, name: str, display_name: str, extra_labels: Mapping[str, str] = {}
) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": group.namespace,
        "labels": {**group_child_labels(group.name), **extra_labels},
        "annotations": {DISPLAY_NAME_ANNOTATION: display_name},
        "ownerReferences": [group.owner_reference()],
    }


def display_name(group: SatelliteGroup) -> str:
    return group.spec.display_name or group.name


def build_group_kafkatopic(
    group: SatelliteGroup,
    topic_name: str,
    partitions: int,
    cluster: str,
    default_replicas: int | None,
) -> dict[str, Any]:
    """The group's KafkaTopic: ``partitions`` is at least the shard count (never fewer than
    the topic has: Kafka cannot take partitions away)."""
    topic = group.spec.topic
    spec: dict[str, Any] = {
        "topicName": topic_name,
        "partitions": partitions,
        "config": {
            "retention.ms": topic.retention_ms,
            "cleanup.policy": "delete",
            "compression.type": group.spec.compression,
        },
    }
    replicas = topic.replicas or default_replicas
    if replicas is not None:
        spec["replicas"] = replicas
    labels = {
        STREAM_KEY: POSITIONS_STREAM,
        ENCODING_KEY: ENCODING_BATCH_V2,
        STRIMZI_CLUSTER_KEY: cluster,
    }
    return {
        "apiVersion": KAFKATOPIC_API_VERSION,
        "kind": KAFKATOPIC_KIND,
        "metadata": _metadata(group, group.kafkatopic_name, display_name(group), labels),
        "spec": spec,
    }


def build_elements_configmap(group: SatelliteGroup, chunk: int, text: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(group, group.elements_name(chunk), display_name(group)),
        "data": {contract.ELEMENTS_KEY: text},
    }


def build_plan_configmap(group: SatelliteGroup, plan: ShardPlan) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(group, group.plan_name, display_name(group)),
        "data": {contract.SHARD_PLAN_KEY: plan.to_json()},
    }


def build_group_kafkauser(group: SatelliteGroup, topic_name: str, cluster: str) -> dict[str, Any]:
    """The KafkaUser every shard of the group connects as: the group's topic, nothing else."""
    return build_kafkauser(
        _metadata(group, group.producer_user_name, display_name(group)), cluster, topic_name
    )


def build_group_networkpolicy(
    group: SatelliteGroup, cluster: str, bootstrap_servers: str
) -> dict[str, Any]:
    """One NetworkPolicy for all of the group's shards: DNS and Kafka only."""
    return build_producer_networkpolicy(
        _metadata(group, group.producer_user_name, display_name(group)),
        {SATELLITE_GROUP_KEY: group.name, COMPONENT_KEY: "producer"},
        cluster,
        bootstrap_servers,
    )


def shard_env(
    group: SatelliteGroup,
    shard: int,
    topic_name: str,
    bootstrap: str,
    config: OperatorConfig,
    credentials: Credentials | None = None,
) -> list[dict[str, str]]:
    """A shard's environment: the whole contract between operator and shard."""
    values = {
        contract.ENV_BOOTSTRAP_SERVERS: bootstrap,
        contract.ENV_TOPIC: topic_name,
        contract.ENV_SHARD: str(shard),
        contract.ENV_ELEMENTS_DIR: ELEMENTS_DIR,
        contract.ENV_SHARD_PLAN_FILE: f"{SHARD_PLAN_DIR}/{contract.SHARD_PLAN_KEY}",
        contract.ENV_INTERVAL: contract.format_seconds(group.spec.interval_seconds),
        contract.ENV_HTTP_PORT: str(HTTP_PORT),
        contract.ENV_LOG_FORMAT: config.producer_log_format,
        **(credentials.env() if credentials else {}),
    }
    return [{"name": name, "value": value} for name, value in values.items()]


def build_shard_deployment(
    group: SatelliteGroup,
    shard: int,
    chunks: int,
    replicas: int,
    env: list[dict[str, str]],
    config: OperatorConfig,
    credentials: Credentials | None = None,
) -> dict[str, Any]:
    """Shard ``shard``'s producer. Element refreshes and reshards reach the running pod
    through its mounted files; only a change of env or of the number of chunks rolls it."""
    selector = {SATELLITE_GROUP_KEY: group.name, SHARD_KEY: str(shard)}
    labels = {**group_child_labels(group.name), COMPONENT_KEY: "producer", SHARD_KEY: str(shard)}
    mounts = [
        {"name": "elements", "mountPath": ELEMENTS_DIR, "readOnly": True},
        {"name": "shards", "mountPath": SHARD_PLAN_DIR, "readOnly": True},
        *(credentials.mounts() if credentials else []),
    ]
    container = producer_container(config, env, group.spec.producer_resources, mounts)
    sources = [
        {
            "configMap": {
                "name": group.elements_name(chunk),
                "items": [
                    {
                        "key": contract.ELEMENTS_KEY,
                        "path": f"{chunk}{contract.ELEMENTS_FILE_SUFFIX}",
                    }
                ],
            }
        }
        for chunk in range(chunks)
    ]
    volumes = [
        {"name": "elements", "projected": {"sources": sources}},
        {"name": "shards", "configMap": {"name": group.plan_name}},
        *(credentials.volumes() if credentials else []),
    ]
    checksum = hashlib.sha256(repr((env, chunks)).encode()).hexdigest()[:16]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(group, group.shard_name(shard), display_name(group), labels),
        "spec": producer_deployment_spec(
            selector,
            labels,
            {
                CHECKSUM_ANNOTATION: checksum,
                DISPLAY_NAME_ANNOTATION: display_name(group),
                **(credentials.annotations() if credentials else {}),
            },
            replicas,
            container,
            volumes,
        ),
    }
