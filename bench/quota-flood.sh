#!/usr/bin/env bash
# Issue 8's quota acceptance, measured: one tenant flooding at 10x its request quota while another tenant
# sends at a steady rate; the quiet tenant's p99 latency and success rate must stay within 10 % of its solo
# run, the flooder must get 429s with Retry-After, each counted by the gateway.
#
#   bench/quota-flood.sh [--phase 2m] [--cycles 2] [--warmup 60s] [--quota 50] [--flood-factor 10]
#                        [--quiet-rate 50] [--background-rate 0] [--protocol h2|h1] [--max-p99-ratio 1.10]
#                        [--jfr] [--smoke] [--out DIR] [--keep]
#
# Three processes besides the upstream, as in production: tenantgate (serve, its own JVM), the quiet
# tenant's fleet and the flooding tenant's fleet (two `loadgen paced` JVMs sharing one clock). The
# schedule is warm-up (both send: the JIT compiles the admitted and the refused path), then --cycles
# times solo (quiet tenant alone) / flood (both), --phase each, so a slow minute of the machine lands on
# both sides. Arrivals are Poisson (independent agents), on HTTP/2 connections of 4 (quiet) and 8
# (flooder) certificates. The verdict pools the solo phases and the flood phases of the quiet tenant.
# --background-rate N adds a third tenant sending N req/s in every phase (no quota), so the solo phases
# are not an idle machine. --jfr records the gateway over the measured phases (settings=profile) and
# prints its hot path. Writes DIR/quota-flood.md and DIR/LABEL.jsonl per fleet (one line per phase, the
# quiet fleet's verdict last) (DIR: target/quota-flood). Exit 1 when the bar is missed, a fleet did not
# offer its load, or a refusal was not counted. Run it on a quiet machine: nothing else on the two cores.
# --smoke: 5 s phases, one cycle, no latency or offered-load bar (the count checks still apply).
# Durations: whole seconds or minutes (90s, 2m).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

phase=2m
cycles=2
warmup=60s
quota=50
flood_factor=10
quiet_rate=50
background_rate=
protocol=h2
max_ratio=1.10
jfr=0
smoke=0
out="$root/target/quota-flood"
keep=0
usage() { sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --phase) phase="$2"; shift ;;
    --cycles) cycles="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --quota) quota="$2"; shift ;;
    --flood-factor) flood_factor="$2"; shift ;;
    --quiet-rate) quiet_rate="$2"; shift ;;
    --background-rate) background_rate="$2"; [ "$background_rate" != 0 ] || background_rate=; shift ;;
    --protocol) protocol="$2"; shift ;;
    --max-p99-ratio) max_ratio="$2"; shift ;;
    --jfr) jfr=1 ;;
    --smoke) smoke=1 ;;
    --out) out="$2"; shift ;;
    --keep) keep=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench/quota-flood.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
if [ "$smoke" = 1 ]; then
  phase=5s; cycles=1; warmup=5s; max_ratio=1000
fi
# the fleets must offer their full load in the measured phases (a cold smoke run on shared cores cannot)
strict=(--strict flood)
background_strict=(--strict solo,flood)
[ "$smoke" = 0 ] || { strict=(); background_strict=(); }

log() { echo "[quota-flood $(date +%T)] $*" >&2; }
# die, as_root, port_open, free_port, wait_line, wait_port
. "$here/lib.sh"

seconds() { # 2m / 90s / 90 -> seconds
  case "$1" in
    *ms) echo $(( ${1%ms} / 1000 )) ;;
    *m) echo $(( ${1%m} * 60 )) ;;
    *s) echo "${1%s}" ;;
    *) echo "$1" ;;
  esac
}

pids=()
work="$(mktemp -d /tmp/tenantgate-quota.XXXXXX)"
product_jar="$root/target/tenantgate.jar"
loadgen_jar="$here/loadgen/target/loadgen.jar"
cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ "$keep" = 1 ] || [ $rc -ne 0 ]; then log "work directory kept: $work"; else rm -rf "$work"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v java >/dev/null && command -v mvn >/dev/null || die "needs java 17 and mvn"

# --- build (as bench/run.sh) ---------------------------------------------------------------------
if [ ! -f "$product_jar" ] || [ -n "$(find "$root/src/main" "$root/pom.xml" -newer "$product_jar" -print -quit)" ]; then
  log "building target/tenantgate.jar"
  mvn -B -q -o -f "$root/pom.xml" package -DskipTests >&2 || mvn -B -q -f "$root/pom.xml" package -DskipTests >&2
