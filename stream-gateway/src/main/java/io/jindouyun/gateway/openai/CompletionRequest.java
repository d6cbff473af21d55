package io.jindouyun.gateway.openai;

import io.jindouyun.gateway.handshake.ChatRequest;

/**
 * A checked {@code POST /v1/chat/completions} body, as the handshake takes it.
 *
 * @param chat the request for the handshake pipeline (messages, model, limits)
 * @param stream whether to answer with Server-Sent Events
 * @param includeUsage whether a streamed answer ends with a usage chunk ({@code
 *     stream_options.include_usage})
 */
record CompletionRequest(ChatRequest chat, boolean stream, boolean includeUsage) {}
