#!/usr/bin/env bash
# Chaos bench: chats through the edge at a steady rate (the bench's --mode=chaos) while this
# script kills (SIGKILL, the whole process group) and restarts, in turn, with recovery time
# between: gw-1, llm-consumer (the first of the two), the Kafka broker, etcd and ipconfig. Each
# chat is written with its start time and outcome (exact, lost, duplicated, garbled, failed
# handshake) and TTFT; each fault with its kill time and the time its component was healthy again
# (./jdy start NAME). The report splits the chats by fault window (from --lead-ms before the kill
# to --settle-ms after healthy) into results/<time>/report.{md,json} (chats.jsonl, faults.txt too).
#
# Usage: bench/chaos/run.sh [--chats=2000] [--rate=4] [--baseline-s=20] [--down-s=5]
#                           [--recover-s=20] [--faults="gw-1 llm-consumer kafka etcd ipconfig"]
#                           [--keep-up] [--stop-after-faults] [--resolve=CMD] [--out=DIR]
#                           [--name=value ...]
#   (other --name=value are passed to the load generator, e.g. --tokens=40 --delay-ms=25,
#    --lead-ms=3000 --settle-ms=5000 --after-ms=0 to the report; --resolve=CMD: just before each
#    kill, `CMD FAULT` prints the component to kill, e.g. the current leader; faults.txt says
#    FAULT=COMPONENT)
# The faults start --baseline-s after the first chat; the load runs all --chats (at --rate/s:
# 2000 at 4/s last 500 s, the faults about 350 s here) unless --stop-after-faults. The suite is
# started (./jdy up, two gateways and two llm-consumers) unless it is up; on exit (Ctrl-C too)
# the load is stopped, every killed component that is down is started again, and the suite is
# stopped (./jdy down --keep-logs) if this script started it and --keep-up was not given.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
chats=2000 rate=4 baseline_s=20 down_s=5 recover_s=20 keep_up=0 stop_after_faults=0 out="" resolve=""
faults="gw-1 llm-consumer kafka etcd ipconfig"
load_args=() report_args=()
while (($# > 0)); do
  case $1 in
  --chats=*) chats=${1#*=} ;;
  --rate=*) rate=${1#*=} ;;
  --baseline-s=*) baseline_s=${1#*=} ;;
  --down-s=*) down_s=${1#*=} ;;
  --recover-s=*) recover_s=${1#*=} ;;
  --faults=*) faults=${1#*=} ;;
  --keep-up) keep_up=1 ;;
  --stop-after-faults) stop_after_faults=1 ;;
  --out=*) out=${1#*=} ;;
  --resolve=*) resolve=${1#*=} ;;
  --lead-ms=* | --settle-ms=* | --after-ms=*) report_args+=("$1") ;;
  --*=*) load_args+=("$1") ;;
  -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "run.sh: unknown argument: $1 (--help)" >&2; exit 2 ;;
  esac
  shift
done
out=${out:-$here/results/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
say() { printf 'chaos bench %s: %s\n' "$(date -u +%T)" "$*"; }
now_ms() { date +%s%3N; }

work=$(mktemp -d -t jdy-chaos-XXXXXX)
own_suite=0 load_pid="" killed=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $load_pid ]] && kill -0 "$load_pid" 2>/dev/null; then
    kill -TERM "$load_pid" 2>/dev/null || true
    wait "$load_pid" 2>/dev/null || true
  fi
  local name
  for name in $( ((own_suite && !keep_up)) || echo "$killed"); do # a fault left down comes back
    if ! (cd "$root" && { ./jdy status 2>/dev/null || true; } | awk -v n="$name" '$1 == n && $NF == "up" {found=1} END {exit !found}'); then
      say "restoring $name"
      (cd "$root" && ./jdy start "$name") || rc=1
    fi
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

cd "$root"
if ./jdy status >/dev/null 2>&1; then
  say "the suite is up: using it as it is"
else
  if compgen -G ".jdy/run/*.pid" >/dev/null; then
    echo "run.sh: part of the suite is running (./jdy status); ./jdy down first" >&2
    exit 1
  fi
  own_suite=1
  say "starting the suite: ./jdy up"
  ./jdy up
fi
jar=$root/bench/target/bench-0.1.0-SNAPSHOT-exec.jar
if [[ ! -f $jar || -n $(find "$root/bench/src/main" -newer "$jar" -type f -print -quit) ]]; then
  say "building the load generator (mvn -B -q package -pl bench -am)"
  mvn -B -q -DskipTests -Dspotless.check.skip=true package -pl bench -am >"$work/build.log" 2>&1 ||
    { tail -n 30 "$work/build.log" >&2; exit 1; }
fi

# (./jdy status exits 3 while a component is down)
# kill_group NAME: SIGKILL to the component's process group (jdy starts each in its own session),
# then a bounded wait until its port is free
kill_group() {
  local pid port
  pid=$(cat ".jdy/run/$1.pid")
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
  port=$({ ./jdy status || true; } | awk -v n="$1" '$1 == n {split($2, p, "/"); print p[1]}')
  for _ in $(seq 100); do
    [[ -n $port ]] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || return 0
    sleep 0.1
  done
}

printf '# fault kill-ms healthy-ms\n' >"$out/faults.txt"
say "load: ${chats} chats at ${rate}/s through the edge (log: $out/load.log)"
java -Xmx512m -jar "$jar" --mode=chaos --door=http://127.0.0.1:8080 --chats="$chats" --rate="$rate" \
  --out="$out/chats.jsonl" --ready-file="$work/ready" --stop-file="$work/stop" "${load_args[@]}" \
  >"$out/load.log" 2>&1 &
load_pid=$!
for _ in $(seq 600); do # the load generator's JVM start and the expected answers: at most 60 s
  [[ -f $work/ready ]] && break
  kill -0 "$load_pid" 2>/dev/null || { tail -n 20 "$out/load.log" >&2; exit 1; }
  sleep 0.1
done
[[ -f $work/ready ]] || { echo "run.sh: the load generator did not start chats in 60 s" >&2; exit 1; }
sleep "$baseline_s"
for fault in $faults; do
  kill -0 "$load_pid" 2>/dev/null || { say "the load ended before the fault $fault"; break; }
  name=$fault label=$fault
  if [[ -n $resolve ]]; then
    name=$($resolve "$fault") || { say "could not resolve $fault"; exit 1; }
    [[ $name == "$fault" ]] || label=$fault=$name
  fi
  say "SIGKILL $name${resolve:+ ($fault)}"
  killed+=" $name"
  start=$(now_ms)
  kill_group "$name"
  sleep "$down_s"
  say "starting $name"
  ./jdy start "$name" || say "$name did not become healthy in time (./jdy logs $name)"
  healthy=$(now_ms)
  printf '%s %s %s\n' "$label" "$start" "$healthy" >>"$out/faults.txt"
  say "$name healthy after $(((healthy - start) / 1000)) s; recovering for ${recover_s} s"
  sleep "$recover_s"
done
if ((stop_after_faults)); then
  touch "$work/stop"
fi
say "faults done; waiting for the load to end (all its chats, or --stop-after-faults)"
wait "$load_pid" || { tail -n 20 "$out/load.log" >&2; exit 1; }
load_pid=""
java -jar "$jar" --mode=chaos-report --chats-file="$out/chats.jsonl" --faults="$out/faults.txt" \
  --out-dir="$out" "${report_args[@]}" | tee "$out/report.txt"
say "results in $out"
