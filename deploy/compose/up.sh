#!/usr/bin/env bash
# `make compose-up`: docker compose up -d, waiting for the health checks; when the stack does
# not come up, says which service is not healthy and why (its health check's last output and
# its last log lines), and what to do about a port that is taken.
#
# COMPOSE: the Compose command (default: "docker compose", else "docker-compose");
# COMPOSE_FILE, COMPOSE_PROJECT_NAME: as Compose reads them (the Makefile sets both).
set -uo pipefail

if [ -n "${COMPOSE:-}" ]; then
  read -r -a compose <<< "$COMPOSE"
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  compose=(docker-compose)
fi

output=$(mktemp)
trap 'rm -f "$output"' EXIT
if "${compose[@]}" up --detach "$@" 2>&1 | tee "$output"; [ "${PIPESTATUS[0]}" = 0 ]; then
  echo "satfeed is up: http://127.0.0.1:${SATFEED_HTTP_PORT:-8050}"
  exit 0
fi

echo >&2
echo "satfeed did not come up. Per service:" >&2
if grep -q "address already in use\|port is already allocated" "$output"; then
  echo "  a port is taken by another program: stop it, or choose others with" \
       "SATFEED_HTTP_PORT (dashboard, default 8050) and SATFEED_KAFKA_PORT (Kafka, default 9094)" >&2
fi
starting=()
for id in $("${compose[@]}" ps --quiet); do
  service=$(docker inspect --format '{{index .Config.Labels "com.docker.compose.service"}}' "$id")
  status=$(docker inspect --format '{{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id")
  read -r state code health <<< "$status"
  if [ "$state" = running ] && [ "${health:-healthy}" = healthy ]; then continue; fi
  if [ "$state" = exited ] && [ "$code" = 0 ]; then continue; fi  # a one-shot that finished
  if [ "$state/${health:-}" = running/starting ]; then starting+=("$service"); continue; fi
  case "$state/${health:-}" in
    running/unhealthy) why="its health check fails" ;;
    exited/*) why="it exited with status $code" ;;
    created/*) why="it was created but could not be started" ;;
    *) why="it is $state${health:+ ($health)}" ;;
  esac
  echo "  $service: $why" >&2
  if [ -n "${health:-}" ]; then
    echo "    last health check output:" >&2
    docker inspect --format '{{range .State.Health.Log}}{{.Output}}{{"\n"}}{{end}}' "$id" \
      | grep -v '^\s*$' | tail -n 5 | sed 's/^/      /' >&2
  fi
  logs=$(docker logs --tail 10 "$id" 2>&1)
  if [ -n "$logs" ]; then
    echo "    last log lines (${compose[*]} logs $service):" >&2
    printf '%s\n' "$logs" | sed 's/^/      /' >&2
  fi
done
if [ "${#starting[@]}" -gt 0 ]; then
  echo "  still starting when up stopped (not a failure by itself): ${starting[*]}" >&2
fi
exit 1
