#!/usr/bin/env python3
"""Splits an async-profiler collapsed-stack file into the pipeline's cost centres.

Usage: categorize.py gateway|consumer|kafka FILE.collapsed
Each sample goes to the first category whose pattern matches anywhere in its stack; prints a
Markdown table of shares of the process's CPU samples.
"""
import collections
import re
import sys

JIT = ("JIT compiler", r"CompileBroker|Compiler::compile|C2Compiler|CompilationPolicy")
GC = ("GC", r"G1|ZGC|ZThread|ZDriver|ZWorker|GCTask|WorkerThread::run|ConcurrentGC|GenCollect")
UNRESOLVED = ("unresolved Java frames", r"unknown_Java|not_walkable")
WAIT = ("epoll wait, park and unpark", r"epoll_wait|EPoll.wait|futex|getTask")
METRICS = ("metrics: gRPC Watch and Prometheus scrape", r"MetricsGrpcService|PrometheusScrapeEndpoint|io/grpc")
CATEGORIES = {
    "gateway": [
        ("HTTP requests: handshake, stream open, ack (WebFlux, Security, JSON, observations)",
         r"HttpServerOperations.onInboundNext|HttpServerOperations.handleDefaultHttpRequest"
         r"|MonoPublishOn\$PublishOnSubscriber.run|HttpServerOperations.onOutboundComplete"),
        ("reply reader: Kafka fetch of chunks", r"ReplyReader.loop.*KafkaConsumer.poll"),
        ("reply reader: decode and apply to the stream map", r"ReplyReader.loop"),
        ("SSE readers: drain, encode, write", r"FluxPublishOn\$PublishOnSubscriber.run"),
        ("Kafka producer (jobs, cancels)", r"producer/internals/Sender.run|KafkaProducer.send"),
        ("socket reads and writes outside the above", r"epollInReady|AbstractChannelHandlerContext.*flush|writev"),
        METRICS,
        ("timers (wheel, pings, subscribeOn)", r"HashedWheelTimer|PeriodicWorkerTask|FluxInterval|MonoSubscribeOn|FluxSubscribeOnCallable"),
        WAIT, JIT, GC, UNRESOLVED,
    ],
    "consumer": [
        ("LLM stream in: HTTP client, SSE decoding, JSON parsing", r"HttpClientOperations|OpenAiStreamParser"),
        ("hand-off to the job's worker, coalescing, reply send()", r"JobExecution|ChunkCoalescer|KafkaReplySink|KafkaProducer.send"),
        ("Kafka producer network thread (replies)", r"producer/internals/Sender.run"),
        ("Kafka job consumer (spring-kafka listener, heartbeats)", r"KafkaMessageListenerContainer|HeartbeatThread"),
        ("socket reads and writes outside the above", r"epollInReady|AbstractChannelHandlerContext.*flush|writev"),
        METRICS, WAIT, JIT, GC, UNRESOLVED,
    ],
    "kafka": [
        ("request handlers: produce", r"handleProduceRequest"),
        ("request handlers: fetch", r"handleFetchRequest"),
        ("request handlers: other", r"KafkaRequestHandler.run"),
        ("network processors (socket I/O, request parsing, responses)", r"kafka/network/Processor.run"),
        ("KRaft, purgatory, timers, coordinators", r"KafkaRaft|Purgatory|SystemTimer|EventProcessorThread|KafkaEventQueue"),
        JIT, GC,
    ],
}


def main():
    kind, path = sys.argv[1], sys.argv[2]
    categories = CATEGORIES[kind]
    compiled = [(name, re.compile(pattern)) for name, pattern in categories]
    counts = collections.Counter()
    total = 0
    with open(path) as f:
        for line in f:
            stack, n = line.rstrip().rsplit(" ", 1)
            n = int(n)
            total += n
            for name, pattern in compiled:
                if pattern.search(stack):
                    counts[name] += n
                    break
            else:
                counts["other"] += n
    print(f"{path}: {total} samples")
    print("| where | share of the process's CPU |")
    print("|---|---|")
    for name, _ in categories + [("other", None)]:
        print(f"| {name} | {100 * counts[name] / max(total, 1):.0f}% |")


if __name__ == "__main__":
    main()
