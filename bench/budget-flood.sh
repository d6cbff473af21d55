#!/usr/bin/env bash
# Floods one gateway, started as ./jdy starts it (-Xmx384m -XX:+ExitOnOutOfMemoryError, C1 only),
# with unread answers at a multiple of its byte budget, and reports whether the budget held:
# handshakes 202 vs 503, the gateway alive (no out-of-memory exit), its heap's and its budget's
# peaks, and a handshake served again once the buffers are released.
#
# It starts its own Kafka broker and gateway on free loopback ports (it does not touch ./jdy up's),
# plays the LLM consumer itself (bench --mode=budget, see BudgetFlood) and stops what it started.
# Build first (no install):
#   mvn -B -o -q -pl kafka-broker,stream-gateway,bench -am -DskipTests package
# Usage: bench/budget-flood.sh [DEMAND (default 2)] [extra gateway --flags...]
#   BUDGET=96MB bench/budget-flood.sh 2     # the budget to flood; default: the gateway's default
#   FLOOD_ARGS="--ramp=25 --burst=16"       # more flags of bench --mode=budget (see BudgetFlood)
#   GW_JAR=/path/to/stream-gateway-exec.jar  # another build of the gateway, to compare
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VERSION=0.1.0-SNAPSHOT
DEMAND=${1:-2}
shift || true
BUDGET=${BUDGET:-}
GW_JAR=${GW_JAR:-$ROOT/stream-gateway/target/stream-gateway-$VERSION-exec.jar}
BENCH_JAR=$ROOT/bench/target/bench-$VERSION-exec.jar
KAFKA_LIB=$ROOT/kafka-broker/target/lib
LOG4J=$ROOT/deploy/log4j2-kafka.yaml
for f in "$GW_JAR" "$BENCH_JAR" "$KAFKA_LIB"; do
  [[ -e $f ]] || { echo "missing $f: build first (see the header)" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/budget-flood.XXXXXX)
PIDS=()
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK/kafka"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for() { # wait_for SECONDS COMMAND...: bounded poll until COMMAND succeeds
  local until=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < until)) || return 1
    sleep 0.5
  done
}

KPORT=$(free_port)
KCPORT=$(free_port)
GPORT=$(free_port)

# --- Kafka: one KRaft node, as deploy/kafka/server.properties, in $WORK
mkdir -p "$WORK/kafka/data"
sed -e "s#\${PORT}#$KPORT#g" -e "s#\${CONTROLLER_PORT}#$KCPORT#g" \
  -e "s#\${DATA_DIR}#$WORK/kafka/data#g" "$ROOT/deploy/kafka/server.properties" \
  >"$WORK/kafka/server.properties"
CLUSTER_ID=$(python3 -c 'import base64,os; print(base64.urlsafe_b64encode(b"\x00"+os.urandom(15)).decode().rstrip("="))')
KAFKA_JVM=(java -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$LOG4J"
  -cp "$KAFKA_LIB/*")
"${KAFKA_JVM[@]}" kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$WORK/kafka/server.properties" \
  >"$WORK/kafka-format.log" 2>&1
"${KAFKA_JVM[@]}" kafka.Kafka "$WORK/kafka/server.properties" >"$WORK/kafka.log" 2>&1 &
PIDS+=($!)
wait_for 60 bash -c "exec 3<>/dev/tcp/127.0.0.1/$KPORT" || { echo "Kafka did not start" >&2; exit 1; }
for topic in chat.jobs chat.replies chat.control; do
  "${KAFKA_JVM[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KPORT" \
    --create --if-not-exists --topic "$topic" --partitions 2 --replication-factor 1 \
    >>"$WORK/topics.log" 2>&1
done

# --- the gateway, with ./jdy's service JVM options, unread streams kept for the run
GW_ARGS=(--server.port="$GPORT" --spring.kafka.bootstrap-servers="127.0.0.1:$KPORT"
  --spring.profiles.active=dev
  --jindouyun.instance.id=gw-flood --jindouyun.metrics.grpc-port=0 --jindouyun.etcd.endpoints=
  --jindouyun.gateway.kafka.reply-partition=0 --jindouyun.gateway.stream.claim-timeout=10m)
if [[ -n $BUDGET ]]; then
  GW_ARGS+=(--jindouyun.gateway.stream.global-byte-budget="$BUDGET")
fi
java -Xmx384m -XX:+ExitOnOutOfMemoryError -XX:TieredStopAtLevel=1 \
  -Xlog:gc:file="$WORK/gateway-gc.log" -jar "$GW_JAR" "${GW_ARGS[@]}" "$@" \
  >"$WORK/gateway.log" 2>&1 &
GW_PID=$!
PIDS+=("$GW_PID")
wait_for 120 curl -fs "http://127.0.0.1:$GPORT/actuator/health/readiness" ||
  { echo "the gateway did not get ready; see $WORK/gateway.log" >&2; exit 1; }
# the budget's limit in bytes: the one set here, or the default in StreamProperties
SETTING=${BUDGET:-$(grep -o '@DefaultValue("[0-9]*[KMG]*B") @NotNull DataSize globalByteBudget' \
  "$ROOT/stream-gateway/src/main/java/io/jindouyun/gateway/config/StreamProperties.java" |
  cut -d'"' -f2)}
LIMIT=$(python3 - "$SETTING" <<'EOF'
import re, sys
n, unit = re.fullmatch(r"(\d+)\s*(B|KB|MB|GB)?", sys.argv[1]).groups()
print(int(n) * {None: 1, "B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}[unit])
EOF
)

echo "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))," \
  "$(free -g | awk '/Mem:/ {print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1)"
echo "gateway pid $GW_PID on $GPORT, -Xmx384m -XX:+ExitOnOutOfMemoryError; Kafka on $KPORT; logs in $WORK"
set +e
# shellcheck disable=SC2086 # FLOOD_ARGS is a list of flags
java -Xmx512m -jar "$BENCH_JAR" --mode=budget --gateway="http://127.0.0.1:$GPORT" \
  --kafka="127.0.0.1:$KPORT" --gateway-pid="$GW_PID" --budget="$LIMIT" --demand="$DEMAND" \
  ${FLOOD_ARGS:-}
FLOOD=$?
set -e

echo
if kill -0 "$GW_PID" 2>/dev/null; then
  echo "gateway: alive"
else
  STATUS=0
  wait "$GW_PID" || STATUS=$?
  echo "gateway: EXITED with status $STATUS (see $WORK/gateway.log)"
  FLOOD=1
fi
echo "OutOfMemoryError lines in the gateway's log: $(grep -c 'OutOfMemoryError' "$WORK/gateway.log" || true)"
# G1's log lines: "[1.2s][info][gc] GC(7) Pause Young (Normal) (G1 Evacuation Pause) 250M->120M(384M) 5.1ms"
python3 - "$WORK/gateway-gc.log" <<'EOF'
import re, sys
n = full = before = after = cap = marked = 0
for line in open(sys.argv[1]):
    m = re.search(r"(\d+)M->(\d+)M\((\d+)M\)", line)
    if not m:
        continue
    n += 1
    full += "Pause Full" in line
    b, a, c = map(int, m.groups())
    before, after, cap = max(before, b), max(after, a), max(cap, c)
    if "Pause Remark" in line or "Pause Full" in line:
        marked = max(marked, a)
print(f"GC: {n} collections, {full} full; heap peak (before a GC) {before} MB, largest heap left"
      f" after a GC {after} MB, after a marking (remark or full GC) {marked} MB, committed up to"
      f" {cap} MB")
EOF
exit "$FLOOD"
