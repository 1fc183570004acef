#!/bin/sh
# The official image's start-up, reduced: every KAFKA_<NAME> variable becomes the broker
# setting <name> (_ -> ., __ -> _, ___ -> -), the storage is formatted with CLUSTER_ID on
# the first start, then the broker runs in the foreground.
set -eu
config=/opt/kafka/config/server.properties
env | while IFS='=' read -r name value; do
  case "$name" in
    KAFKA_HEAP_OPTS|KAFKA_OPTS|KAFKA_LOG_LEVEL) continue ;;  # the JVM's, not the broker's
    KAFKA_*)
      key=$(printf '%s' "${name#KAFKA_}" | tr '[:upper:]' '[:lower:]' \
        | sed -e 's/___/-/g' -e 's/__/@/g' -e 's/_/./g' -e 's/@/_/g')
      printf '%s=%s\n' "$key" "$value" ;;
  esac
done > "$config"
log_dirs=$(sed -n 's/^log\.dirs=//p' "$config")
if [ ! -f "${log_dirs:-/tmp/kraft-combined-logs}/meta.properties" ]; then
  kafka-run-class.sh kafka.tools.StorageTool format --ignore-formatted \
    -t "${CLUSTER_ID:?set CLUSTER_ID, e.g. to the output of kafka-storage.sh random-uuid}" \
    -c "$config"
fi
exec kafka-run-class.sh kafka.Kafka "$config"
