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
