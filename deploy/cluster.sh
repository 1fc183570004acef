#!/usr/bin/env bash
# satfeed on a local Kubernetes cluster (kind or minikube). Called by the Makefile targets
# kind-up, minikube-up, images, kind-load, minikube-load, deploy, satellites, dashboard,
# e2e-cluster and down; see docs/operations.md for what each does.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

CLUSTER_NAME="${CLUSTER_NAME:-satfeed}"
NAMESPACE="${NAMESPACE:-satfeed}"
STRIMZI_VERSION="${STRIMZI_VERSION:-1.2.0}"
STRIMZI_CHART="${STRIMZI_CHART:-oci://quay.io/strimzi-helm/strimzi-kafka-operator}"
IMAGE_TAG="${IMAGE_TAG:-0.1.0}"
IMAGES=(producer frontend operator)
WAIT="${WAIT:-600s}"

say() { printf '\n==> %s\n' "$*"; }
# DRY_RUN=1 prints each command instead of running it (and skips the tool checks):
# `DRY_RUN=1 make kind-up` shows exactly what the target would do.
run() {
  printf '+ %s\n' "$*"
  [ -n "${DRY_RUN:-}" ] || "$@"
}
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

need() { # <tool> <how to get it>
  [ -n "${DRY_RUN:-}" ] || command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed: $2"
}
need_docker() {
  need docker "install Docker (https://docs.docker.com/get-docker/)"
  [ -n "${DRY_RUN:-}" ] || docker info >/dev/null 2>&1 \
    || die "Docker is installed but its engine does not answer: start it (e.g. 'sudo systemctl start docker')"
}
need_kubectl() { need kubectl "install kubectl (https://kubernetes.io/docs/tasks/tools/)"; }
need_helm() { need helm "install Helm 3 (https://helm.sh/docs/intro/install/)"; }

dockerfile() { # <image>
  case "$1" in
    operator) echo "$repo/operator/Dockerfile" ;;
    *) echo "$repo/services/$1/Dockerfile" ;;
  esac
}

install_kafka() {
  need_kubectl
  need_helm
  say "creating namespace $NAMESPACE"
  kubectl get namespace "$NAMESPACE" >/dev/null 2>&1 || run kubectl create namespace "$NAMESPACE"
  say "installing Strimzi $STRIMZI_VERSION (cluster operator watching $NAMESPACE)"
  run helm upgrade --install strimzi "$STRIMZI_CHART" --version "$STRIMZI_VERSION" \
    --namespace strimzi --create-namespace \
    --values "$here/strimzi/values.yaml" --wait --timeout "$WAIT"
  say "creating the single-node KRaft Kafka cluster (this takes a few minutes)"
  run kubectl apply -f "$here/kafka/kafka.yaml"
  run kubectl wait kafka/satfeed -n "$NAMESPACE" --for=condition=Ready --timeout="$WAIT" \
    || die "Kafka did not become Ready: see 'kubectl describe kafka satfeed -n $NAMESPACE' and docs/operations.md"
}

kind_up() {
  need kind "install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)"
  need_docker
  if [ -z "${DRY_RUN:-}" ] && kind get clusters | grep -qx "$CLUSTER_NAME"; then
    say "kind cluster $CLUSTER_NAME exists"
  else
    say "creating kind cluster $CLUSTER_NAME"
    run kind create cluster --name "$CLUSTER_NAME" --wait 120s
  fi
  install_kafka
}

minikube_up() {
  need minikube "install minikube (https://minikube.sigs.k8s.io/docs/start/)"
  say "starting minikube profile $CLUSTER_NAME"
  run minikube start --profile "$CLUSTER_NAME" --memory 4096 --cpus 2
  install_kafka
}

