#!/usr/bin/env bash
# Makes sure the tools a make target needs are here: installs what it can, and otherwise
# names the one command that installs the rest.
#
#   check-prereqs.sh demo   what `make demo` needs: Python 3.11+, Java 17+, Maven, uv (without
#                           Java or Maven, and no way to install them, the demo runs its
#                           single-process mode: a note, not a stop)
#   check-prereqs.sh local  what `make local` needs: Python 3.11+ and uv
#   check-prereqs.sh test   what `make setup` / `make test` need: the above, Go, Chromium,
#                           the node's Debian packages (runc, containerd, CNI plugins, ...)
#                           and Docker (docker.io, docker-compose) for the Compose tests
#
# uv is installed from PyPI (pip --user) when missing. Debian packages are installed with
# apt-get when this runs as root on Debian or Ubuntu; otherwise the script stops and prints
# the apt-get command to run. SATFEED_NO_INSTALL=1 only checks.
set -uo pipefail

purpose=${1:-test}
uv_version=${UV_VERSION:-0.13.9}
install=1
[ "${SATFEED_NO_INSTALL:-0}" = 1 ] && install=0

missing_commands=()  # "<command>|<how to get it>", for tools apt cannot install here
debian_packages=()   # Debian packages to install

command_missing() { ! command -v "$1" >/dev/null 2>&1; }
package_missing() {
  ! dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}
is_debian() { command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; }

# need <command> <debian package> <how to get it elsewhere>
need() {
  if command_missing "$1"; then
    if is_debian && [ -n "$2" ]; then
      debian_packages+=("$2")
    else
      missing_commands+=("$1|$3")
    fi
  fi
}

need python3 python3 "install Python 3.11 or newer"
can_install_debian() { is_debian && [ "$(id -u)" = 0 ] && [ "$install" = 1 ]; }
if [ "$purpose" = local ]; then
  :  # make local: Python alone
elif [ "$purpose" = demo ] && ! can_install_debian &&
     { command_missing java || command_missing mvn; }; then
  # Not a stop: without them make demo runs its single-process mode (no Kafka).
  echo "note: Java or Maven is missing, so make demo runs without Kafka (single process);" \
       "for the whole pipeline: sudo apt-get install -y openjdk-17-jdk-headless maven"
else
  need java openjdk-17-jdk-headless "install Java 17 or newer; Kafka runs on it"
  need mvn maven "install Maven 3.8 or newer; it fetches Kafka's jars"
fi
if [ "$purpose" != demo ]; then
  need go "" "install Go 1.26 or newer (https://go.dev/doc/install); the test bed builds Kubernetes from source"
  need chromium chromium "install Chromium; the browser tests drive it"
  # The node test bed (tests/node) runs the images as pods: it needs these on Linux as root.
  if is_debian && [ "$(id -u)" = 0 ]; then
    # docker.io and docker-compose: the Compose tests (tests/integration/compose) run them.
    # ipset: kube-router's network policy controller (the node enforces NetworkPolicies).
    for package in runc containerd containernetworking-plugins iptables conntrack ipset buildah \
                   debootstrap docker.io docker-compose; do
      package_missing "$package" && debian_packages+=("$package")
    done
  fi
fi

if [ "${#debian_packages[@]}" -gt 0 ]; then
  command="apt-get install -y ${debian_packages[*]}"
  if [ "$install" = 1 ] && [ "$(id -u)" = 0 ]; then
    echo "installing Debian packages: ${debian_packages[*]}"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            "${debian_packages[@]}" >/dev/null; }; then
      echo "could not install them; run: $command" >&2
      exit 1
    fi
  else
    echo "missing Debian packages: ${debian_packages[*]}" >&2
    echo "run: sudo $command   (then make $purpose again)" >&2
    exit 1
  fi
fi

if command -v python3 >/dev/null 2>&1 &&
   ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  missing_commands+=("python3|Python 3.11 or newer is needed, found $(python3 --version 2>&1)")
fi

if [ "${#missing_commands[@]}" -gt 0 ]; then
  for entry in "${missing_commands[@]}"; do
    echo "missing: ${entry%%|*} — ${entry#*|}" >&2
  done
  echo "make $purpose stopped: install the tools above, then run it again." >&2
  exit 1
fi

# uv last: pip needs the Python checked above.
uv=${UV:-$(command -v uv || echo "$HOME/.local/bin/uv")}
if [ ! -x "$uv" ]; then
  if [ "$install" = 0 ]; then
    echo "missing: uv — python3 -m pip install --user uv==$uv_version" >&2
    exit 1
  fi
  echo "installing uv $uv_version from PyPI (pip install --user uv)"
  # Debian's Python refuses user installs without this flag (PEP 668); uv is self-contained.
  python3 -m pip install --quiet --user --break-system-packages "uv==$uv_version" 2>/dev/null ||
    python3 -m pip install --quiet --user "uv==$uv_version" || {
      echo "could not install uv; see https://docs.astral.sh/uv/getting-started/installation/" >&2
      exit 1
    }
fi
