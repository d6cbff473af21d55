// Drives the official openai SDK against a Jindouyun edge and prints one JSON line of what it saw.
// Usage: node sdk-check.mjs BASE_URL TOKEN MODEL SHORT_PROMPT LONG_PROMPT
import OpenAI from 'openai';

const [baseURL, apiKey, model, shortPrompt, longPrompt] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 30_000 });
const ask = (content) => [{ role: 'user', content }];
const out = {};

// streaming, with usage
let text = '';
let usage = null;
let finish = null;
const stream = await client.chat.completions.create({
  model,
  messages: ask(shortPrompt),
  stream: true,
  stream_options: { include_usage: true },
});
for await (const chunk of stream) {
  if (chunk.choices.length > 0) {
    text += chunk.choices[0].delta.content ?? '';
    finish = chunk.choices[0].finish_reason ?? finish;
  }
  if (chunk.usage) usage = chunk.usage;
}
out.streamText = text;
out.streamFinish = finish;
out.streamUsageTotal = usage ? usage.total_tokens : null;

// one whole completion
const whole = await client.chat.completions.create({ model, messages: ask(shortPrompt) });
out.wholeObject = whole.object;
out.wholeText = whole.choices[0].message.content;
out.wholeFinish = whole.choices[0].finish_reason;

// abort mid-stream: three chunks, then the client goes away
const controller = new AbortController();
const long = await client.chat.completions.create(
  { model, messages: ask(longPrompt), stream: true },
  { signal: controller.signal },
);
let seen = 0;
try {
  for await (const chunk of long) {
    if (chunk.choices.length > 0 && ++seen >= 3) {
      controller.abort();
    }
  }
} catch (e) {
  out.abortError = e.constructor.name;
}
out.abortedAfter = seen;

// errors: an unknown model (404) and an unsupported parameter (400)
for (const [name, body] of [
  ['unknownModel', { model: 'no-such-model', messages: ask('hi') }],
  ['twoChoices', { model, messages: ask('hi'), n: 2 }],
]) {
  try {
    await client.chat.completions.create(body);
    out[name] = { status: 200 };
  } catch (e) {
    out[name] = { status: e.status, code: e.code, param: e.param, type: e.type, message: e.message };
  }
}

console.log('RESULT ' + JSON.stringify(out));
