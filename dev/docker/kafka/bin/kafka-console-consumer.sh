#!/bin/sh
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx128m}
KAFKA_LOG_LEVEL=${KAFKA_LOG_LEVEL:-WARN}
export KAFKA_HEAP_OPTS KAFKA_LOG_LEVEL
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.consumer.ConsoleConsumer "$@"
