#!/usr/bin/env bash
# Edge benchmark: wrk against the edge's handshake path (openresty/nginx.conf, Lua balancer)
# vs the same nginx with a plain static proxy_pass, both to the same two stand-in gateways.
# Usage: openresty/bench/run.sh [seconds per run] [connections] [rounds]
# Needs nginx-light, libnginx-mod-http-lua, lua-resty-core, lua-cjson, wrk.
set -euo pipefail
secs=${1:-15}
conns=${2:-64}
rounds=${3:-2}
here=$(cd "$(dirname "$0")" && pwd)
openresty=$(dirname "$here")
work=$(mktemp -d /tmp/jdy-edge-bench-XXXXXX)
GW1_PORT=18281 GW2_PORT=18282 IPCONFIG_PORT=18290 EDGE_PORT=18280 PLAIN_PORT=18288
modules="load_module /usr/lib/nginx/modules/ndk_http_module.so; load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;"

template() { # template SRC DEST PREFIX PORT
  sed -e "s#\${LUA_MODULES}#$modules#" -e "s#\${PREFIX}#$3#g" -e "s#\${PORT}#$4#g" \
      -e "s#\${OPENRESTY}#$openresty#g" -e "s#\${IPCONFIG_URL}#http://127.0.0.1:$IPCONFIG_PORT#g" \
      -e "s#\${GATEWAYS}#gw-1=127.0.0.1:$GW1_PORT gw-2=127.0.0.1:$GW2_PORT#g" \
      -e "s#\${GW1_PORT}#$GW1_PORT#g" -e "s#\${GW2_PORT}#$GW2_PORT#g" \
      -e "s#\${IPCONFIG_PORT}#$IPCONFIG_PORT#g" \
      -e "s#access_log [^;]*;#access_log off;#" "$1" > "$2"
}
start() { # start NAME SRC PORT
  local prefix="$work/$1"
  mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/temp"
  template "$2" "$prefix/conf/nginx.conf" "$prefix" "$3"
  nginx -p "$prefix" -c conf/nginx.conf -e "$prefix/logs/error.log" -g "pid $prefix/logs/nginx.pid;"
}
stop_all() {
  for pid in "$work"/*/logs/nginx.pid; do [[ -f $pid ]] && kill -QUIT "$(cat "$pid")" || true; done
  sleep 1
  rm -rf "$work"
}
trap stop_all EXIT

start backend "$here/backend.conf" 0
start edge "$openresty/nginx.conf" "$EDGE_PORT"
start plain "$here/plain.conf" "$PLAIN_PORT"
sleep 2
curl -fsS -XPOST "http://127.0.0.1:$EDGE_PORT/v1/chat/handshake" >/dev/null
curl -fsS "http://127.0.0.1:$EDGE_PORT/_edge/status" | grep -q '"source":"ipconfig"'

# cpu_ticks NAME: user+system clock ticks of that nginx's worker processes so far
cpu_ticks() {
  local master total=0 pid
  master=$(cat "$work/$1/logs/nginx.pid")
  for pid in $(pgrep -P "$master"); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
# run NAME PORT -> "<req/s> <us of nginx worker CPU per request>"
run() {
  local before after out
  before=$(cpu_ticks "$1")
  out=$(wrk -t2 -c"$conns" -d"${secs}s" -s "$here/handshake.lua" "http://127.0.0.1:$2/v1/chat/handshake")
  after=$(cpu_ticks "$1")
  if grep -q "Non-2xx" <<<"$out"; then echo "$1: non-2xx answers" >&2; exit 1; fi
  awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
    / requests in / {n = $1}
    /Requests\/sec/ {rps = $2}
    END {printf "%.0f %.1f\n", rps, ticks / hz * 1e6 / n}' <<<"$out"
}
for round in $(seq "$rounds"); do
  read -r e_rps e_cpu < <(run edge "$EDGE_PORT")
  read -r p_rps p_cpu < <(run plain "$PLAIN_PORT")
  echo "round $round: edge $e_rps req/s ($e_cpu us CPU/req), plain $p_rps req/s ($p_cpu us CPU/req)," \
    "req/s ratio $(awk -v e="$e_rps" -v p="$p_rps" 'BEGIN {printf "%.3f", e / p}')," \
    "CPU ratio plain/edge $(awk -v e="$e_cpu" -v p="$p_cpu" 'BEGIN {printf "%.3f", p / e}')"
done
