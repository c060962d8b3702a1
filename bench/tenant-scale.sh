# Tenant scale (issue 6, item 4), sourced by bench/run.sh --tenant-scale: a registry of
# $scale_tenants tenant CAs and $scale_revoked revoked serials against the same first tenant alone.
#  - snapshot: RegistryFile.parse + toSnapshot of each registry, timed, with the heap it retains;
#  - gateway: launch-to-serving time and used heap after a full GC of a tenantgate on each registry;
#  - handshake rate: full handshakes by the first tenant's certificates against both gateways,
#    alternating rounds (ratio big registry / 1 tenant).
scale_data="$work/scale"
log "tenant scale: generating $scale_tenants tenant CAs and $scale_revoked revoked serials"
benchpki pki "$scale_data" --tenants 1 --certs-per-tenant 4 \
  --extra-tenants $((scale_tenants - 1)) --revoked "$scale_revoked" >&2

heap_mib() { # used heap after a full GC, MiB
  jcmd "$1" GC.run >/dev/null 2>&1 || true
  jcmd "$1" GC.heap_info 2>/dev/null | grep -o 'used [0-9]*K' | head -1 | awk '{ printf "%.1f", $2 / 1024 }'
}

# the snapshot loads are timed first, in a fresh JVM each with nothing else running: timed after the two
# gateways started, the cold load measured the neighbours' JIT threads as much as itself (3.2 s vs 1.3-1.5 s)
one_snapshot=$(benchpki snapshot "$scale_data/registry-first-tenant.json" target=tenantgate-1-tenant)
big_snapshot=$(benchpki snapshot "$scale_data/registry.json" target=tenantgate-scale)
launch_tenantgate tenantgate-1-tenant "$scale_data/pki" "$scale_data/registry-first-tenant.json"
launch_tenantgate tenantgate-scale "$scale_data/pki" "$scale_data/registry.json"
await_tenantgate tenantgate-1-tenant
one_pid=$tg_pid; one_port=$tg_port; one_ms=$tg_ms
await_tenantgate tenantgate-scale
big_pid=$tg_pid; big_port=$tg_port; big_ms=$tg_ms
one_heap=$(heap_mib "$one_pid"); big_heap=$(heap_mib "$big_pid")
echo "{\"gateway_ready_ms\":$one_ms,\"gateway_heap_mib\":${one_heap:-null},${one_snapshot#\{}" >> "$results"
echo "{\"gateway_ready_ms\":$big_ms,\"gateway_heap_mib\":${big_heap:-null},${big_snapshot#\{}" >> "$results"
tail -2 "$results" >&2

scale_cmd=(run --target "tenantgate-1-tenant,127.0.0.1:$one_port,$one_pid" --target "tenantgate-scale,127.0.0.1:$big_port,$big_pid"
  --modes full --rounds "$rounds" --prewarm "$scale_prewarm" --warmup "$warmup" --duration "$duration" --pause "$pause"
  ${load_shape[@]+"${load_shape[@]}"})
echo "loadgen_scale: java -jar bench/loadgen/target/loadgen.jar ${scale_cmd[*]} --certs SCALE-PKI/tenants --ca SCALE-PKI/root.pem" >> "$machine"
log "tenant scale: full handshakes, 1 tenant vs $scale_tenants tenants + $scale_revoked revoked"
loadgen "${scale_cmd[@]}" --certs "$scale_data/pki/tenants" --ca "$scale_data/pki/root.pem" --out "$results" >&2
kill "$one_pid" "$big_pid" 2>/dev/null || true
