"""Declaring a producer's KafkaUser and reading back what its pod mounts (I/O; the objects
and the rules are :mod:`satfeed_operator.kafka_users`)."""

from __future__ import annotations

from typing import Any

from satfeed_operator.conditions import FALSE, Condition
from satfeed_operator.context import OperatorContext
from satfeed_operator.kafka_users import (
    KAFKAUSER_API_VERSION,
    Credentials,
    cluster_ca_secret_name,
    credentials,
)
from satfeed_operator.kube import object_path, owned_by


def kafkauser_path(namespace: str, name: str) -> str:
    return object_path(KAFKAUSER_API_VERSION, "kafkausers", namespace, name)


async def producer_credentials(
    ctx: OperatorContext,
    manifest: dict[str, Any],
    owner_uid: str,
    condition_type: str,
) -> Credentials | Condition:
    """Apply the producer's KafkaUser ``manifest``; its credentials once Strimzi made them,
    else the ``condition_type`` condition saying what the producer waits for.

    A KafkaUser of that name that is not the owner's is never touched: the producer would
    otherwise connect as someone else.
    """
    namespace = manifest["metadata"]["namespace"]
    name = manifest["metadata"]["name"]
    cluster = manifest["metadata"]["labels"]["strimzi.io/cluster"]
    path = kafkauser_path(namespace, name)
    live = await ctx.child("kafkausers", path, namespace, name)
    if live is not None and not owned_by(live, owner_uid):
        return Condition(
            condition_type,
            FALSE,
            "NameTaken",
            f"KafkaUser {namespace}/{name} exists and does not belong to this resource; "
            "the operator leaves it alone. Delete or rename it, and the producer gets its own",
        )
    live = await ctx.applied("kafkausers", path, manifest, live)
    user_secret = await ctx.child(
        "secrets", object_path("v1", "secrets", namespace, name), namespace, name
    )
    ca_name = cluster_ca_secret_name(cluster)
    ca_secret = await ctx.kube.get(object_path("v1", "secrets", namespace, ca_name))
    return credentials(live, user_secret, ca_secret, cluster, namespace, condition_type)
