#!/usr/bin/env bash
# Makes the compose stack's PKI and registry with tenantgate's own CLI — no openssl recipes.
#
#   docker/generate-certs.sh [OUT_DIR]        (default: docker/data, what docker/compose.yaml mounts)
#
# Today the jar's only PKI-making command is `tenantgate dev --data DIR`: it creates a platform root,
# a server certificate for localhost, tenants acme and globex (tenant CA + agent-001 and
# collector-001 certificates each) and the JSON registry naming them, then starts a local gateway.
# This script runs it on free ports, waits until the data directory is complete, stops it, and lays
# the files out for the stack:
#
#   OUT_DIR/dev/                      everything `tenantgate dev` made, CA keys included: the offline
#                                     side, never mounted into a container
#   OUT_DIR/dev/pki/tenants/<slug>/   the agents' certificates (<component>-chain.pem, <component>-key.pem)
#   OUT_DIR/gateway/tls/              server.pem, server-key.pem    -> /etc/tenantgate/tls
#   OUT_DIR/gateway/trust/            root.pem                      -> /etc/tenantgate/trust
#   OUT_DIR/gateway/registry/         registry.json (edit it here)  -> /var/lib/tenantgate/registry
#
# Re-running keeps what exists (same identities; registry edits are not overwritten).
# When the onboarding CLI lands (`tenantgate tenant create`, `tenantgate cert issue`), this script
# calls those instead of `dev`, and tenants are onboarded one by one (docker/README.md).
#
# The CLI runs from TENANTGATE_JAR (default: target/tenantgate.jar, built with Maven if missing);
# without Java on the host it runs inside the image TENANTGATE_IMAGE (default tenantgate:0.1.0-SNAPSHOT,
# built by `docker compose -f docker/compose.yaml build`). TENANTGATE_CLI, when set, is the whole
# command instead (the deploy tests use `java -cp <classes> io.tenantgate.launcher.Main`).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out="${1:-$here/data}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
image="${TENANTGATE_IMAGE:-tenantgate:0.1.0-SNAPSHOT}"
uid_in_image=10001

log() { echo "[generate-certs] $*" >&2; }

find_jar() {
  for jar in "${TENANTGATE_JAR:-}" "$repo/target/tenantgate.jar" /opt/tenantgate/tenantgate.jar; do
    if [ -n "$jar" ] && [ -f "$jar" ]; then echo "$jar"; return 0; fi
  done
  if command -v mvn >/dev/null && [ -f "$repo/pom.xml" ]; then
    log "building $repo/target/tenantgate.jar"
    (cd "$repo" && mvn -B -q package -DskipTests) >&2
    echo "$repo/target/tenantgate.jar"
    return 0
  fi
  return 1
}

if [ -n "${TENANTGATE_CLI:-}" ]; then
  read -ra cli <<<"$TENANTGATE_CLI"
elif command -v java >/dev/null && jar="$(find_jar)"; then
  cli=(java -jar "$jar")
else
  if [ -n "${TENANTGATE_IN_CONTAINER:-}" ] || ! command -v docker >/dev/null; then
    log "needs Java 17 and target/tenantgate.jar, or docker with the image $image"
    exit 1
  fi
  log "no Java here: running the CLI in $image"
  docker run --rm --user "$(id -u):$(id -g)" -e TENANTGATE_IN_CONTAINER=1 -v "$out:/out" \
    --entrypoint /opt/tenantgate/generate-certs.sh "$image" /out
  skip_run=1
fi

if [ -z "${skip_run:-}" ]; then
  # `dev` prints "created|using dev data in DIR" once the directory is complete, then starts serving:
  # free ports, loopback only, no NATS, so it never collides with a running stack.
  console="$(mktemp)"
  trap 'rm -f "$console"' EXIT
  "${cli[@]}" dev --data "$out/dev" --host 127.0.0.1 --edge-port 0 --ops-port 0 --echo-port 0 \
    --nats-url nats://127.0.0.1:1 >"$console" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    if grep -qE '^(created|using) dev data in ' "$console"; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then cat "$console" >&2; log "tenantgate dev exited early"; exit 1; fi
    sleep 0.1
  done
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if ! grep -qE '^(created|using) dev data in ' "$console"; then
    cat "$console" >&2; log "tenantgate dev did not create $out/dev within 60s"; exit 1
  fi
  log "$(grep -E '^(created|using) dev data in ' "$console")"

  dev="$out/dev"
  gw="$out/gateway"
  mkdir -p "$gw/tls" "$gw/trust" "$gw/registry"
  install -m 0644 "$dev/pki/server.pem" "$gw/tls/server.pem"
  install -m 0600 "$dev/pki/server-key.pem" "$gw/tls/server-key.pem"
  install -m 0644 "$dev/pki/root.pem" "$gw/trust/root.pem"
  if [ -f "$gw/registry/registry.json" ]; then
    log "kept $gw/registry/registry.json (delete it to start over from $dev/registry.json)"
  else
    install -m 0644 "$dev/registry.json" "$gw/registry/registry.json"
  fi
fi

if [ -z "${TENANTGATE_IN_CONTAINER:-}" ]; then
  # the gateway container runs as the owner of these files: the host user, or 10001 when run as root
  if [ "$(id -u)" -eq 0 ]; then
    chown -R "$uid_in_image:$uid_in_image" "$out/gateway"
    owner_uid=$uid_in_image owner_gid=$uid_in_image
  else
    owner_uid="$(id -u)" owner_gid="$(id -g)"
  fi
  if [ "$out" = "$here/data" ]; then
    printf 'TENANTGATE_UID=%s\nTENANTGATE_GID=%s\n' "$owner_uid" "$owner_gid" >"$here/.env"
  fi
  cat >&2 <<MSG
[generate-certs] done: $out
  gateway files   $out/gateway (mounted read-only by docker/compose.yaml)
  registry        $out/gateway/registry/registry.json (edit it: changes apply within a second)
  agent of acme   --cert $out/dev/pki/tenants/acme/agent-001-chain.pem --key $out/dev/pki/tenants/acme/agent-001-key.pem
  trust           --cacert $out/gateway/trust/root.pem
MSG
fi
