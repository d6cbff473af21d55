// The three-request flow of the stream-gateways through the edge: handshake, SSE stream, ack
// (and DELETE to cancel). Errors come back as ApiError with the HTTP status and Retry-After.

export class ApiError extends Error {
  constructor(status, title, detail, retryAfter) {
    super(detail || title || "HTTP " + status);
    this.status = status;
    this.title = title;
    this.retryAfter = retryAfter;
  }
}

async function problem(response) {
  let title = response.statusText;
  let detail = "";
  try {
    const body = await response.json();
    title = body.title || title;
    detail = body.detail || "";
  } catch (e) {
    // not JSON: keep the status text
  }
  const retry = response.headers.get("Retry-After");
  return new ApiError(response.status, title, detail, retry === null ? null : Number(retry));
}

/** POST /v1/chat/handshake: {streamId, generation, node, ticket, expiresAt}. */
export async function handshake(token, messages) {
  const response = await fetch("/v1/chat/handshake", {
    method: "POST",
    headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
    body: JSON.stringify({ messages }),
  });
  if (response.status !== 202) {
    throw await problem(response);
  }
  return response.json();
}

/** DELETE /v1/chat/stream/{id}: the upstream LLM call is cancelled. */
export async function cancel(token, streamId) {
  const response = await fetch("/v1/chat/stream/" + encodeURIComponent(streamId), {
    method: "DELETE",
    headers: { Authorization: "Bearer " + token },
  });
  if (!response.ok) {
    throw await problem(response);
  }
}

/** POST /v1/chat/ack/{id}: the gateway may release the buffer. */
export async function ack(token, streamId, lastEventId) {
  await fetch("/v1/chat/ack/" + encodeURIComponent(streamId), {
    method: "POST",
    headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
    body: JSON.stringify({ lastEventId }),
  });
}

/**
 * Reads one stream with EventSource (the ticket in the query, as EventSource sends no headers).
 * After a dropped connection EventSource reconnects with Last-Event-ID by itself; if it gives up
 * (closed), or the browser went offline and back online, the stream is opened again with
 * ?lastEventId= of the last chunk applied. Chunks whose
 * seq was already applied are skipped, so the text has no duplicate and no gap.
 * handlers: onDelta(text), onReset(), onEnd(kind, data), onState(text).
 */
export function readStream(streamId, ticket, handlers) {
  let lastId = null; // "<generation>.<seq>" of the last chunk applied
  let lastSeq = -1;
  let source = null;
  let ended = false;
  let reopens = 0;
  const url = () => {
    let u = "/v1/chat/stream/" + encodeURIComponent(streamId) + "?ticket=" + encodeURIComponent(ticket);
    if (lastId) {
      u += "&lastEventId=" + encodeURIComponent(lastId);
    }
    return u;
  };
  // the browser lost its network: a stream it kept open may be dead without an error, so it is
  // closed and opened again (from the last chunk applied) when the network is back
  const offline = () => {
    if (ended) return;
    source.close();
    handlers.onState("Offline: the answer resumes when the network is back…");
  };
  const online = () => !ended && open();
  window.addEventListener("offline", offline);
  window.addEventListener("online", online);
  const finish = (kind, data) => {
    if (ended) return;
    ended = true;
    source.close();
    window.removeEventListener("offline", offline);
    window.removeEventListener("online", online);
    handlers.onEnd(kind, data, lastId);
  };
  const open = () => {
    source = new EventSource(url());
    source.addEventListener("open", () => handlers.onState(""));
    source.addEventListener("chunk", (event) => {
      const seq = Number(String(event.lastEventId).split(".").pop());
      if (seq <= lastSeq) return; // already applied (a replay after a resume)
      lastSeq = seq;
      lastId = event.lastEventId;
      reopens = 0;
      handlers.onDelta(JSON.parse(event.data).delta || "");
    });
    source.addEventListener("reset", () => {
      lastSeq = -1;
      lastId = null;
      handlers.onReset();
    });
    source.addEventListener("done", (event) => finish("done", JSON.parse(event.data || "{}")));
    source.addEventListener("superseded", () => finish("superseded", null));
    source.addEventListener("error", (event) => {
      if (event.data) {
        let data = {};
        try {
          data = JSON.parse(event.data);
        } catch (e) {
          data = { title: event.data };
        }
        finish("error", data);
        return;
      }
      if (ended) return;
      if (source.readyState === EventSource.CLOSED) {
        // EventSource gave up (an HTTP error or a refused connection): open it again, bounded
        if (++reopens > 30) {
          finish("error", { title: "Connection lost", detail: "the stream could not be resumed" });
          return;
        }
        handlers.onState("Connection lost: resuming…");
        setTimeout(() => !ended && open(), Math.min(500 * reopens, 5000));
      } else {
        handlers.onState("Connection lost: resuming…");
      }
    });
  };
  open();
  return {
    close() {
      if (!ended) {
        ended = true;
        source.close();
        window.removeEventListener("offline", offline);
        window.removeEventListener("online", online);
      }
    },
    lastEventId: () => lastId,
  };
}
