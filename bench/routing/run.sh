#!/usr/bin/env bash
# Routing bench: open-loop chats through several front doors in front of the SAME gateways while
# one gateway is made sick. Starts the suite with four gateways (./jdy up --gateways 4) unless it
# is already up with them, starts the front doors on their own ports, measures the healthy
# fleet's capacity through round robin, then runs the rounds (load x scenario x front door, the
# doors' order rotating from round to round) and writes results.{json,csv,md}.
#
# Front doors (the same nginx binary and worker count for all):
#   rr         plain nginx proxy_pass, round robin          (bench/routing/plain.conf)
#   lc         plain nginx proxy_pass, least_conn            (bench/routing/plain.conf)
#   edge       the Jindouyun edge as shipped                 (openresty/nginx.conf and lua/)
#   candidate  a changed copy of openresty/ (--candidate DIR or CANDIDATE=DIR): an A/B of the edge
# Stream, ack and cancel go to the gateway named in the stream id in every door.
#
# Scenarios on the victim (the last gateway): none; quota (cgroup v1 cpu quota, 10% of a core);
# stop (SIGSTOP 400 ms every 2 s); hog (its process and a busy loop sharing a 50% quota).
#
# Usage: bench/routing/run.sh [--quick] [--candidate DIR] [--gateways N] [--keep-up] [--out DIR]
#                             [--name=value ...]   (passed to the load generator, e.g.
#                             --capacity=40 to skip measuring it, --loads=0.8, --scenarios=none,stop)
# Needs root (cgroup v1 cpu at /sys/fs/cgroup/cpu), nginx-light, libnginx-mod-http-lua,
# lua-resty-core, lua-cjson, curl, java; ./jdy up installs what it needs. Everything it starts,
# and every fault, is undone on exit (Ctrl-C too); the suite is stopped (./jdy down --keep-logs)
# unless it was already up or --keep-up is given.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
quick=0 keep_up=0 gateways=4 candidate=${CANDIDATE:-} out=""
passthrough=()
while (($# > 0)); do
  case $1 in
  --quick) quick=1 ;;
  --keep-up) keep_up=1 ;;
  --candidate) candidate=${2:?--candidate needs a folder}; shift ;;
  --candidate=*) candidate=${1#*=} ;;
  --gateways) gateways=${2:?--gateways needs a number}; shift ;;
  --gateways=*) gateways=${1#*=} ;;
  --out) out=${2:?--out needs a folder}; shift ;;
  --out=*) out=${1#*=} ;;
  --*=*) passthrough+=("$1") ;;
  -h | --help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "run.sh: unknown argument: $1 (--help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $gateways =~ ^[2-8]$ ]] || { echo "run.sh: --gateways must be 2..8" >&2; exit 2; }
out=${out:-$here/results/$(date -u +%Y%m%dT%H%M%SZ)}
victim=gw-$gateways
declare -A port=([rr]=18480 [lc]=18481 [edge]=18482 [candidate]=18483)
doors=(rr lc edge)
if [[ -n $candidate ]]; then
  candidate=$(cd "$candidate" && pwd)
  [[ -f $candidate/nginx.conf ]] || { echo "run.sh: no nginx.conf in $candidate" >&2; exit 2; }
  doors+=(candidate)
fi
say() { printf 'routing bench: %s\n' "$*"; }

