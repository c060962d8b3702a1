#!/usr/bin/env bash
# tenantgate vs nginx, side by side, on this machine (issue 6; bench/README.md).
#
#   bench/run.sh [--smoke] [--rounds N] [--duration S] [--warmup S] [--prewarm S] [--modes LIST]
#                [--idle N] [--tenant-scale] [--tenants N] [--certs-per-tenant N] [--out FILE] [--keep]
#                [--grpc-modes LIST] [--no-profile] [--skip-load (only idle / tenant scale)]
#
# Builds what it needs, generates one PKI with the product's own pki/ code, starts on loopback a
# trivial upstream, nginx (2 workers, ssl_verify_client on, TLS 1.3, CN/tenant passed upstream,
# upstream keep-alive) and tenantgate on the same PKI, drives both with bench/loadgen in alternating
# rounds, and writes docs/performance.md from the measured results. Everything it starts is
# stopped on exit. --smoke: a few seconds of each mode; asserts every run produced requests and no
# errors (exit 1 otherwise) and leaves docs/ alone.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

smoke=0
rounds=3
duration=20
warmup=5
prewarm=60
modes="h1,h1-rate,h2,full,resumed"
grpc_modes="grpc-unary,grpc-bidi"
grpc_prewarm=20
idle=20000
scale=0
tenants=50
certs_per_tenant=4
out="$root/docs/performance.md"
keep=0
skip_load=0
profile=1
pause=1
load_shape=()
argv=("$@")

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --rounds) rounds="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --prewarm) prewarm="$2"; shift ;;
    --modes) modes="$2"; shift ;;
    --grpc-modes) grpc_modes="$2"; shift ;;
    --idle) idle="$2"; shift ;;
    --tenant-scale) scale=1 ;;
    --tenants) tenants="$2"; shift ;;
    --certs-per-tenant) certs_per_tenant="$2"; shift ;;
    --out) out="$2"; shift ;;
    --keep) keep=1 ;;
    --no-profile) profile=0 ;;
    --skip-load) skip_load=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
if [ "$smoke" = 1 ]; then
  rounds=1; duration=1; warmup=1; prewarm=0; scale_prewarm=2.5; grpc_prewarm=0; pause=0.2; idle=50; profile=0; tenants=4; certs_per_tenant=2
  load_shape=(--connections 8 --h2-connections 2 --streams 4 --handshake-concurrency 4 --min-requests 12)
  scale_tenants=50; scale_revoked=5000
else
  scale_tenants=10000; scale_revoked=1000000; scale_prewarm=30
fi

log() { echo "[bench $(date +%T)] $*" >&2; }
# die, as_root, port_open, free_port, wait_line, wait_port
. "$here/lib.sh"

# --- everything started here is stopped on exit ---------------------------------------------------
pids=()
work="$(mktemp -d /tmp/tenantgate-bench.XXXXXX)"
trap stop_and_clean EXIT
trap 'exit 130' INT TERM

# --- tools -----------------------------------------------------------------------------------------
command -v java >/dev/null && command -v mvn >/dev/null || die "needs java 17 and mvn (scripts/test.sh installs them)"
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  log "installing nginx (Debian package)"
  as_root apt-get update -qq >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null \
    || { log "nginx is not installed and cannot be installed here (needs root or sudo and apt)"; exit 3; }
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

# --- build -----------------------------------------------------------------------------------------
build_jars
loadgen_java_opts="${BENCH_LOADGEN_JAVA_OPTS:-}"
tenantgate_java_opts="${BENCH_TENANTGATE_JAVA_OPTS:--Xmx1g}"
if [ "$smoke" = 1 ]; then
  # seconds-long runs: C1 only, so the JIT does not fight the load for the two cores
  loadgen_java_opts="$loadgen_java_opts -XX:TieredStopAtLevel=1"
  tenantgate_java_opts="$tenantgate_java_opts -XX:TieredStopAtLevel=1"
fi
# shellcheck disable=SC2086
loadgen() { java $loadgen_java_opts -jar "$loadgen_jar" "$@"; }

