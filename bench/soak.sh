#!/usr/bin/env bash
# Soak (issue 8 item 5): a mixed load against a tenantgate this script starts, for a long time, with the
# gateway's memory, file descriptors, threads and error counts sampled over time (bench/README.md).
#
#   bench/soak.sh [--duration 30m] [--sample 30s] [--smoke] [--tenants 12] [--certs-per-tenant 4]
#                 [--rate-scale 1] [--flood-rps 5] [--max-heap-slope MIB] [--max-fd-slope N] [--out DIR] [--keep]
#                 [-- LOADGEN-SOAK-OPTIONS...]
#
# Starts on loopback: the trivial upstream (h1 + gRPC echo), tenantgate with the NATS bridge on the
# NATS server at $SOAK_NATS_URL (nats://127.0.0.1:4222; unique tenant slugs and JetStream stream names
# per run, streams deleted on exit), a PKI from the product's own code (plus a certificate under an
# untrusted root). The last tenant gets an rps quota (--flood-rps) and floods at 10x it; the others
# send HTTP/1.1, HTTP/2, gRPC unary and bidi, NATS HTTP publishes (core + JetStream) and NATS
# WebSockets; hostile clients (slowloris, HTTP/2 rapid reset, bad certificates) run throughout.
# Writes DIR/soak.md (the sample table + verdict) and DIR/soak.csv (DIR: target/soak); exit 1 when
# the gateway died or anything unexpected failed. --smoke: about 20 s of load, 4 tenants (not in CI: with builds and start-ups it takes ~60 s).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

duration=30m
sample=30s
tenants=12
certs_per_tenant=4
rate_scale=1
flood_rps=5
max_heap_slope=4      # MiB of old generation (after a full GC) per 10 min over the second half; 0 = report only
max_fd_slope=50       # open fds per 10 min over the second half; 0 = report only
out="$root/target/soak"
keep=0
smoke=0
extra=()
usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift ;;
    --sample) sample="$2"; shift ;;
    --smoke) smoke=1 ;;
    --tenants) tenants="$2"; shift ;;
    --certs-per-tenant) certs_per_tenant="$2"; shift ;;
    --rate-scale) rate_scale="$2"; shift ;;
    --flood-rps) flood_rps="$2"; shift ;;
    --max-heap-slope) max_heap_slope="$2"; shift ;;
    --max-fd-slope) max_fd_slope="$2"; shift ;;
    --out) out="$2"; shift ;;
    --keep) keep=1 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench/soak.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
edge_idle=15s
if [ "$smoke" = 1 ]; then
  duration=20s; sample=5s; tenants=4; certs_per_tenant=2; edge_idle=6s
  extra=(--ws-lifetime 6s --bidi-messages 20 --websockets 2 --bidi-streams 2 --slowloris 4 --client-keep-alive 3
    --ramp 5s ${extra[@]+"${extra[@]}"})
fi
nats_url="${SOAK_NATS_URL:-nats://127.0.0.1:4222}"

log() { echo "[soak $(date +%T)] $*" >&2; }
# die, as_root, port_open, free_port, wait_line, wait_port
. "$here/lib.sh"

