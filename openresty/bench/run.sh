#!/usr/bin/env bash
# Edge benchmark: wrk against the edge's handshake path (openresty/nginx.conf, Lua balancer and
# log phase) vs the same nginx with a plain static proxy_pass, both to the same two stand-in
# gateways; plus "floor": the edge's nginx.conf whose balancer only sets the peer and whose log
# phase does nothing (bench/floor.lua) -- the fixed cost of the two Lua entries the design needs.
# Each round runs every configuration once, in an order that rotates from round to round; the
# ratios are per round (edge or floor req/s over plain req/s of the same round), summarised as
# median and quartiles at the end, because single rounds on a shared 2-core machine spread widely.
# Usage: openresty/bench/run.sh [seconds per run] [connections] [rounds]
# OPENRESTY_DIR=<a copy of openresty/> runs that copy's nginx.conf and Lua as "edge" instead (an
# A/B of a change to the Lua path against the same baseline and floor).
# Needs nginx-light, libnginx-mod-http-lua, lua-resty-core, lua-cjson, wrk.
set -euo pipefail
secs=${1:-5}
conns=${2:-64}
rounds=${3:-12}
here=$(cd "$(dirname "$0")" && pwd)
openresty=${OPENRESTY_DIR:-$(dirname "$here")}
work=$(mktemp -d /tmp/jdy-edge-bench-XXXXXX)
GW1_PORT=18281 GW2_PORT=18282 IPCONFIG_PORT=18290
declare -A port=([backend]=0 [edge]=18280 [floor]=18284 [plain]=18288)
modules="load_module /usr/lib/nginx/modules/ndk_http_module.so; load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;"

template() { # template SRC DEST PREFIX PORT
  sed -e "s#\${LUA_MODULES}#$modules#" -e "s#\${PREFIX}#$3#g" -e "s#\${PORT}#$4#g" \
      -e "s#\${OPENRESTY}#$openresty#g" -e "s#\${IPCONFIG_URL}#http://127.0.0.1:$IPCONFIG_PORT#g" \
      -e "s#\${GATEWAYS}#gw-1=127.0.0.1:$GW1_PORT gw-2=127.0.0.1:$GW2_PORT#g" \
      -e "s#\${GW1_PORT}#$GW1_PORT#g" -e "s#\${GW2_PORT}#$GW2_PORT#g" \
      -e "s#\${IPCONFIG_PORT}#$IPCONFIG_PORT#g" \
      -e "s#access_log [^;]*;#access_log off;#" "$1" > "$2"
}
start() { # start NAME SRC
  local prefix="$work/$1"
  mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/temp"
  template "$2" "$prefix/conf/nginx.conf" "$prefix" "${port[$1]}"
  nginx -p "$prefix" -c conf/nginx.conf -e "$prefix/logs/error.log" -g "pid $prefix/logs/nginx.pid;"
}
stop_all() {
  for pid in "$work"/*/logs/nginx.pid; do [[ -f $pid ]] && kill -QUIT "$(cat "$pid")" || true; done
  sleep 1
  rm -rf "$work"
}
trap stop_all EXIT

# floor: the edge's own nginx.conf, with the per-request entries swapped for floor.lua's
sed -e 's#lua_package_path "\${OPENRESTY}/lua/?.lua;;";#lua_package_path "${OPENRESTY}/lua/?.lua;'"$here"'/?.lua;;";#' \
    -e 's#jdy = require("jdy.edge")#jdy = require("floor")#' "$openresty/nginx.conf" > "$work/floor.conf"
grep -q 'require("floor")' "$work/floor.conf"
start backend "$here/backend.conf"
start edge "$openresty/nginx.conf"
start floor "$work/floor.conf"
start plain "$here/plain.conf"
sleep 2
curl -fsS -XPOST "http://127.0.0.1:${port[edge]}/v1/chat/handshake" >/dev/null
curl -fsS "http://127.0.0.1:${port[edge]}/_edge/status" | grep -q '"source":"ipconfig"'

# cpu_ticks NAME: user+system clock ticks of that nginx's worker processes so far
cpu_ticks() {
  local master total=0 pid
  master=$(cat "$work/$1/logs/nginx.pid")
  for pid in $(pgrep -P "$master"); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
# run NAME SECONDS -> "<req/s> <us of nginx worker CPU per request>"
run() {
  local before after out
  before=$(cpu_ticks "$1")
  out=$(wrk -t2 -c"$conns" -d"${2}s" -s "$here/handshake.lua" \
        "http://127.0.0.1:${port[$1]}/v1/chat/handshake")
  after=$(cpu_ticks "$1")
  if grep -q "Non-2xx" <<<"$out"; then echo "$1: non-2xx answers" >&2; exit 1; fi
  awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
    / requests in / {n = $1}
    /Requests\/sec/ {rps = $2}
    END {printf "%.0f %.1f\n", rps, ticks / hz * 1e6 / n}' <<<"$out"
}
names=(edge floor plain)
for name in "${names[@]}"; do run "$name" 2 >/dev/null; done   # warm-up: JIT traces, keep-alive
declare -A rps cpu
summary=$(mktemp)
for round in $(seq "$rounds"); do
  for k in 0 1 2; do
    name=${names[$(((round + k) % 3))]}
    read -r "rps[$name]" "cpu[$name]" < <(run "$name" "$secs")
  done
  e=$(awk -v a="${rps[edge]}" -v b="${rps[plain]}" 'BEGIN {printf "%.3f", a / b}')
  f=$(awk -v a="${rps[floor]}" -v b="${rps[plain]}" 'BEGIN {printf "%.3f", a / b}')
  echo "round $round: req/s edge ${rps[edge]}, floor ${rps[floor]}, plain ${rps[plain]};" \
    "us CPU/req ${cpu[edge]} / ${cpu[floor]} / ${cpu[plain]}; ratio edge $e, floor $f"
  echo "$e $f" >> "$summary"
done
# quartiles COLUMN -> "median (q1-q3, min-max)"
quartiles() {
  sort -n <(awk -v c="$1" '{print $c}' "$summary") | awk '
    {v[NR] = $1}
    function q(p,  i) {i = 1 + p * (NR - 1); return v[int(i)] + (i - int(i)) * (v[int(i) + 1] - v[int(i)])}
    END {printf "median %.3f (quartiles %.3f-%.3f, range %.3f-%.3f, %d rounds)", q(0.5), q(0.25), q(0.75), v[1], v[NR], NR}'
}
echo "edge/plain req/s: $(quartiles 1)"
echo "floor/plain req/s: $(quartiles 2)"
rm -f "$summary"