# open files: idle connections need one descriptor each (server and generator alike)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile="$(ulimit -n)"
if [ "$idle" -gt 0 ] && [ "$idle" -gt $((nofile - 500)) ]; then
  log "--idle $idle exceeds this shell's open-file limit ($nofile, hard); using $((nofile - 500))"
  idle_requested="$idle"
  idle=$((nofile - 500))
fi

# --- machine ---------------------------------------------------------------------------------------
machine="$work/machine.txt"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "load_before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory: $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
  echo "kernel: $(uname -sr)"
  echo "java: $(java -version 2>&1 | head -1)"
  echo "java_vm: $(java -version 2>&1 | tail -1)"
  echo "tenantgate_jvm_options: $tenantgate_java_opts"
  echo "nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
  echo "nginx_openssl: $("$NGINX" -V 2>&1 | grep -i 'built with' | sed 's/^built with //')"
  echo "system_openssl: $(openssl version 2>/dev/null || echo unknown)"
  echo "command: bench/run.sh ${argv[*]:-}"
  echo "settings: tenant_scale=$([ "$scale" = 1 ] && echo "$scale_tenants tenants, $scale_revoked revoked" || echo off) rounds=$rounds duration=${duration}s warmup=${warmup}s prewarm=${prewarm}s modes=$modes tenants=$tenants certs_per_tenant=$certs_per_tenant idle=$idle${idle_requested:+ (asked $idle_requested)} open_files=$nofile"
} > "$machine"

# --- PKI (the product's own pki/ code) ---------------------------------------------------------------
data="$work/data"
log "generating PKI: $tenants tenants x $certs_per_tenant client certificates"
# compiled once: it runs up to four times
mkdir -p "$work/classes"
javac -nowarn -d "$work/classes" -cp "$product_jar" "$here/BenchPki.java"
benchpki() { java -cp "$product_jar:$work/classes" BenchPki "$@"; }
benchpki pki "$data" --tenants "$tenants" --certs-per-tenant "$certs_per_tenant" >&2
pki="$data/pki"

# --- upstream ------------------------------------------------------------------------------------------
# shellcheck disable=SC2086
java $loadgen_java_opts -jar "$loadgen_jar" upstream --port 0 > "$work/upstream.log" 2>&1 &
pids+=($!); upstream_pid=$!
upstream_port=$(wait_line "$work/upstream.log" 'upstream listening .* native=' 60 "$upstream_pid" | sed -E 's/.*:([0-9]+).*/\1/')
log "upstream on 127.0.0.1:$upstream_port (pid $upstream_pid)"

# --- tenantgate ----------------------------------------------------------------------------------------
# launch_tenantgate NAME PKI-DIR REGISTRY: starts a gateway on free ports in the background; then
# await_tenantgate NAME sets tg_pid, tg_port and tg_ms (launch to "serving", which includes loading
# the registry snapshot). Two gateways can start side by side.
declare -A tg_pids tg_t0
launch_tenantgate() {
  local name="$1" pki="$2" registry="$3" cfg="$work/$1.yaml"
  cat > "$cfg" <<EOF
# generated by bench/run.sh
edge:
  host: 127.0.0.1
  port: 0
  instances: 0
  tls:
    certFile: $pki/server.pem
    keyFile: $pki/server-key.pem
    clientCaFile: $pki/root.pem
    protocols: [TLSv1.3]
    engine: auto
    reloadInterval: 0
    # rotate ticket keys during the run, so the resumed mode measures resumption across rotations
    sessionTickets: {rotation: 15s, lifetime: 30s}
  limits:
    idleTimeout: 10m
ops:
  host: 127.0.0.1
  port: 0
accessLog:
  enabled: false
registry:
  store: file
  file: $registry
nats:
  enabled: false
routes:
  - name: core-grpc
    grpcService: "*"
    upstream: http://127.0.0.1:$upstream_port
  - name: core
    pathPrefix: /
    upstream: http://127.0.0.1:$upstream_port
    protocol: http1
EOF
  tg_t0[$name]=$(date +%s%N)
  # shellcheck disable=SC2086
  java ${tenantgate_java_opts_main:-$tenantgate_java_opts} -jar "$product_jar" serve --config "$cfg" > "$work/$name.log" 2>&1 &
  tg_pids[$name]=$!
  pids+=("$!")
}
await_tenantgate() {
  local name="$1"
  tg_pid=${tg_pids[$name]}
  tg_port=$(wait_line "$work/$name.log" 'tenantgate serving: edge https://[^ ]+:[0-9]+ +ops' 180 "$tg_pid" \
    | sed -E 's#.*edge https://[^ ]*:([0-9]+) .*#\1#')
  tg_ms=$(( ($(date +%s%N) - ${tg_t0[$name]}) / 1000000 ))
  log "$name on 127.0.0.1:$tg_port (pid $tg_pid, ready in $tg_ms ms): $(grep -m1 'op=start' "$work/$name.log" | sed 's/.*op=start //')"
}
# JFR on the main gateway (default settings: sampling every 20 ms, ~1 % overhead); dumped after the
# load phase and summarised in the report
main_jvm_extra=""
[ "$profile" = 1 ] && main_jvm_extra="-XX:StartFlightRecording=name=bench,settings=default"
tenantgate_java_opts_main="$tenantgate_java_opts $main_jvm_extra"
launch_tenantgate tenantgate "$pki" "$data/registry.json"

