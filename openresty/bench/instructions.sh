#!/usr/bin/env bash
# Edge benchmark, load-independent part: user-space instructions per handshake of one nginx
# process (valgrind callgrind, master_process off, one worker) for the edge (openresty/nginx.conf),
# its floor (the same conf with bench/floor.lua: the two Lua entries and nothing else, see run.sh)
# and the plain proxy_pass baseline, behind the same stand-in gateways as run.sh. The machine's
# load does not change these counts much (timer work spread over a run's requests moves them by
# a few hundred), so changes to the Lua path can be compared. Under valgrind a worker serves about
# a fourteenth of the requests per second it serves at full speed, so the edge's periodic work
# (the routing epoch read every epoch_interval, the in-flight counts written every
# count_max_age) would weigh fourteen times as much per request: both intervals are set to
# 0.15 s here instead of 0.01 s, so that a period spans about as many requests as it does at
# full speed.
# Usage: openresty/bench/instructions.sh [seconds]     Needs valgrind besides run.sh's packages.
set -euo pipefail
secs=${1:-10}
here=$(cd "$(dirname "$0")" && pwd)
openresty=$(dirname "$here")
work=$(mktemp -d -t jdy-edge-instr-XXXXXX)
GW1_PORT=18281 GW2_PORT=18282 IPCONFIG_PORT=18290 PORT=18280
modules="load_module /usr/lib/nginx/modules/ndk_http_module.so; load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;"

template() { # template SRC DEST PREFIX
  sed -e "s#\${LUA_MODULES}#$modules#" -e "s#\${PREFIX}#$3#g" -e "s#\${PORT}#$PORT#g" \
      -e "s#\${OPENRESTY}#$openresty#g" -e "s#\${IPCONFIG_URL}#http://127.0.0.1:$IPCONFIG_PORT#g" \
      -e "s#\${GATEWAYS}#gw-1=127.0.0.1:$GW1_PORT gw-2=127.0.0.1:$GW2_PORT#g" \
      -e "s#\${GW1_PORT}#$GW1_PORT#g" -e "s#\${GW2_PORT}#$GW2_PORT#g" \
      -e "s#\${IPCONFIG_PORT}#$IPCONFIG_PORT#g" -e "s#access_log [^;]*;#access_log off;#" \
      -e "s#worker_processes auto;#worker_processes 1;#" \
      -e 's#service = "stream-gateway",#service = "stream-gateway", epoch_interval = 0.15, count_max_age = 0.15,#' \
      "$1" > "$2"
}
prefix() { mkdir -p "$work/$1/conf" "$work/$1/logs" "$work/$1/temp"; echo "$work/$1"; }
vg=""
stop_all() {
  [[ -n $vg ]] && kill "$vg" 2>/dev/null || true
  [[ -f $work/backend/logs/nginx.pid ]] && kill -QUIT "$(cat "$work/backend/logs/nginx.pid")" || true
  sleep 1
  rm -rf "$work"
}
trap stop_all EXIT

p=$(prefix backend)
template "$here/backend.conf" "$p/conf/nginx.conf" "$p"
nginx -p "$p" -c conf/nginx.conf -e "$p/logs/error.log" -g "pid $p/logs/nginx.pid;"

# measure NAME CONF: prints "<requests> <instructions per request>"
measure() {
  local p out n f ir
  p=$(prefix "$1")
  template "$2" "$p/conf/nginx.conf" "$p"
  valgrind --tool=callgrind --smc-check=all --callgrind-out-file="$p/cg.out" \
    nginx -p "$p" -c conf/nginx.conf -e "$p/logs/error.log" \
    -g "pid $p/logs/nginx.pid; daemon off; master_process off;" > "$p/valgrind.log" 2>&1 &
  vg=$!
  for _ in $(seq 120); do
    curl -fs -o /dev/null -XPOST "http://127.0.0.1:$PORT/v1/chat/handshake" && break
    sleep 0.5
  done
  # warm up (JIT traces, keep-alive connections), then count only the measured run
  wrk -t1 -c8 -d5s -s "$here/handshake.lua" "http://127.0.0.1:$PORT/v1/chat/handshake" > /dev/null
  callgrind_control -z "$vg" > /dev/null 2>&1
  out=$(wrk -t1 -c8 -d"${secs}s" -s "$here/handshake.lua" "http://127.0.0.1:$PORT/v1/chat/handshake")
  callgrind_control -d "$vg" > /dev/null 2>&1
  if grep -q "Non-2xx" <<<"$out"; then echo "$1: non-2xx answers" >&2; exit 1; fi
  n=$(awk '/ requests in /{print $1}' <<<"$out")
  for _ in $(seq 20); do f=$(ls "$p"/cg.out.* 2>/dev/null | head -1); [[ -n $f ]] && break; sleep 0.5; done
  ir=$(awk '/^(summary|totals):/{print $2; exit}' "$f")
  kill "$vg"; wait "$vg" 2>/dev/null || true; vg=""
  echo "$n $((ir / n))"
}
sed -e 's#lua_package_path "\${OPENRESTY}/lua/?.lua;;";#lua_package_path "${OPENRESTY}/lua/?.lua;'"$here"'/?.lua;;";#' \
    -e 's#jdy = require("jdy.edge")#jdy = require("floor")#' "$openresty/nginx.conf" > "$work/floor.conf"
grep -q 'require("floor")' "$work/floor.conf"
grep -q 'service = "stream-gateway",' "$openresty/nginx.conf"
read -r e_n e_ir < <(measure edge "$openresty/nginx.conf")
read -r f_n f_ir < <(measure floor "$work/floor.conf")
read -r p_n p_ir < <(measure plain "$here/plain.conf")
echo "edge: $e_ir instructions/request ($e_n requests); floor: $f_ir ($f_n requests);" \
  "plain: $p_ir ($p_n requests); edge adds $((e_ir - p_ir)) to plain, $((e_ir - f_ir)) to floor"
