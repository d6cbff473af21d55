#!/usr/bin/env bash
# Edge benchmark: wrk against the edge's handshake path (openresty/nginx.conf, Lua balancer and
# log phase) vs the same nginx with a plain static proxy_pass, both to the same two stand-in
# gateways; plus "floor": the edge's nginx.conf whose balancer only sets the peer and whose log
# phase does nothing (bench/floor.lua) -- the fixed cost of the two Lua entries the design needs.
# Each round runs every configuration once, in an order that rotates from round to round; the
# ratios are per round (edge or floor req/s over plain req/s of the same round), summarised as
# median and quartiles at the end, because single rounds on a shared 2-core machine spread widely.
# Usage: openresty/bench/run.sh [seconds per run] [connections] [rounds]
# CANDIDATE=<a changed copy of openresty/> adds a fourth configuration, "candidate": that copy's
# nginx.conf and Lua (an A/B of a change to the edge against the edge, floor and plain of the same
# rounds).
# Needs nginx-light, libnginx-mod-http-lua, lua-resty-core, lua-cjson, wrk.
set -euo pipefail
secs=${1:-5}
conns=${2:-64}
rounds=${3:-12}
here=$(cd "$(dirname "$0")" && pwd)
openresty=$(dirname "$here")
candidate=${CANDIDATE:-}
work=$(mktemp -d -t jdy-edge-bench-XXXXXX)
GW1_PORT=18281 GW2_PORT=18282 IPCONFIG_PORT=18290
declare -A port=([backend]=0 [edge]=18280 [floor]=18284 [plain]=18288 [candidate]=18286)
modules="load_module /usr/lib/nginx/modules/ndk_http_module.so; load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;"

template() { # template SRC DEST PREFIX PORT [OPENRESTY]
  sed -e "s#\${LUA_MODULES}#$modules#" -e "s#\${PREFIX}#$3#g" -e "s#\${PORT}#$4#g" \
      -e "s#\${OPENRESTY}#${5:-$openresty}#g" -e "s#\${IPCONFIG_URL}#http://127.0.0.1:$IPCONFIG_PORT#g" \
      -e "s#\${GATEWAYS}#gw-1=127.0.0.1:$GW1_PORT gw-2=127.0.0.1:$GW2_PORT#g" \
      -e "s#\${GW1_PORT}#$GW1_PORT#g" -e "s#\${GW2_PORT}#$GW2_PORT#g" \
      -e "s#\${IPCONFIG_PORT}#$IPCONFIG_PORT#g" \
      -e "s#access_log [^;]*;#access_log off;#" "$1" > "$2"
}
start() { # start NAME SRC [OPENRESTY]
  local prefix="$work/$1"
  mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/temp"
  template "$2" "$prefix/conf/nginx.conf" "$prefix" "${port[$1]}" "${3:-}"
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
names=(edge floor plain)
if [[ -n $candidate ]]; then
  start candidate "$candidate/nginx.conf" "$(cd "$candidate" && pwd)"
  names+=(candidate)
fi
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
for name in "${names[@]}"; do run "$name" 2 >/dev/null; done   # warm-up: JIT traces, keep-alive
declare -A rps cpu
summary=$(mktemp)
others=()   # every configuration but plain, each compared with plain
for name in "${names[@]}"; do [[ $name == plain ]] || others+=("$name"); done
count=${#names[@]}
for round in $(seq "$rounds"); do
  for k in $(seq 0 $((count - 1))); do
    name=${names[$(((round + k) % count))]}
    read -r "rps[$name]" "cpu[$name]" < <(run "$name" "$secs")
  done
  line="round $round:" ratios=""
  for name in "${names[@]}"; do line+=" $name ${rps[$name]} req/s ${cpu[$name]} us CPU/req;"; done
  for name in "${others[@]}"; do
    ratios+=" $(awk -v a="${rps[$name]}" -v b="${rps[plain]}" 'BEGIN {printf "%.3f", a / b}')"
  done
  echo "$line ratios to plain (${others[*]}):$ratios"
  echo "$ratios" >> "$summary"
done
# quartiles COLUMN -> "median (q1-q3, min-max)"
quartiles() {
  sort -n <(awk -v c="$1" '{print $c}' "$summary") | awk '
    {v[NR] = $1}
    function q(p,  i) {i = 1 + p * (NR - 1); return v[int(i)] + (i - int(i)) * (v[int(i) + 1] - v[int(i)])}
    END {printf "median %.3f (quartiles %.3f-%.3f, range %.3f-%.3f, %d rounds)", q(0.5), q(0.25), q(0.75), v[1], v[NR], NR}'
}
for i in "${!others[@]}"; do
  echo "${others[$i]}/plain req/s: $(quartiles $((i + 1)))"
done
rm -f "$summary"
