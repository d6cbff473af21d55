#!/usr/bin/env bash
# HA bench: the suite with three etcd members and three Kafka brokers (./jdy up --ha) under steady
# chats through the edge, while bench/chaos/run.sh SIGKILLs, in turn, the Kafka broker that is the
# active KRaft controller (it leads a third of the partitions too) and the etcd leader, each found
# just before its kill (leader.sh), keeps it down --down-s, starts it again (./jdy start NAME) and
# lets the suite recover --recover-s. The report (bench/chaos/results/<UTC time>/report.md) gives,
# per fault, the chats by outcome (lost must be 0), when handshakes failed relative to the kill,
# and TTFT p99 during the fault's window and in the --after-ms after it. The first fault comes
# --baseline-s after the first chat: right after ./jdy up the JVMs are young and TTFT runs to
# seconds for ~20 s.
#
# Usage: bench/ha/run.sh [--rate=4] [--baseline-s=45] [--down-s=15] [--recover-s=40]
#                        [--after-ms=30000] [--keep-up] [any bench/chaos/run.sh option]
# The suite is started (./jdy up --ha) unless it is up with --ha, and stopped (./jdy down
# --keep-logs) afterwards if this script started it and --keep-up was not given.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
keep_up=0
args=(--rate=4 --baseline-s=45 --down-s=15 --recover-s=40 --after-ms=30000)
for arg in "$@"; do
  case $arg in
  -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  --keep-up) keep_up=1 ;;
  *) args+=("$arg") ;; # later options win
  esac
done
say() { printf 'ha bench %s: %s\n' "$(date -u +%T)" "$*"; }

cd "$root"
own_suite=0
if ./jdy status >/dev/null 2>&1; then
  read -r _ _ ha <.jdy/topology || true
  [[ ${ha:-0} == 1 ]] || { echo "run.sh: the suite is up without --ha: ./jdy down first" >&2; exit 1; }
  say "the suite is up with --ha: using it as it is"
else
  if compgen -G ".jdy/run/*.pid" >/dev/null; then
    echo "run.sh: part of the suite is running (./jdy status); ./jdy down first" >&2
    exit 1
  fi
  own_suite=1
  say "starting the suite: ./jdy up --ha"
  ./jdy up --ha
fi
rc=0
"$here/../chaos/run.sh" --keep-up --stop-after-faults --faults="kafka-leader etcd-leader" \
  --resolve="$here/leader.sh" "${args[@]}" || rc=$?
if ((own_suite && !keep_up)); then
  ./jdy down --keep-logs || rc=1
fi
exit "$rc"
