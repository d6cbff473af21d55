package io.jindouyun.devllm;

/** What the server does with a chat request: answer it or reject it with an OpenAI error. */
sealed interface Plan permits Answer, Rejection {}