# --- nginx ---------------------------------------------------------------------------------------------
ngx="$work/nginx"
mkdir -p "$ngx/logs" "$ngx/tmp"
nginx_port=$(free_port)
cat > "$ngx/nginx.conf" <<EOF
# generated by bench/run.sh: the job tenantgate does, done by nginx
worker_processes 2;
worker_rlimit_nofile $nofile;
pid $ngx/nginx.pid;
error_log $ngx/logs/error.log warn;
events {
  worker_connections $((nofile - 100));
}
http {
  access_log off;
  client_body_temp_path $ngx/tmp/body;
  proxy_temp_path $ngx/tmp/proxy;
  fastcgi_temp_path $ngx/tmp/fastcgi;
  uwsgi_temp_path $ngx/tmp/uwsgi;
  scgi_temp_path $ngx/tmp/scgi;
  keepalive_requests 1000000000;
  keepalive_timeout 600s;
  http2_max_concurrent_streams 256;

  # identity from the verified client certificate: CN, and the tenant slug inside it
  # (<component>[.<partition>].<slug>.serviceradar)
  map \$ssl_client_s_dn \$client_cn {
    "~(^|,)CN=(?<cn>[^,]+)" \$cn;
    default "";
  }
  map \$client_cn \$tenant_slug {
    "~\.(?<slug>[a-z0-9-]+)\.serviceradar\$" \$slug;
    default "";
  }

  upstream core {
    server 127.0.0.1:$upstream_port;
    keepalive 64;
  }

  server {
    listen 127.0.0.1:$nginx_port ssl http2;
    ssl_certificate $pki/server.pem;
    ssl_certificate_key $pki/server-key.pem;
    ssl_protocols TLSv1.3;
    # the CA names a client is asked for: the platform root (as tenantgate); chains validate to it
    ssl_client_certificate $pki/root.pem;
    # root + every tenant CA: the client CA bundle
    ssl_trusted_certificate $pki/client-ca-bundle.pem;
    ssl_verify_client on;
    ssl_verify_depth 2;
    ssl_session_tickets on;
    ssl_session_timeout 1h;

    location / {
      proxy_pass http://core;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # strip what a client could spoof, then stamp the identity
      proxy_set_header X-Tenant-Id "";
      proxy_set_header X-Client-CN \$client_cn;
      proxy_set_header X-Tenant-Slug \$tenant_slug;
      proxy_set_header X-Client-Cert-Serial \$ssl_client_serial;
    }
  }
}
EOF
"$NGINX" -t -q -p "$ngx/" -c "$ngx/nginx.conf" -e "$ngx/logs/error.log" 2>"$ngx/test.log" || { cat "$ngx/test.log" >&2; die "nginx config test"; }
"$NGINX" -p "$ngx/" -c "$ngx/nginx.conf" -e "$ngx/logs/error.log" -g 'daemon off;' > "$ngx/logs/stdout.log" 2>&1 &
pids+=($!); nginx_pid=$!
wait_port "$nginx_port" 30
log "nginx on 127.0.0.1:$nginx_port (master pid $nginx_pid, 2 workers)"

