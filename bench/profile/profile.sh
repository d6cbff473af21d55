#!/usr/bin/env bash
# CPU profile of the running suite (./jdy up) during one load-generator run: async-profiler
# (cpu-clock samples with kernel frames) attached to the gateways, llm-consumer, the Kafka broker
# and the development LLM; writes .jdy/profile/<service>.collapsed and prints where each one's
# CPU goes (categorize.py). Arguments go to the load generator, e.g.
#   bench/profile/profile.sh --streams=100 --ramp=200 --tokens=40 --ttft-ms=100 --delay-ms=25 --warmup=2
set -euo pipefail
cd "$(dirname "$0")/../.."
run=.jdy/run
out=.jdy/profile
mkdir -p "$out"
lib="$out/libasyncProfiler.so"
if [[ ! -f $lib ]]; then
  mvn -q dependency:copy -Dartifact=tools.profiler:async-profiler:4.1 -DoutputDirectory="$out"
  unzip -o -q -j "$out/async-profiler-4.1.jar" linux-x64/libasyncProfiler.so -d "$out"
fi
lib=$(realpath "$lib")
services=(gw-1 gw-2 llm-consumer kafka dev-llm)
pids=""
for n in gw-1 gw-2 llm-consumer llm-consumer-2 kafka dev-llm edge h2; do
  [[ -f $run/$n.pid ]] && pids+="$n=$(cat "$run/$n.pid"),"
done
# warm-up rounds run before the profiler starts, so that the profile holds the measured run only
warmup=1
args=()
for a in "$@"; do
  case $a in --warmup=*) warmup=${a#--warmup=} ;; *) args+=("$a") ;; esac
done
if ((warmup > 0)); then
  java -XX:TieredStopAtLevel=1 -jar bench/target/bench-*-exec.jar --gateway=http://127.0.0.1:8080 \
    "${args[@]}" --warmup=$((warmup - 1)) >/dev/null
fi
for n in "${services[@]}"; do
  jcmd "$(cat "$run/$n.pid")" JVMTI.agent_load "$lib" '"start,event=cpu,interval=1ms"' >/dev/null
done
java -XX:TieredStopAtLevel=1 -jar bench/target/bench-*-exec.jar --gateway=http://127.0.0.1:8080 \
  --pids="${pids%,}" "${args[@]}" --warmup=0
for n in "${services[@]}"; do
  jcmd "$(cat "$run/$n.pid")" JVMTI.agent_load "$lib" \
    "\"stop,file=$(realpath "$out")/$n.collapsed,collapsed\"" >/dev/null
done
for n in gw-1 gw-2; do python3 bench/profile/categorize.py gateway "$out/$n.collapsed"; done
python3 bench/profile/categorize.py consumer "$out/llm-consumer.collapsed"
python3 bench/profile/categorize.py kafka "$out/kafka.collapsed"
