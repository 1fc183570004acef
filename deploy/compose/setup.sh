#!/bin/sh
# The Compose stack's `setup` one-shot, once Kafka is healthy (Kafka's image, as root only
# to own the password files; it shares the kafka container's network, so it reaches the
# broker's loopback-only SETUP listener, where it is a super user). Every client of the
# stack is a directory mounted under /credentials, a volume of its own:
#
#   /credentials/producer-<satellite>  the producer of satfeed.<satellite>
#   /credentials/frontend              the dashboard
#
# For each, on every `up` (all of it idempotent):
#   - its password: made on the first `up` (random, in <dir>/password, owner uid 10001 as
#     the client images run, mode 0400), kept afterwards;
#   - its SCRAM-SHA-512 credentials in Kafka, user name = the directory's name;
#   - its ACLs, as the operator's KafkaUsers (operator/src/satfeed_operator/kafka_users.py)
#     and the frontend chart's have them, and nothing else:
#       producer-<satellite>: Write, Describe, Read on topic satfeed.<satellite> (Read: the
#         start-up probe for the newest record already there), which is created here;
#       frontend: Read, Describe on topics prefixed satfeed.; Describe on groups prefixed
#         satfeed-frontend- (the client looks up its group's coordinator, joins no group).
#
# So a satellite more is one more mounted directory here (see noaa-19.yaml). On a failure
# it prints the failing tool's last lines and then, last, what it was doing.
set -eu

bootstrap=127.0.0.1:9095  # the SETUP listener: plaintext, loopback, super user
bin=/opt/kafka/bin
client_uid=10001          # the producer and frontend images' user
export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx128m}"

# run WHAT COMMAND...: the command, quiet unless it fails; then its last lines and WHAT.
run() {
  what=$1
  shift
  if ! output=$("$@" 2>&1); then
    printf '%s\n' "$output" | grep -v '^[[:space:]]*at ' | tail -n 6 >&2
    echo "setup: FAILED: $what" >&2
    exit 1
  fi
}

# user NAME: its password (made once) and its SCRAM-SHA-512 credentials in Kafka.
user() {
  file=/credentials/$1/password
  if [ ! -s "$file" ]; then
    od -An -tx1 -N24 /dev/urandom | tr -d ' \n' > "$file.new"
    chown "$client_uid:$client_uid" "$file.new"
    chmod 0400 "$file.new"
    mv "$file.new" "$file"
  fi
  run "the SCRAM-SHA-512 credentials of user $1" \
    "$bin/kafka-configs.sh" --bootstrap-server "$bootstrap" --alter --entity-type users \
    --entity-name "$1" --add-config "SCRAM-SHA-512=[password=$(cat "$file")]"
}

# allow NAME RESOURCE-ARGS... --operation ...: ACLs for User:NAME (adding one twice is a no-op).
allow() {
  name=$1
  shift
  run "the ACLs of user $name ($*)" \
    "$bin/kafka-acls.sh" --bootstrap-server "$bootstrap" --add --allow-principal "User:$name" "$@"
}

# producer producer-<satellite>: its topic, its user, Write/Describe/Read on that topic only.
producer() {
  topic=satfeed.${1#producer-}
  run "creating topic $topic" \
    "$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --create --if-not-exists \
    --topic "$topic" --partitions 1 --replication-factor 1
  user "$1"
  allow "$1" --topic "$topic" --resource-pattern-type literal \
    --operation Write --operation Describe --operation Read
  echo "setup: $1 may write, describe and read $topic"
}

frontend() {
  user frontend
  allow frontend --topic satfeed. --resource-pattern-type prefixed \
    --operation Read --operation Describe
  allow frontend --group satfeed-frontend- --resource-pattern-type prefixed --operation Describe
  echo "setup: frontend may read and describe satfeed.*"
}

# One client after another would start a dozen JVMs in a row: each client runs on its own,
# its output kept apart; then the ready ones are listed, and the failed ones last.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
jobs=""
for dir in /credentials/*/; do
  [ -d "$dir" ] || continue
  name=$(basename "$dir")
  case "$name" in
    producer-?*) producer "$name" > "$logs/$name" 2>&1 & ;;
    frontend) frontend > "$logs/$name" 2>&1 & ;;
    *)
      echo "setup: FAILED: /credentials/$name is no client of this stack: mount" \
        "producer-<satellite> or frontend directories only" >&2
      exit 1 ;;
  esac
  jobs="$jobs $name:$!"
done
ready=0
failed=""
for job in $jobs; do
  if wait "${job#*:}"; then
    cat "$logs/${job%%:*}"
    ready=$((ready + 1))
  else
    failed="$failed ${job%%:*}"
  fi
done
for name in $failed; do
  cat "$logs/$name" >&2
done
if [ -n "$failed" ]; then
  echo "setup: FAILED for$failed; $ready clients ready" >&2
  exit 1
fi
echo "setup: $ready clients ready"