await_tenantgate tenantgate
tenantgate_pid=$tg_pid; tenantgate_port=$tg_port
tenantgate_java_opts_main=""
grep -m1 'op=start' "$work/tenantgate.log" | sed 's/.*op=start /tenantgate_start: /' >> "$machine"

results="$work/results.jsonl"
: > "$results"
targets=(--target "nginx,127.0.0.1:$nginx_port,$nginx_pid" --target "tenantgate,127.0.0.1:$tenantgate_port,$tenantgate_pid")
common=(--certs "$pki/tenants" --ca "$pki/root.pem" --out "$results")
run_cmd=(run "${targets[@]}" --modes "$modes" --rounds "$rounds" --prewarm "$prewarm" --warmup "$warmup"
  --duration "$duration" --pause "$pause" --rate-reference nginx ${load_shape[@]+"${load_shape[@]}"})

# --- throughput, latency, CPU: alternating rounds ------------------------------------------------------------
log "load: modes $modes, $rounds round(s) of ${duration}s per mode and target (prewarm ${prewarm}s, warm-up ${warmup}s)"
if [ "$skip_load" = 0 ] && [ -n "$modes" ]; then
  echo "loadgen_run: java -jar bench/loadgen/target/loadgen.jar ${run_cmd[*]} --certs PKI/tenants --ca PKI/root.pem" >> "$machine"
  loadgen "${run_cmd[@]}" "${common[@]}" >&2
fi

# --- gRPC: tenantgate vs straight to the upstream (h2c, no TLS) ------------------------------------------------
if [ -n "$grpc_modes" ] && [ "$skip_load" = 0 ]; then
  grpc_cmd=(run --target "tenantgate,127.0.0.1:$tenantgate_port,$tenantgate_pid"
    --target "direct,127.0.0.1:$upstream_port,$upstream_pid,plain" --modes "$grpc_modes" --rounds "$rounds"
    --prewarm "$grpc_prewarm" --warmup "$warmup" --duration "$duration" --pause "$pause" ${load_shape[@]+"${load_shape[@]}"})
  echo "loadgen_grpc: java -jar bench/loadgen/target/loadgen.jar ${grpc_cmd[*]} --certs PKI/tenants --ca PKI/root.pem" >> "$machine"
  log "gRPC: modes $grpc_modes, tenantgate vs direct to the upstream"
  loadgen "${grpc_cmd[@]}" "${common[@]}" >&2
fi
jfr_args=()
if [ "$profile" = 1 ] && [ "$skip_load" = 0 ]; then
  jcmd "$tenantgate_pid" JFR.dump name=bench filename="$work/tenantgate.jfr" >/dev/null && jfr_args=(--jfr "$work/tenantgate.jfr")
  echo "profile: JFR (settings=default) on the tenantgate JVM during the load phase; jcmd PID JFR.dump" >> "$machine"
fi

# --- idle connections ----------------------------------------------------------------------------------
if [ "$idle" -gt 0 ]; then
  log "idle: $idle connections to each target"
  loadgen idle "${targets[@]}" --count "$idle" --pause "$pause" "${common[@]}" >&2
  echo "loadgen_idle: java -jar bench/loadgen/target/loadgen.jar idle --target NAME,HOST:PORT,PID... --count $idle --certs PKI/tenants --ca PKI/root.pem" >> "$machine"
fi

# --- tenant scale ----------------------------------------------------------------------------------------
if [ "$scale" = 1 ]; then
  . "$here/tenant-scale.sh"
fi

echo "load_after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$machine"

# --- report ------------------------------------------------------------------------------------------------
if [ "$smoke" = 1 ]; then
  loadgen report --results "$results" --machine "$machine" --out "$work/performance.md" --check \
    --expect-runs "$(( ($(tr ',' '\n' <<< "$modes" | grep -c .) + $(tr ',' '\n' <<< "$grpc_modes" | grep -c .)) * 2 * rounds \
      + (idle > 0 ? 2 : 0) + (scale ? 2 + 2 * rounds : 0) ))"
  log "smoke passed: $(wc -l < "$results") runs, all with requests and without errors"
else
  loadgen report --results "$results" --machine "$machine" --out "$out" --notes "$here/FINDINGS.md" \
    ${jfr_args[@]+"${jfr_args[@]}"}
  log "wrote ${out#"$root/"}"
fi
