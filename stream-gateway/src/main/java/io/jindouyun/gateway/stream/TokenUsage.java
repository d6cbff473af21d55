package io.jindouyun.gateway.stream;

/** Token usage reported with the last chunk of an answer. */
public record TokenUsage(int promptTokens, int completionTokens, int totalTokens) {}
