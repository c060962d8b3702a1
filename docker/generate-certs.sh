#!/usr/bin/env bash
# Makes the compose stack's PKI with tenantgate's own CLI — no openssl recipes — and its master key.
#
#   docker/generate-certs.sh [OUT_DIR]        (default: docker/data, what docker/compose.yaml mounts)
#
# The jar's PKI machinery is `tenantgate dev --data DIR`: it creates a platform root, a server
# certificate for localhost, a platform admin CA with one operator certificate
# (CN admin.platform.serviceradar), then starts a local gateway. This script runs it on free loopback
# ports, waits until the data directory is complete, stops it, and lays the files out for the stack:
#
#   OUT_DIR/dev/pki/                  everything `tenantgate dev` made, CA keys included: the offline
#                                     side, never mounted into a container
#   OUT_DIR/gateway/tls/              server.pem, server-key.pem    -> /etc/tenantgate/tls
#   OUT_DIR/gateway/trust/            root.pem                      -> /etc/tenantgate/trust
#   OUT_DIR/gateway/admin-ca/         admin-ca.pem (no key)         -> /etc/tenantgate/admin-ca
#   OUT_DIR/gateway/master-key/       master.key                    -> /etc/tenantgate/master-key
#   OUT_DIR/gateway/root-key/         root-key.pem                  -> /etc/tenantgate/root-key
#                                     (signs tenant CAs; delete the mount and registry.rootCaKeyFile
#                                     to keep the root offline)
#   OUT_DIR/operator/                 admin.pem, admin-key.pem (your admin API client certificate),
#                                     root.pem (to verify the gateway)
#
# Tenants are not made here: the stack's registry is Postgres, and tenants are onboarded into the
# running stack with `tenantgate tenant create` / `package create` (docker/README.md).
#
# Re-running keeps what exists — above all master.key: the tenant CA keys in the Postgres volume are
# sealed with it (a new key against the old volume is a start-up error: "wrong master key").
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

  pki="$out/dev/pki"
  for f in root.pem root-key.pem server.pem server-key.pem admin-ca.pem admin.pem admin-key.pem; do
    if [ ! -f "$pki/$f" ]; then log "tenantgate dev did not write $pki/$f"; exit 1; fi
  done
  # `dev` also makes file-registry tenants (acme, globex) for its own gateway; the stack's tenants
  # live in Postgres, so these would only mislead (their certificates are unknown to the stack)
  rm -rf "$pki/tenants" "$out/dev/registry.json"

  gw="$out/gateway"
  mkdir -p "$gw/tls" "$gw/trust" "$gw/admin-ca" "$gw/master-key" "$gw/root-key" "$out/operator"
  install -m 0644 "$pki/server.pem" "$gw/tls/server.pem"
  install -m 0600 "$pki/server-key.pem" "$gw/tls/server-key.pem"
  install -m 0644 "$pki/root.pem" "$gw/trust/root.pem"
  install -m 0644 "$pki/admin-ca.pem" "$gw/admin-ca/admin-ca.pem"
  install -m 0600 "$pki/root-key.pem" "$gw/root-key/root-key.pem"
  install -m 0644 "$pki/admin.pem" "$out/operator/admin.pem"
  install -m 0600 "$pki/admin-key.pem" "$out/operator/admin-key.pem"
  install -m 0644 "$pki/root.pem" "$out/operator/root.pem"
  if [ -s "$gw/master-key/master.key" ]; then
    log "kept $gw/master-key/master.key (the Postgres volume's CA keys are sealed with it)"
  else
    # 32 random bytes, base64 (registry.masterKeyFile); the same as `openssl rand -base64 32`
    (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n' >"$gw/master-key/master.key.tmp" \
      && echo >>"$gw/master-key/master.key.tmp" && mv "$gw/master-key/master.key.tmp" "$gw/master-key/master.key")
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
  admin API       --cacert $out/operator/root.pem --cert $out/operator/admin.pem --key $out/operator/admin-key.pem
  enrollment      --cacert $out/operator/root.pem (edges verify the gateway with the platform root)
  next            docker compose -f docker/compose.yaml up --build -d, then docker/README.md "Onboard a tenant"
MSG
fi