work=$(mktemp -d -t jdy-routebench-XXXXXX)
export JDY_RUN=$root/.jdy/run FAULT_STATE=$work/fault FAULT_GROUP=jdy-routebench-$$
own_suite=0 load_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $load_pid ]] && kill -0 "$load_pid" 2>/dev/null; then # the load first: no new fault
    kill -TERM "$load_pid" 2>/dev/null || true
    wait "$load_pid" 2>/dev/null || true
  fi
  "$here/fault.sh" restore || rc=1
  local pidfile pid
  for pidfile in "$work"/*/logs/nginx.pid; do
    [[ -s $pidfile ]] || continue
    pid=$(cat "$pidfile")
    kill -QUIT "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if ((own_suite && !keep_up)); then
    (cd "$root" && ./jdy down --keep-logs) || rc=1
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. the suite with the gateways (reused when it is up with them)
gateway_list=() owners="" servers=""
for ((i = 1; i <= gateways; i++)); do
  gateway_list+=("gw-$i")
  servers+="server 127.0.0.1:$((8080 + i));"$'\n'"        "
  owners+="upstream gw-$i { server 127.0.0.1:$((8080 + i)); keepalive 64; keepalive_timeout 60s; }"$'\n'"    "
done
cd "$root"
if ./jdy status >/dev/null 2>&1 && [[ -s .jdy/run/$victim.pid ]]; then
  say "the suite is up with $victim: using it as it is"
else
  if compgen -G ".jdy/run/*.pid" >/dev/null; then
    echo "run.sh: part of the suite is running (./jdy status); ./jdy down first, or up with --gateways $gateways" >&2
    exit 1
  fi
  own_suite=1
  say "starting the suite: ./jdy up --gateways $gateways"
  ./jdy up --gateways "$gateways"
fi
jar=$root/bench/target/bench-0.1.0-SNAPSHOT-exec.jar
if [[ ! -f $jar || -n $(find "$root/bench/src/main" -newer "$jar" -type f -print -quit) ]]; then
  say "building the load generator (mvn -B -q package -pl bench -am)"
  mvn -B -q -DskipTests -Dspotless.check.skip=true package -pl bench -am >"$work/build.log" 2>&1 ||
    { tail -n 30 "$work/build.log" >&2; exit 1; }
fi

# 2. the front doors
modules=""
for module in /usr/lib/nginx/modules/ndk_http_module.so /usr/lib/nginx/modules/ngx_http_lua_module.so; do
  [[ -f $module ]] && modules+="load_module $module; "
done
fill() { # fill TEMPLATE DEST PREFIX PORT [OPENRESTY]: the placeholders of plain.conf and nginx.conf
  local text key
  text=$(cat "$1")
  local -A values=([PREFIX]=$3 [PORT]=$4 [LUA_MODULES]=$modules [OPENRESTY]=${5:-}
    [IPCONFIG]=127.0.0.1:8090 [IPCONFIG_URL]=http://127.0.0.1:8090 [SERVERS]=$servers
    [OWNERS]=$owners [BALANCE]=${BALANCE:-}
    [GATEWAYS]=$(for g in "${gateway_list[@]}"; do printf '%s=127.0.0.1:%d ' "$g" $((8080 + ${g#gw-})); done)
    [STATIC_GATEWAYS]=$(IFS=,; for g in "${gateway_list[@]}"; do printf '%s=127.0.0.1:%d,' "$g" $((8080 + ${g#gw-})); done))
  values[GATEWAYS]=${values[GATEWAYS]% } values[STATIC_GATEWAYS]=${values[STATIC_GATEWAYS]%,}
  for key in "${!values[@]}"; do text=${text//"\${$key}"/${values[$key]}}; done
  if grep -qE '\$\{[A-Z0-9_]+\}' <<<"$text"; then
    echo "run.sh: $1 has placeholders this script does not know: $(grep -oE '\$\{[A-Z0-9_]+\}' <<<"$text" | sort -u | tr '\n' ' ')" >&2
    exit 1
  fi
  printf '%s\n' "$text" >"$2"
}
start_door() { # start_door NAME TEMPLATE [OPENRESTY]
  local prefix=$work/$1
  mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/temp"
  fill "$2" "$prefix/conf/nginx.conf" "$prefix" "${port[$1]}" "${3:-}"
  if (exec 3<>"/dev/tcp/127.0.0.1/${port[$1]}") 2>/dev/null; then
    echo "run.sh: port ${port[$1]} (door $1) is taken" >&2
    exit 1
  fi
  nginx -p "$prefix" -c conf/nginx.conf -e "$prefix/logs/error.log" -g "pid $prefix/logs/nginx.pid;"
}
BALANCE="" start_door rr "$here/plain.conf"
BALANCE="least_conn;" start_door lc "$here/plain.conf"
start_door edge "$root/openresty/nginx.conf" "$root/openresty"
if [[ -n $candidate ]]; then start_door candidate "$candidate/nginx.conf" "$candidate"; fi

# every door answers, and the edges have ipconfig's list with every gateway
say "waiting for ipconfig to list $gateways gateways and the doors to answer"
deadline=$((SECONDS + 90))
for door in "${doors[@]}"; do
  until code=$(curl -s -o /dev/null -w '%{http_code}' -XPOST "http://127.0.0.1:${port[$door]}/v1/chat/handshake") &&
    [[ $code == 401 ]]; do
    ((SECONDS < deadline)) || { echo "run.sh: door $door answers $code, not 401 (see $work/$door/logs)" >&2; exit 1; }
    sleep 0.5
  done
  if [[ $door == edge || $door == candidate ]]; then
    until status=$(curl -s "http://127.0.0.1:${port[$door]}/_edge/status") &&
      [[ $status == *'"source":"ipconfig"'* && $status == *"\"$victim\""* ]]; do
      ((SECONDS < deadline)) || { echo "run.sh: door $door has no ipconfig list with $victim: $status" >&2; exit 1; }
      sleep 0.5
    done
  fi
done

# 3. the load, rounds and report
args=(--mode=routing --out="$out" --victim="$victim" --fault-hook="$here/fault.sh"
  --gateways="$(IFS=,; echo "${gateway_list[*]}")"
  --doors="$(for d in "${doors[@]}"; do printf '%s=http://127.0.0.1:%d,' "$d" "${port[$d]}"; done)")
if ((quick)); then
  args+=(--loads=0.8 --warmup-s=4 --capacity-trial-s=4 --capacity-bisections=1 --warm-s=2
    --fault-s=6 --recovery-s=8 --hold-ms=2000)
fi
say "doors: ${doors[*]}; victim $victim; results in $out"
# in the background, so that a signal reaches this script's trap at once (bash runs a trap only
# after the foreground command ends)
java -Xmx1g -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$jar" "${args[@]}" "${passthrough[@]}" &
load_pid=$!
wait "$load_pid"