# PYTHON_IMAGE: the base to build from instead of python:3.11-slim-bookworm (a machine
# without registry access builds from a local one); DOCKER_BUILD_FLAGS: more `docker build`
# flags, e.g. "--network host" where containers have no route out of their bridge.
images() {
  need_docker
  local flags=()
  read -r -a flags <<< "${DOCKER_BUILD_FLAGS:-}"
  [ -z "${PYTHON_IMAGE:-}" ] || flags+=(--build-arg "PYTHON_IMAGE=$PYTHON_IMAGE")
  for image in "${IMAGES[@]}"; do
    say "building satfeed-$image:$IMAGE_TAG"
    run docker build "${flags[@]}" -f "$(dockerfile "$image")" -t "satfeed-$image:$IMAGE_TAG" "$repo"
  done
}

load() { # kind|minikube
  for image in "${IMAGES[@]}"; do
    say "loading satfeed-$image:$IMAGE_TAG into $1"
    case "$1" in
      kind) run kind load docker-image "satfeed-$image:$IMAGE_TAG" --name "$CLUSTER_NAME" ;;
      minikube) run minikube image load "satfeed-$image:$IMAGE_TAG" --profile "$CLUSTER_NAME" ;;
      *) die "unknown cluster kind '$1' (kind or minikube)" ;;
    esac
  done
}

deploy() {
  need_kubectl
  need_helm
  say "installing the satfeed operator"
  run helm upgrade --install satfeed-operator "$repo/charts/satfeed-operator" \
    --namespace "$NAMESPACE" --values "$here/values/operator.yaml" --wait --timeout "$WAIT"
  say "installing the satfeed frontend"
  run helm upgrade --install satfeed-frontend "$repo/charts/satfeed-frontend" \
    --namespace "$NAMESPACE" --values "$here/values/frontend.yaml" --wait --timeout "$WAIT"
}

satellites() {
  need_kubectl
  say "applying the example Satellites (TERRA, AQUA, AURA)"
  for name in terra aqua aura; do
    run kubectl apply -n "$NAMESPACE" -f "$repo/examples/satellites/$name.yaml"
  done
  run kubectl wait satellites --all -n "$NAMESPACE" --for=condition=Ready --timeout="$WAIT"
  run kubectl get satellites -n "$NAMESPACE"
}

dashboard() {
  need_kubectl
  say "dashboard at http://127.0.0.1:8050 (Ctrl-C stops the port-forward)"
  run kubectl port-forward -n "$NAMESPACE" svc/satfeed-frontend 8050:80
}

e2e() {
  need_kubectl
  say "checking Satellites, topics and the frontend on the cluster"
  run kubectl wait satellites --all -n "$NAMESPACE" --for=condition=Ready --timeout="$WAIT"
  run kubectl wait kafkatopics -l satfeed.io/stream=positions -n "$NAMESPACE" --for=condition=Ready --timeout="$WAIT"
  run kubectl rollout status deployment/satfeed-frontend -n "$NAMESPACE" --timeout="$WAIT"
  run helm test satfeed-frontend -n "$NAMESPACE" --logs
  say "all checks passed"
}

down() {
  if command -v kind >/dev/null 2>&1 && kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
    say "deleting kind cluster $CLUSTER_NAME"
    run kind delete cluster --name "$CLUSTER_NAME"
  elif command -v minikube >/dev/null 2>&1 && minikube profile list 2>/dev/null | grep -q "$CLUSTER_NAME"; then
    say "deleting minikube profile $CLUSTER_NAME"
    run minikube delete --profile "$CLUSTER_NAME"
  else
    say "no kind cluster or minikube profile named $CLUSTER_NAME"
  fi
}

case "${1:-}" in
  kind-up) kind_up ;;
  minikube-up) minikube_up ;;
  images) images ;;
  kind-load) load kind ;;
  minikube-load) load minikube ;;
  deploy) deploy ;;
  satellites) satellites ;;
  dashboard) dashboard ;;
  e2e) e2e ;;
  down) down ;;
  *) die "usage: $0 {kind-up|minikube-up|images|kind-load|minikube-load|deploy|satellites|dashboard|e2e|down}" ;;
esac
