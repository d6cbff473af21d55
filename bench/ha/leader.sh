#!/usr/bin/env bash
# leader.sh kafka-leader|etcd-leader: prints the ./jdy component that leads now, in the suite of
# ./jdy up --ha. kafka-leader: the active KRaft controller (MetadataQuorumCommand), which also leads
# a share of every topic's partitions (their count goes to stderr); etcd-leader: the member the
# maintenance status API names as the leader (etcdctl endpoint status). Anything else is printed
# as it is (a component name).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kafka_tool() {
  java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$root/deploy/log4j2-kafka.yaml" -cp "$root/kafka-broker/target/lib/*" "$@"
}
brokers=127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096
case $1 in
kafka-leader)
  id=$(kafka_tool org.apache.kafka.tools.MetadataQuorumCommand --bootstrap-server "$brokers" \
    describe --status | awk -F: '$1 == "LeaderId" {gsub(/ /, "", $2); print $2}')
  [[ $id =~ ^[1-3]$ ]] || { echo "leader.sh: no KRaft leader found" >&2; exit 1; }
  led=$(kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$brokers" --describe \
    --topic 'chat\..*' | grep -c "Leader: $id\b" || true)
  echo "leader.sh: broker $id is the active controller and leads $led chat.* partitions" >&2
  if ((id == 1)); then echo kafka; else echo "kafka-$id"; fi
  ;;
etcd-leader)
  endpoints=http://127.0.0.1:2379,http://127.0.0.1:2381,http://127.0.0.1:2383
  # a member that is down is left out of the answer (and the exit status is not 0)
  port=$({ ETCDCTL_API=3 etcdctl --endpoints="$endpoints" --command-timeout=3s endpoint status \
    -w json 2>/dev/null || true; } | jq -r '.[] | select(.Status.header.member_id == .Status.leader) | .Endpoint' |
    head -n 1 | sed 's/.*://')
  case $port in
  2379) echo etcd ;;
  2381) echo etcd-2 ;;
  2383) echo etcd-3 ;;
  *) echo "leader.sh: no etcd leader found" >&2; exit 1 ;;
  esac
  ;;
*) echo "$1" ;;
esac
