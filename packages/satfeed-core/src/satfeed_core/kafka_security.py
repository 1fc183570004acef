"""How a satfeed client connects to Kafka: plaintext, or as a Strimzi KafkaUser.

Strimzi's answer to "who may write this topic" is a KafkaUser: its User Operator puts a
SCRAM-SHA-512 password into a Secret and the user's ACLs into Kafka, and clients connect to
a listener with SCRAM over TLS, trusting the cluster CA (the ``<cluster>-cluster-ca-cert``
Secret). Both reach the pod as mounted files; the names are in :mod:`satfeed_core.contract`.
The password is read from its file whenever settings are made, never logged.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from satfeed_core import contract
from satfeed_core.cli import EnvFlag

PLAINTEXT: Final = "PLAINTEXT"
SASL_SSL: Final = "SASL_SSL"
PROTOCOLS: Final = (PLAINTEXT, SASL_SSL)
SASL_MECHANISM: Final = "SCRAM-SHA-512"
"""Strimzi's ``authentication: {type: scram-sha-512}``."""


@dataclass(frozen=True)
class KafkaSecurity:
    protocol: Literal["PLAINTEXT", "SASL_SSL"] = PLAINTEXT
    username: str | None = None
    password_file: Path | None = None
    ca_file: Path | None = None

    def problems(self) -> list[str]:
        """What is missing or unreadable, each naming its setting; empty when usable."""
        if self.protocol == PLAINTEXT:
            return []
        problems = []
        for value, env, what in (
            (self.username, contract.ENV_KAFKA_SASL_USERNAME, "the KafkaUser's name"),
            (self.password_file, contract.ENV_KAFKA_SASL_PASSWORD_FILE, "its password file"),
            (self.ca_file, contract.ENV_KAFKA_CA_FILE, "the cluster CA certificate file"),
        ):
            if not value:
                problems.append(f"{SASL_SSL} needs {env} ({what})")
        for path, env in (
            (self.password_file, contract.ENV_KAFKA_SASL_PASSWORD_FILE),
            (self.ca_file, contract.ENV_KAFKA_CA_FILE),
        ):
            if path is not None and not path.is_file():
                problems.append(
                    f"{env}={path} is not a readable file (is the Secret mounted there?)"
                )
        return problems

    def client_settings(self) -> dict[str, str]:
        """librdkafka settings for this connection (none for plaintext)."""
        if self.protocol == PLAINTEXT:
            return {}
        if self.problems():
            raise ValueError("; ".join(self.problems()))
        assert self.password_file is not None  # problems() said so
        assert self.username is not None
        return {
            "security.protocol": SASL_SSL,
            "sasl.mechanism": SASL_MECHANISM,
            "sasl.username": self.username,
            "sasl.password": self.password_file.read_text().strip(),
            "ssl.ca.location": str(self.ca_file),
        }

    def describe(self) -> str:
        """For logs: how it connects, without the password."""
        if self.protocol == PLAINTEXT:
            return "plaintext"
        return f"{SASL_MECHANISM} over TLS as {self.username}"


class PasswordWatch:
    """Says when a KafkaUser's password has been rotated under a running client.

    When Strimzi's User Operator changes a KafkaUser's password (its Secret deleted, or a
    new one given), the kubelet rewrites the mounted file in place, but a Kafka client keeps
    the password it was made with: it goes on working until its next connection to a broker
    (a broker restart), which then fails authentication. A long-running client (the
    frontend's consumer, the operator's pass publisher) asks :meth:`rotated` now and then and
    makes itself anew when it says so. Producers need none of this: the operator rolls their
    pods when the Secret changes.
    """

    def __init__(self, security: KafkaSecurity) -> None:
        self._file = security.password_file if security.protocol == SASL_SSL else None
        self._in_use: str | None = None

    def made_with(self, settings: dict[str, str]) -> None:
        """The client was just made with these settings (from :meth:`client_settings`)."""
        self._in_use = settings.get("sasl.password")

    def rotated(self) -> bool:
        """True when the file holds a password other than the client's, and it can be read
        (a file being replaced, or unreadable, is not a new password yet)."""
        if self._file is None or self._in_use is None:
            return False
        try:
            current = self._file.read_text().strip()
        except OSError:
            return False
        return bool(current) and current != self._in_use


FLAGS: Final = (
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
"""How every satfeed client (producer, group shard, operator, frontend) is told to connect."""


def from_args(args: argparse.Namespace, described: argparse.ArgumentParser) -> KafkaSecurity:
    """The connection settings :data:`FLAGS` gave; a usage error naming what is missing."""
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