# --- everything started here is stopped on exit; the run's JetStream streams are deleted ------------------
run_id="$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
slug_prefix="soak-$run_id"
stream_prefix="SOAK_${run_id}_"
pids=()
work="$(mktemp -d /tmp/tenantgate-soak.XXXXXX)"
product_jar="$root/target/tenantgate.jar"
cleanup() {
  local rc=$?
  stop_started
  if [ -f "$product_jar" ]; then
    java -cp "$product_jar" "$here/SoakNats.java" delete-streams "$nats_url" "$stream_prefix" >&2 \
      || log "could not delete the JetStream streams $stream_prefix* on $nats_url"
  fi
  keep_or_remove_work "$rc"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v java >/dev/null && command -v mvn >/dev/null || die "needs java 17 and mvn"
command -v jcmd >/dev/null || die "needs jcmd (the JDK's) for heap-after-GC samples"

build_jars
loadgen_java_opts="${SOAK_LOADGEN_JAVA_OPTS:--Xmx512m}"
tenantgate_java_opts="${SOAK_TENANTGATE_JAVA_OPTS:--Xmx512m}"
if [ "$smoke" = 1 ]; then
  loadgen_java_opts="$loadgen_java_opts -XX:TieredStopAtLevel=1"
  tenantgate_java_opts="$tenantgate_java_opts -XX:TieredStopAtLevel=1"
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# --- PKI, upstream ------------------------------------------------------------------------------------
data="$work/data"
log "PKI: $tenants tenants ($slug_prefix-*) x $certs_per_tenant certificates, and one under a rogue root"
java -cp "$product_jar" "$here/BenchPki.java" pki "$data" --tenants "$tenants" --certs-per-tenant "$certs_per_tenant" \
  --slug-prefix "$slug_prefix" --rogue >&2
pki="$data/pki"
flood_tenant="$(printf '%s-%05d' "$slug_prefix" $((tenants - 1)))"

# shellcheck disable=SC2086
java $loadgen_java_opts -jar "$loadgen_jar" upstream --port 0 > "$work/upstream.log" 2>&1 &
pids+=($!); upstream_pid=$!
upstream_port=$(wait_line "$work/upstream.log" 'upstream listening .* native=' 60 "$upstream_pid" | sed -E 's/.*:([0-9]+).*/\1/')
log "upstream on 127.0.0.1:$upstream_port (pid $upstream_pid)"

# --- tenantgate --------------------------------------------------------------------------------------------
cfg="$work/tenantgate.yaml"
cat > "$cfg" <<EOF
# generated by bench/soak.sh
edge:
  host: 127.0.0.1
  port: 0
  tls:
    certFile: $pki/server.pem
    keyFile: $pki/server-key.pem
    clientCaFile: $pki/root.pem
    protocols: [TLSv1.3]
    reloadInterval: 0
  limits:
    idleTimeout: $edge_idle
ops:
  host: 127.0.0.1
  port: 0
accessLog:
  enabled: false
registry:
  store: file
  file: $data/registry.json
  pollInterval: 1s
nats:
  enabled: true
  url: $nats_url
  connectionName: tenantgate-soak-$run_id
  jetstream:
    namePrefix: $stream_prefix
    storage: memory
    maxBytes: 64MiB
    maxMsgs: 200000
    maxAge: 15m
routes:
  - name: core-grpc
    grpcService: "*"
    upstream: http://127.0.0.1:$upstream_port
  - name: core
    pathPrefix: /
    upstream: http://127.0.0.1:$upstream_port
    protocol: http1
EOF
java -jar "$product_jar" tenant limits --config "$cfg" --slug "$flood_tenant" --rps "$flood_rps" >&2
# shellcheck disable=SC2086
java $tenantgate_java_opts -jar "$product_jar" serve --config "$cfg" > "$work/tenantgate.log" 2>&1 &
pids+=($!); tg_pid=$!
serving=$(wait_line "$work/tenantgate.log" 'tenantgate serving: edge https://[^ ]+:[0-9]+ +ops http://[^ ]+:[0-9]+' 180 "$tg_pid")
tg_port=$(sed -E 's#.*edge https://[^ ]*:([0-9]+) .*#\1#' <<< "$serving")
ops_port=$(sed -E 's#.*ops http://[^ ]*:([0-9]+).*#\1#' <<< "$serving")
log "tenantgate on 127.0.0.1:$tg_port, ops :$ops_port (pid $tg_pid); flooder $flood_tenant at rps $flood_rps"

# --- the soak -------------------------------------------------------------------------------------------------
mkdir -p "$out"
status=0
# shellcheck disable=SC2086
java $loadgen_java_opts -jar "$loadgen_jar" soak --target "127.0.0.1:$tg_port" --pid "$tg_pid" \
  --ops "http://127.0.0.1:$ops_port" --certs "$pki/tenants" --ca "$pki/root.pem" --rogue "$pki/rogue" \
  --flood-tenant "$flood_tenant" --flood-rate "$((flood_rps * 10))" --duration "$duration" --sample "$sample" \
  --rate-scale "$rate_scale" --edge-idle-timeout "$edge_idle" --max-heap-slope "$max_heap_slope" --max-fd-slope "$max_fd_slope" \
  --csv "$out/soak.csv" --md "$out/soak.md" ${extra[@]+"${extra[@]}"} > "$work/soak.out" 2> "$work/soak.err" \
  || status=$?
cat "$work/soak.out"
if ! kill -0 "$tg_pid" 2>/dev/null; then
  log "the gateway exited during the soak; its log:"; tail -50 "$work/tenantgate.log" >&2; status=1
fi
if grep -q 'OutOfMemoryError' "$work/tenantgate.log"; then
  log "the gateway ran out of memory:"; grep -m5 'OutOfMemoryError' "$work/tenantgate.log" >&2; status=1
fi
blocked=$(grep -c 'has been blocked for' "$work/tenantgate.log" || true)
[ "$blocked" = 0 ] || log "warning: $blocked blocked-thread warnings in the gateway log (a starved machine, or a bug):
$(grep -m3 'has been blocked for' "$work/tenantgate.log")"
[ "$status" -eq 0 ] || { tail -30 "$work/soak.err" >&2; keep=1; }
log "table and verdict: ${out#"$root/"}/soak.md, samples: ${out#"$root/"}/soak.csv (exit $status)"
exit "$status"