fi
if [ ! -f "$loadgen_jar" ] || [ -n "$(find "$here/loadgen/src" "$here/loadgen/pom.xml" -newer "$loadgen_jar" -print -quit)" ]; then
  log "building bench/loadgen/target/loadgen.jar"
  mvn -B -q -o -f "$here/loadgen/pom.xml" package >&2 || mvn -B -q -f "$here/loadgen/pom.xml" package >&2
fi
loadgen_java_opts="${QUOTA_LOADGEN_JAVA_OPTS:--Xmx256m}"
tenantgate_java_opts="${QUOTA_TENANTGATE_JAVA_OPTS:--Xmx512m}"

# --- PKI, upstream ---------------------------------------------------------------------------------------
data="$work/data"
java -cp "$product_jar" "$here/BenchPki.java" pki "$data" --tenants 3 --certs-per-tenant 8 --slug-prefix quota >&2
pki="$data/pki"
quiet_tenant=quota-00000
flood_tenant=quota-00001
background_tenant=quota-00002

# shellcheck disable=SC2086
java $loadgen_java_opts -jar "$loadgen_jar" upstream --port 0 > "$work/upstream.log" 2>&1 &
pids+=($!); upstream_pid=$!
upstream_port=$(wait_line "$work/upstream.log" 'upstream listening .* native=' 60 "$upstream_pid" | sed -E 's/.*:([0-9]+).*/\1/')

# --- tenantgate: its own JVM; connections outlive the phases (a fleet holds them) ----------------------------
cfg="$work/tenantgate.yaml"
cat > "$cfg" <<EOF
# generated by bench/quota-flood.sh
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
    idleTimeout: 30m
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
  enabled: false
routes:
  - name: core
    pathPrefix: /
    upstream: http://127.0.0.1:$upstream_port
    protocol: http1
EOF
java -jar "$product_jar" tenant limits --config "$cfg" --slug "$flood_tenant" --rps "$quota" >&2
# shellcheck disable=SC2086
java $tenantgate_java_opts -jar "$product_jar" serve --config "$cfg" > "$work/tenantgate.log" 2>&1 &
pids+=($!); tg_pid=$!
serving=$(wait_line "$work/tenantgate.log" 'tenantgate serving: edge https://[^ ]+:[0-9]+ +ops http://[^ ]+:[0-9]+' 180 "$tg_pid")
tg_port=$(sed -E 's#.*edge https://[^ ]*:([0-9]+) .*#\1#' <<< "$serving")
ops_port=$(sed -E 's#.*ops http://[^ ]*:([0-9]+).*#\1#' <<< "$serving")
log "tenantgate on 127.0.0.1:$tg_port (pid $tg_pid); $flood_tenant quota $quota rps, sends $((quota * flood_factor)); $quiet_tenant sends $quiet_rate"

