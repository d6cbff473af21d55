#!/usr/bin/env bash
# Faults of the routing bench on one gateway (the victim), run by the load generator at a
# round's fault start and end (bench/routing/run.sh sets the environment):
#   fault.sh start SCENARIO GATEWAY   quota: its process in a cgroup v1 cpu group of 10% of a core
#                                     stop:  SIGSTOP for 400 ms every 2 s (a background loop)
#                                     hog:   its process and a busy loop in a group of 50% of a core
#   fault.sh stop SCENARIO GATEWAY    ends that fault (back to its own cgroup, SIGCONT, no hog)
#   fault.sh restore                  ends whatever is left (idempotent; run.sh's exit trap)
# Environment: JDY_RUN (jdy's pid files, .jdy/run), FAULT_STATE (a folder for this run's state),
# FAULT_GROUP (the cgroup's name under /sys/fs/cgroup/cpu), QUOTA_PCT (10), HOG_QUOTA_PCT (50),
# STOP_MS (400), STOP_EVERY_MS (2000).
set -euo pipefail
readonly CPU_ROOT=/sys/fs/cgroup/cpu
readonly PERIOD_US=100000
state=${FAULT_STATE:?FAULT_STATE is not set}
group=$CPU_ROOT/${FAULT_GROUP:?FAULT_GROUP is not set}
mkdir -p "$state"

pid_of() { # pid_of GATEWAY: the pid jdy recorded
  local file=${JDY_RUN:?JDY_RUN is not set}/$1.pid
  [[ -s $file ]] || { echo "fault.sh: no pid file $file" >&2; exit 1; }
  cat "$file"
}

# origin PID: the cpu cgroup the process is in now ("/" at the root)
origin() { awk -F: '$2 ~ /(^|,)cpu(,|$)/ {print $3; exit}' "/proc/$1/cgroup"; }

# into_group PID QUOTA_PCT: the process (all its threads) into the bench's cpu group with that quota
into_group() {
  [[ -w $CPU_ROOT/cgroup.procs ]] || { echo "fault.sh: $CPU_ROOT is not writable (cgroup v1 cpu, as root)" >&2; exit 1; }
  mkdir -p "$group"
  echo "$PERIOD_US" >"$group/cpu.cfs_period_us"
  echo $((PERIOD_US * $2 / 100)) >"$group/cpu.cfs_quota_us"
  [[ -s $state/origin.$1 ]] || origin "$1" >"$state/origin.$1"
  echo "$1" >"$group/cgroup.procs"
}

# out_of_group: every process in the group back where it came from (the root when unknown); the
# group removed
out_of_group() {
  [[ -d $group ]] || return 0
  local pid from
  while read -r pid; do
    from=$(cat "$state/origin.$pid" 2>/dev/null || echo /)
    echo "$pid" >"$CPU_ROOT${from%/}/cgroup.procs" 2>/dev/null || echo "$pid" >"$CPU_ROOT/cgroup.procs" || true
    rm -f "$state/origin.$pid"
  done < <(cat "$group/cgroup.procs" 2>/dev/null)
  rmdir "$group" 2>/dev/null || { echo "fault.sh: could not remove $group" >&2; return 1; }
}

# gone PID: no such process, or only its zombie (nobody may reap an orphan in a container)
gone() { ! kill -0 "$1" 2>/dev/null || [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == Z ]]; }

# end_pid FILE SIGNAL: signals the process named in FILE and waits (bounded) until it is gone
end_pid() {
  [[ -s $1 ]] || return 0
  local pid
  pid=$(cat "$1")
  kill "-$2" "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    gone "$pid" && break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$1"
}

stop_bursts() {
  end_pid "$state/bursts.pid" TERM
  if [[ -s $state/stopped.pid ]]; then
    kill -CONT "$(cat "$state/stopped.pid")" 2>/dev/null || true
    rm -f "$state/stopped.pid"
  fi
}

start_bursts() { # start_bursts PID: SIGSTOP for STOP_MS every STOP_EVERY_MS until TERM
  local pid=$1 stop_s rest_s
  stop_s=$(awk -v ms="${STOP_MS:-400}" 'BEGIN {printf "%.3f", ms / 1000}')
  rest_s=$(awk -v ms="${STOP_MS:-400}" -v every="${STOP_EVERY_MS:-2000}" 'BEGIN {printf "%.3f", (every - ms) / 1000}')
  echo "$pid" >"$state/stopped.pid"
  # shellcheck disable=SC2016 # expanded by the inner bash
  setsid bash -c 'trap "kill -CONT $1; exit 0" TERM
    while :; do kill -STOP "$1"; sleep "$2"; kill -CONT "$1"; sleep "$3"; done' \
    bursts "$pid" "$stop_s" "$rest_s" </dev/null >/dev/null 2>&1 &
  echo $! >"$state/bursts.pid"
}

start_hog() { # a busy loop in the group
  setsid bash -c 'while :; do :; done' </dev/null >/dev/null 2>&1 &
  local hog=$!
  echo "$hog" >"$state/hog.pid"
  echo / >"$state/origin.$hog"
  echo "$hog" >"$group/cgroup.procs"
}

case ${1:-} in
start)
  pid=$(pid_of "${3:?gateway missing}")
  case ${2:-} in
  quota) into_group "$pid" "${QUOTA_PCT:-10}" ;;
  stop) start_bursts "$pid" ;;
  hog)
    into_group "$pid" "${HOG_QUOTA_PCT:-50}"
    start_hog
    ;;
  *) echo "fault.sh: unknown scenario: ${2:-}" >&2; exit 2 ;;
  esac
  ;;
stop)
  case ${2:-} in
  quota) out_of_group ;;
  stop) stop_bursts ;;
  hog)
    end_pid "$state/hog.pid" KILL
    out_of_group
    ;;
  *) echo "fault.sh: unknown scenario: ${2:-}" >&2; exit 2 ;;
  esac
  ;;
restore)
  stop_bursts
  end_pid "$state/hog.pid" KILL
  out_of_group
  ;;
*)
  echo "usage: fault.sh start|stop quota|stop|hog GATEWAY | fault.sh restore" >&2
  exit 2
  ;;
esac
