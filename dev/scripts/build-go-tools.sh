#!/usr/bin/env bash
# Builds the test bed's Go binaries (kube-apiserver, kube-controller-manager,
# kubectl, etcd, helm, prometheus and promtool; for the node: kubelet, kube-proxy, CoreDNS and the pause
# binary, kube-router) from source through the Go module proxy, into a cache keyed by version
# so a cold build happens once per machine.
#
# Usage: build-go-tools.sh [kubernetes|etcd|helm|node|prometheus|all]
# Env:   SATFEED_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/satfeed)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${SATFEED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/satfeed}"

die() { echo "error: $*" >&2; exit 1; }

command -v go >/dev/null 2>&1 \
  || die "Go is not installed. Install Go 1.26 or newer (https://go.dev/doc/install) and make sure 'go' is on PATH."
go_minor="$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')"
[ "${go_minor:-0}" -ge 26 ] \
  || die "Go $(go env GOVERSION) is too old: Kubernetes 1.36 needs Go 1.26 or newer."

# Versions come from the wrapper modules' go.mod, the single place that pins them.
mod_version() { # <go.mod> <module>
  awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit }
                 $1 == "require" && $2 == m { print $3; exit }' "$1"
}
K8S_VERSION="$(mod_version "$here/go/kubernetes/go.mod" k8s.io/kubernetes)"
ETCD_VERSION="$(mod_version "$here/go/etcd/go.mod" go.etcd.io/etcd/server/v3)"
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
COREDNS_VERSION="${COREDNS_VERSION:-v1.15.0}"
PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-v0.316.0}"
# The proxy serves kube-router v2 only at v2.1.0, which has reported security flaws: it is
# a test-bed tool (the node's NetworkPolicy enforcement), never shipped or deployed.
KUBE_ROUTER_VERSION="${KUBE_ROUTER_VERSION:-v2.1.0}"

build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

# go build with a clear message when the module proxy cannot be reached.
go_build() { # <dir> <out> <ldflags> <pkg>
  local log; log="$(mktemp)"
  if ! (cd "$1" && go build -trimpath -ldflags "$3" -o "$2" "$4") >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    rm -f "$log"
    die "building $4 failed (see above). If a download failed, check that the Go module proxy ($(go env GOPROXY)) is reachable."
  fi
  rm -f "$log"
}

# go install of <pkg@version> into <out>, with a clear message when it fails.
go_install() { # <out> <ldflags> <pkg@version>...
  local log out="$1" ldflags="$2"; log="$(mktemp)"; shift 2
  if ! GOBIN="$out" go install -trimpath -ldflags "$ldflags" "$@" >"$log" 2>&1; then
    tail -n 30 "$log" >&2; rm -f "$log"
    die "building $* failed (see above); check that the Go module proxy is reachable."
  fi
  rm -f "$log"
}

build_kubernetes() {
  local out="$cache/bin/kubernetes-$K8S_VERSION"
  local ver="$K8S_VERSION" major minor
  major="$(echo "$ver" | sed -E 's/^v([0-9]+)\..*/\1/')"
  minor="$(echo "$ver" | sed -E 's/^v[0-9]+\.([0-9]+)\..*/\1/')"
  local ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$ver -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
  done
  local cmds=(kube-apiserver kube-controller-manager kubectl)
  if [ "${1:-}" = node ]; then cmds=(kube-scheduler kubelet kube-proxy); fi
  for cmd in "${cmds[@]}"; do
    if [ -x "$out/$cmd" ]; then echo "cached: $out/$cmd"; continue; fi
    echo "building $cmd $ver (cold builds take several minutes) ..."
    mkdir -p "$out"
    go_build "$here/go/kubernetes" "$out/$cmd.tmp" "$ld" "k8s.io/kubernetes/cmd/$cmd"
    mv "$out/$cmd.tmp" "$out/$cmd"
  done
}

