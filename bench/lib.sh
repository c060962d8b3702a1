# Shell helpers shared by the bench scripts (sourced, not run). The sourcing script defines log()
# first, with its own prefix.

die() { log "FAILED: $*"; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    port_open "$p" || { echo "$p"; return 0; }
  done
  die "no free port found"
}
# wait_line FILE REGEX SECONDS PID: until FILE has a line matching REGEX (prints it)
wait_line() {
  local deadline=$((SECONDS + $3)) line
  while [ $SECONDS -lt $deadline ]; do
    line=$(grep -m1 -E "$2" "$1" 2>/dev/null || true)
    if [ -n "$line" ]; then echo "$line"; return 0; fi
    kill -0 "$4" 2>/dev/null || { cat "$1" >&2; die "process $4 exited before printing /$2/"; }
    sleep 0.2
  done
  cat "$1" >&2
  die "timed out waiting for /$2/ in $1"
}
wait_port() {
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do port_open "$1" && return 0; sleep 0.2; done
  die "nothing listening on 127.0.0.1:$1 after $2 s"
}
# stop_started: every process in ${pids[@]} gets TERM, up to 10 s to exit, then KILL
stop_started() {
  local pid
  for pid in ${pids[@]+"${pids[@]}"}; do kill "$pid" 2>/dev/null || true; done
  for pid in ${pids[@]+"${pids[@]}"}; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}
# keep_or_remove_work RC: $work stays when asked (keep=1) or when the run failed (RC not 0)
keep_or_remove_work() {
  if [ "$keep" = 1 ] || [ "$1" -ne 0 ]; then log "work directory kept: $work"; else rm -rf "$work"; fi
}
# stop_and_clean: the EXIT trap of a script that only started processes and made $work
stop_and_clean() {
  local rc=$?
  stop_started
  keep_or_remove_work "$rc"
  exit $rc
}
# build_jars: sets product_jar and loadgen_jar; builds either when missing or older than its sources
# (offline first: the dependencies are usually in ~/.m2 already)
build_jars() {
  product_jar="$root/target/tenantgate.jar"
  loadgen_jar="$here/loadgen/target/loadgen.jar"
  if [ ! -f "$product_jar" ] || [ -n "$(find "$root/src/main" "$root/pom.xml" -newer "$product_jar" -print -quit)" ]; then
    log "building target/tenantgate.jar"
    mvn -B -q -o -f "$root/pom.xml" package -DskipTests >&2 || mvn -B -q -f "$root/pom.xml" package -DskipTests >&2
  fi
  if [ ! -f "$loadgen_jar" ] || [ -n "$(find "$here/loadgen/src" "$here/loadgen/pom.xml" -newer "$loadgen_jar" -print -quit)" ]; then
    log "building bench/loadgen/target/loadgen.jar"
    mvn -B -q -o -f "$here/loadgen/pom.xml" package >&2 || mvn -B -q -f "$here/loadgen/pom.xml" package >&2
  fi
}
