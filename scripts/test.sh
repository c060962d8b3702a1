#!/usr/bin/env bash
# The project's test command (README): makes sure the real PostgreSQL and NATS (JetStream) servers
# the tests use are up — starting them when installed, installing them with apt-get when missing —
# then runs the whole suite: unit tests (surefire) and integration tests (failsafe).
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

ensure_java
ensure_postgres
ensure_nats
log "running mvn verify"
exec mvn -B ${MAVEN_ARGS:-} verify
