#!/bin/sh
# kafka-run-class.sh CLASS [ARGS...]: as Kafka's own script, reduced to what this image needs.
# KAFKA_HEAP_OPTS and KAFKA_OPTS hold several flags each: split on purpose.
# shellcheck disable=SC2086
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} -XX:+UseSerialGC -Djava.awt.headless=true \
  -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties ${KAFKA_OPTS:-} \
  -cp "/opt/kafka/libs/*" "$@"
