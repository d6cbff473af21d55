package io.jindouyun.history;

/** One prompt message of a turn: role {@code system}, {@code user} or {@code assistant}. */
public record Message(String role, String content) {}