# --- the schedule, shared by the fleets -------------------------------------------------------------------------
phases="warm:$warmup"
for _ in $(seq 1 "$cycles"); do phases="$phases,solo:$phase,flood:$phase"; done
warm_s=$(seconds "$warmup")
measured_s=$(( 2 * cycles * $(seconds "$phase") ))
# ten seconds for three JVMs to start on two busy cores; one that misses it exits 3 (the schedule is lost)
start_at=$(( $(date +%s%3N) + 10000 ))
log "schedule $phases (measured: $measured_s s after $warm_s s of warm-up)${background_rate:+; background tenant $background_tenant at $background_rate req/s in every phase}"
mkdir -p "$out"
rm -f "$out"/*.jsonl "$out/tenantgate.jfr" "$out/profile.md"
common=(--target "127.0.0.1:$tg_port" --certs "$pki/tenants" --ca "$pki/root.pem" --phases "$phases"
  --start-at "$start_at" --protocol "$protocol")
fleet() { # LABEL ARGS...: one paced fleet in its own JVM, its output in $work/LABEL.{out,err} and $out/LABEL.jsonl
  local label=$1; shift
  # shellcheck disable=SC2086
  java $loadgen_java_opts -jar "$loadgen_jar" paced "${common[@]}" --label "$label" --out "$out/$label.jsonl" "$@" \
    > "$work/$label.out" 2> "$work/$label.err" &
  pids+=($!)
}
fleet flooder --tenant "$flood_tenant" --connections 8 --rate "$((quota * flood_factor))" --send-in warm,flood \
  --path /flood ${strict[@]+"${strict[@]}"}
flooder_pid=$!
fleet quiet --tenant "$quiet_tenant" --connections 4 --rate "$quiet_rate" --path /quiet --compare solo,flood \
  --max-p99-ratio "$max_ratio"
quiet_pid=$!
background_pid=
if [ -n "$background_rate" ]; then
  fleet background --tenant "$background_tenant" --connections 8 --rate "$background_rate" --path /background \
    ${background_strict[@]+"${background_strict[@]}"}
  background_pid=$!
fi
# CPU time (utime+stime, clock ticks) at each phase boundary, of the gateway, the upstream and each fleet,
# and the machine's busy and total ticks (/proc/stat): what the flood costs the gateway, and how busy
# the two cores were (the fleets' load generators share them)
tick=$(getconf CLK_TCK)
IFS=, read -r -a phase_list <<< "$phases"
sleep_until() { # EPOCH-MS
  local ms=$(( $1 - $(date +%s%3N) ))
  [ "$ms" -le 0 ] || sleep "$(awk -v m="$ms" 'BEGIN {printf "%.3f", m / 1000}')"
}
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
cpu_line() { # PHASE: the phase, then ticks of gateway upstream quiet flooder background, machine busy, total
  echo "$1 $(cpu_of "$tg_pid") $(cpu_of "$upstream_pid") $(cpu_of "$quiet_pid") $(cpu_of "$flooder_pid")" \
    "$( [ -n "$background_pid" ] && cpu_of "$background_pid" || echo 0)" \
    "$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)"
}
(
  at=$start_at
  for p in "${phase_list[@]}"; do
    sleep_until "$at"
    cpu_line "${p%%:*}"
    at=$(( at + $(seconds "${p#*:}") * 1000 ))
  done
  sleep_until "$at"
  cpu_line end
) > "$work/cpu.txt" &
pids+=($!)
if [ "$jfr" = 1 ]; then
  ( sleep_until $(( start_at + warm_s * 1000 ))
    jcmd "$tg_pid" JFR.start name=quota settings=profile >&2 ) &
  pids+=($!)
fi
status=0
# a verdict line means the fleet ran to the end (exit 1 = the bar missed); none means it failed to run
finished() { grep -q "$2" "$work/$1.out" 2>/dev/null; }
wait "$quiet_pid" || status=1
finished quiet '"verdict"' || { log "the quiet tenant's load generator did not finish:"; tail -20 "$work/quiet.err" >&2; }
wait "$flooder_pid" || { log "the flooder did not offer its load, or failed:"; tail -5 "$work/flooder.err" >&2; status=1; }
if [ -n "$background_pid" ]; then
  wait "$background_pid" || { log "the background tenant did not offer its load, or failed:"; tail -5 "$work/background.err" >&2; status=1; }
fi
kill -0 "$tg_pid" 2>/dev/null || { log "the gateway died:"; tail -40 "$work/tenantgate.log" >&2; exit 1; }
if [ "$jfr" = 1 ]; then
  jcmd "$tg_pid" JFR.stop name=quota filename="$out/tenantgate.jfr" >&2 || log "could not stop the JFR recording"
fi

# --- every 429 counted by the gateway, and the admitted ones only up to the quota -------------------------------
sum_field() { { grep '"phase"' "$work/$1.out" || true; } | { grep -v '"verdict"' || true; } | { grep -o "\"$2\":[0-9]*" || true; } \
  | cut -d: -f2 | awk '{s+=$1} END {print s+0}'; }
flood_limited=$(sum_field flooder limited)
flood_ok=$(sum_field flooder ok)
flood_bare=$(sum_field flooder limitedWithoutRetryAfter)
scrape() { # GET /metrics over bash's /dev/tcp: nothing to install (HTTP/1.0, the server closes when done)
  exec 3<>"/dev/tcp/127.0.0.1/$ops_port"
  printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  cat <&3
  exec 3<&-
}
counted=$(scrape | tr -d '\r' | awk -v t="tenant=\"$flood_tenant\"" '/^tenantgate_refusals_total\{/ && /reason="tenant_rate_limited"/ \
  && /stage="request"/ && index($0, t) { s += $NF } END { printf "%d", s }')
flood_s=$(( warm_s + cycles * $(seconds "$phase") ))
max_admitted=$(( quota * (flood_s + cycles + 1) + quota ))
counts_ok=1
[ "$counted" = "$flood_limited" ] || { log "the gateway counted $counted refusals, the flooder got $flood_limited 429s"; counts_ok=0; }
[ "$flood_bare" = 0 ] || { log "$flood_bare 429s came without Retry-After"; counts_ok=0; }
[ "$flood_ok" -le "$max_admitted" ] || { log "the flooder got $flood_ok admitted, more than burst + quota x time ($max_admitted)"; counts_ok=0; }
[ "$flood_limited" -gt "$flood_ok" ] || { log "the flooder was mostly admitted ($flood_ok ok, $flood_limited 429)"; counts_ok=0; }
[ "$counts_ok" = 1 ] || status=1

# --- report -----------------------------------------------------------------------------------------------
verdict=$(grep '"verdict"' "$work/quiet.out" || echo '{"verdict":"none"}')
{
  echo "# quota flood, $(date -u +%FT%TZ)"
  echo
  echo "\`bench/quota-flood.sh --phase $phase --cycles $cycles --warmup $warmup --quota $quota --flood-factor $flood_factor --quiet-rate $quiet_rate${background_rate:+ --background-rate $background_rate} --protocol $protocol\`"
  echo "on $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))."
  echo
  echo "| process | phase | # | ok | 429 | failed | not sent | p50 ms | p99 ms | p99.9 ms | max ms |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for who in quiet flooder ${background_rate:+background}; do
    { grep '"phase"' "$work/$who.out" || true; } | { grep -v '"verdict"' || true; } | while read -r line; do
      f() { grep -o "\"$1\":[^,}]*" <<< "$line" | head -1 | cut -d: -f2 | tr -d '"'; }
      echo "| $who | $(f phase) | $(f index) | $(f ok) | $(f limited) | $(f failed) | $(f notSent) | $(f p50ms) | $(f p99ms) | $(f p999ms) | $(f maxms) |"
    done
  done
  echo
  echo "CPU per phase, % of one core (utime+stime from /proc; the machine has $(nproc) cores, its busy % is of all of them):"
  echo
  echo "| phase | # | seconds | gateway | upstream | quiet fleet | flooder fleet | background fleet | machine busy |"
  echo "|---|---|---|---|---|---|---|---|---|"
  i=0
  prev=()
  while read -r -a row; do
    if [ $i -gt 0 ]; then
      len=$(seconds "${phase_list[$((i - 1))]#*:}")
      awk -v n="${prev[0]}" -v i="$i" -v l="$len" -v t="$tick" \
        -v g="$(( row[1] - prev[1] ))" -v u="$(( row[2] - prev[2] ))" -v q="$(( row[3] - prev[3] ))" \
        -v f="$(( row[4] - prev[4] ))" -v b="$(( row[5] - prev[5] ))" \
        -v busy="$(( row[6] - prev[6] ))" -v total="$(( row[7] - prev[7] ))" \
        'function pct(x) { return sprintf("%.1f", 100 * x / t / l) }
         BEGIN { m = 0; if (total > 0) m = 100 * busy / total
                 printf "| %s | %d | %d | %s | %s | %s | %s | %s | %.1f |\n", n, i, l, pct(g), pct(u), pct(q), pct(f), pct(b), m }'
    fi
    prev=("${row[@]}"); i=$((i + 1))
  done < "$work/cpu.txt"
  echo
  echo "Quiet tenant, pooled phases: $verdict"
  echo
  echo "Flooder: $flood_ok admitted, $flood_limited refused (429 + Retry-After); the gateway counted $counted"
  echo "tenant_rate_limited refusals for it (at most $max_admitted admissions allowed over ${flood_s} s)."
} > "$out/quota-flood.md"
cat "$out/quota-flood.md"
if [ "$jfr" = 1 ] && [ -f "$out/tenantgate.jfr" ]; then
  java -jar "$loadgen_jar" profile --jfr "$out/tenantgate.jfr" --top 20 \
    --during "over the solo and flood phases together" > "$out/profile.md" || log "could not summarise the JFR recording"
  cat "$out/profile.md"
fi
[ "$status" -eq 0 ] && log "PASS: $verdict" || log "FAILED (exit $status): see ${out#"$root/"}/quota-flood.md"
exit "$status"
