"""Publishing pass events to Kafka: the operator's only Kafka client.

One idempotent producer per bootstrap address, kept for the operator's lifetime; each batch
of a station's due events is flushed before the station's status records it as published,
so an event is lost only if Kafka is down for longer than the flush timeout (and then the
reconcile fails and is retried).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Final

from confluent_kafka import KafkaError, Message, Producer
from satfeed_core.kafka_security import KafkaSecurity, PasswordWatch

log = logging.getLogger(__name__)

FLUSH_TIMEOUT_SECONDS: Final = 15.0


class PublishError(Exception):
    """Events that Kafka did not take; the message says how many and why."""


class PassPublisher:
    def __init__(self, security: KafkaSecurity) -> None:
        self._security = security
        self._password = PasswordWatch(security)
        self._producers: dict[str, Producer] = {}

    async def _producer(self, bootstrap: str) -> Producer:
        if self._password.rotated():
            # Every batch was flushed, so nothing is in flight: made anew, the producers
            # connect with the new password at once, not at their next failed reconnection.
            log.info("the operator's KafkaUser password was rotated: its producers reconnect")
            await self.close()
        producer = self._producers.get(bootstrap)
        if producer is None:
            security = self._security.client_settings()
            self._password.made_with(security)
            producer = Producer(
                {
                    "bootstrap.servers": bootstrap,
                    "enable.idempotence": True,
                    "linger.ms": 5,
                    "client.id": "satfeed-operator-passes",
                    **security,
                }
            )
            self._producers[bootstrap] = producer
        return producer

    async def publish(
        self, bootstrap: str, topic: str, records: Sequence[tuple[str, bytes]]
    ) -> None:
        """Publish ``(key, value)`` records in order; raises :class:`PublishError` unless
        Kafka acknowledged every one."""
        if not records:
            return
        producer = await self._producer(bootstrap)
        failures: list[str] = []

        def delivered(error: KafkaError | None, _: Message) -> None:
            if error is not None:
                failures.append(str(error))

        for key, value in records:
            producer.produce(topic, value=value, key=key.encode(), on_delivery=delivered)
        left = await asyncio.to_thread(producer.flush, FLUSH_TIMEOUT_SECONDS)
        if left or failures:
            reason = (
                failures[0] if failures else f"not acknowledged within {FLUSH_TIMEOUT_SECONDS:g} s"
            )
            raise PublishError(
                f"{max(left, len(failures))} of {len(records)} pass events to {topic} not "
                f"published: {reason}"
            )

    async def close(self) -> None:
        for producer in self._producers.values():
            await asyncio.to_thread(producer.flush, FLUSH_TIMEOUT_SECONDS)
        self._producers.clear()
