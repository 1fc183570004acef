#!/usr/bin/env bash
# Checks the tools `make setup` needs and says how to get each missing one.
set -uo pipefail

missing=0
need() { # <command> <how to get it>
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "missing: $1 — $2" >&2
    missing=1
  fi
}

# `check-prereqs.sh demo` checks only what `make demo` needs (no Go, no browser).
need python3 "install Python 3.11 or newer (Debian: apt-get install python3 python3-pip)"
need java "install Java 17 or newer (Debian: apt-get install openjdk-17-jdk-headless); Kafka runs on it"
need mvn "install Maven 3.8 or newer (Debian: apt-get install maven); it fetches Kafka's jars"
if [ "${1:-}" != demo ]; then
  need go "install Go 1.26 or newer (https://go.dev/doc/install); the test bed builds Kubernetes from source"
  need chromium "install Chromium (Debian: apt-get install chromium); the browser tests drive it"
fi

if command -v python3 >/dev/null 2>&1 &&
   ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "missing: Python 3.11 or newer (found $(python3 --version 2>&1))" >&2
  missing=1
fi

if [ "$missing" -ne 0 ]; then
  echo "make setup stopped: install the tools above, then run it again." >&2
  exit 1
fi