# The pod sandbox's pause process, compiled from the C source Kubernetes ships in
# its module (build/pause/linux/pause.c) exactly as its image build does.
build_pause() {
  local out="$cache/bin/kubernetes-$K8S_VERSION"
  if [ -x "$out/pause" ]; then echo "cached: $out/pause"; return; fi
  command -v gcc >/dev/null 2>&1 || die "gcc is needed to build the pause binary: apt-get install gcc libc6-dev"
  local src
  src="$(cd "$here/go/kubernetes" && go mod download -json k8s.io/kubernetes | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  [ -f "$src/build/pause/linux/pause.c" ] || die "pause.c not found in the k8s.io/kubernetes module ($src)"
  mkdir -p "$out"
  gcc -Os -Wall -Werror -static -DVERSION="$K8S_VERSION" -o "$out/pause.tmp" "$src/build/pause/linux/pause.c"
  strip "$out/pause.tmp"
  mv "$out/pause.tmp" "$out/pause"
}

build_coredns() {
  local out="$cache/bin/coredns-$COREDNS_VERSION"
  if [ -x "$out/coredns" ]; then echo "cached: $out/coredns"; return; fi
  echo "building coredns $COREDNS_VERSION (a cold build takes about 5 minutes) ..."
  mkdir -p "$out"
  go_install "$out" "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"
}

build_etcd() {
  local out="$cache/bin/etcd-$ETCD_VERSION"
  if [ -x "$out/etcd" ]; then echo "cached: $out/etcd"; return; fi
  echo "building etcd $ETCD_VERSION ..."
  mkdir -p "$out"
  go_build "$here/go/etcd" "$out/etcd.tmp" "-s -w" go.etcd.io/etcd/server/v3
  mv "$out/etcd.tmp" "$out/etcd"
}

build_helm() {
  local out="$cache/bin/helm-$HELM_VERSION"
  if [ -x "$out/helm" ]; then echo "cached: $out/helm"; return; fi
  echo "building helm $HELM_VERSION ..."
  mkdir -p "$out"
  go_install "$out" \
    "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}

# Prometheus and promtool: the alert rules are checked and unit-tested with promtool, and
# a real Prometheus scrapes the operator, producers and frontend in the tests.
build_prometheus() {
  local out="$cache/bin/prometheus-$PROMETHEUS_VERSION"
  if [ -x "$out/prometheus" ] && [ -x "$out/promtool" ]; then echo "cached: $out/{prometheus,promtool}"; return; fi
  echo "building prometheus and promtool $PROMETHEUS_VERSION (a cold build takes about 3 minutes) ..."
  mkdir -p "$out"
  go_install "$out" "-s -w" \
    "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_VERSION" \
    "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION"
}

# kube-router, for its network policy controller only: it makes the node enforce
# NetworkPolicies with iptables and ipsets in the node's network namespace.
build_kube_router() {
  local out="$cache/bin/kube-router-$KUBE_ROUTER_VERSION"
  if [ -x "$out/kube-router" ]; then echo "cached: $out/kube-router"; return; fi
  echo "building kube-router $KUBE_ROUTER_VERSION (a cold build takes a few minutes) ..."
  mkdir -p "$out"
  go_install "$out" \
    "-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION" \
    "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$KUBE_ROUTER_VERSION"
}

case "${1:-all}" in
  kubernetes) build_kubernetes ;;
  etcd) build_etcd ;;
  helm) build_helm ;;
  node) build_kubernetes node; build_pause; build_coredns; build_kube_router ;;
  prometheus) build_prometheus ;;
  all) build_etcd; build_kubernetes; build_helm; build_prometheus ;;
  versions) echo "KUBERNETES=$K8S_VERSION ETCD=$ETCD_VERSION HELM=$HELM_VERSION COREDNS=$COREDNS_VERSION PROMETHEUS=$PROMETHEUS_VERSION KUBE_ROUTER=$KUBE_ROUTER_VERSION" ;;
  *) die "unknown target '$1' (expected kubernetes, etcd, helm, node, prometheus, all or versions)" ;;
esac
