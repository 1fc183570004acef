"""The producer's flags for how it connects to Kafka (:mod:`satfeed_core.kafka_security`),
shared by a single Satellite's producer and a group shard."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Final

from satfeed_core import contract
from satfeed_core.cli import EnvFlag
from satfeed_core.kafka_security import PLAINTEXT, PROTOCOLS, KafkaSecurity

KAFKA_SECURITY_FLAGS: Final = (
    EnvFlag(
        "--kafka-security-protocol",
        contract.ENV_KAFKA_SECURITY_PROTOCOL,
        "PLAINTEXT, or SASL_SSL: SCRAM-SHA-512 over TLS as a Strimzi KafkaUser (default PLAINTEXT)",
        {"choices": PROTOCOLS, "default": PLAINTEXT},
    ),
    EnvFlag(
        "--kafka-sasl-username",
        contract.ENV_KAFKA_SASL_USERNAME,
        "the KafkaUser's name (with SASL_SSL)",
    ),
    EnvFlag(
        "--kafka-sasl-password-file",
        contract.ENV_KAFKA_SASL_PASSWORD_FILE,
        "file holding the KafkaUser's password: its Secret's 'password' key, mounted",
        {"type": Path},
    ),
    EnvFlag(
        "--kafka-ca-file",
        contract.ENV_KAFKA_CA_FILE,
        "the cluster CA certificate (PEM): the <cluster>-cluster-ca-cert Secret's 'ca.crt'",
        {"type": Path},
    ),
)


def kafka_security(args: argparse.Namespace, described: argparse.ArgumentParser) -> KafkaSecurity:
    """The connection settings; a usage error naming what is missing."""
    security = KafkaSecurity(
        protocol=args.kafka_security_protocol,
        username=args.kafka_sasl_username,
        password_file=args.kafka_sasl_password_file,
        ca_file=args.kafka_ca_file,
    )
    problems = security.problems()
    if problems:
        described.error("; ".join(problems))
    return security
