package io.jindouyun.consumer.job;

/** Identifies one job: a generation of a stream. */
public record JobKey(String streamId, long generation) {}
