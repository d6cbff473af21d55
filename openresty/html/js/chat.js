// The chat page: sign-in with a token, then chats on the three-request flow (api.js), answers
// rendered as safe Markdown (markdown.js). The token lives in sessionStorage; a development link
// carries it in the URL fragment (#token=...), which is never sent to the server, and is removed
// from the address bar at once.
import { ApiError, ack, cancel, handshake, readStream } from "./api.js";
import { escapeHtml, renderMarkdown } from "./markdown.js";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "jdy.token";
const tabs = "BroadcastChannel" in window ? new BroadcastChannel("jdy-chat") : null;

let token = null;
let conversation = []; // [{role, content}] sent with every handshake
let current = null; // the answer being streamed: {streamId, reader, el, text}
let lastAnswer = null; // the last answer element (for regenerate)

function jwtClaims(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(decodeURIComponent(escape(atob(part))));
  } catch (e) {
    return null;
  }
}

function status(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

function showSignIn(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  token = null;
  stopReading();
  $("sign-in").hidden = false;
  $("chat").hidden = true;
  $("new-chat").hidden = true;
  $("sign-out").hidden = true;
  status(message || "", Boolean(message));
  $("token").focus();
}

function signIn(candidate) {
  const claims = jwtClaims(candidate);
  if (!claims) {
    showSignIn("That is not a token (a JWT with three parts).");
    return;
  }
  if (claims.exp && claims.exp * 1000 <= Date.now()) {
    showSignIn("Your token has expired: sign in again.");
    return;
  }
  token = candidate;
  sessionStorage.setItem(TOKEN_KEY, candidate);
  $("who").textContent = "Signed in as " + (claims.sub || "?");
  $("sign-in").hidden = true;
  $("chat").hidden = false;
  $("new-chat").hidden = false;
  $("sign-out").hidden = false;
  status("");
  $("prompt").focus();
}

function addMessage(role, html) {
  const li = document.createElement("li");
  li.className = "message " + role;
  li.innerHTML =
    '<div class="role">' + (role === "user" ? "You" : "Assistant") + "</div>" +
    '<div class="body">' + html + '</div><div class="meta" aria-live="polite"></div>';
  $("messages").append(li);
  li.scrollIntoView({ block: "end" });
  return li;
}

function setState(el, state, meta) {
  el.dataset.state = state;
  el.classList.toggle("superseded", state === "superseded");
  el.classList.toggle("error", state === "error");
  el.querySelector(".meta").textContent = meta || "";
}

function buttons() {
  const streaming = current !== null && current.own;
  $("stop").disabled = !streaming;
  $("regenerate").disabled = lastAnswer === null || token === null;
}

function describe(error) {
  if (error instanceof ApiError) {
    const wait = error.retryAfter ? " Try again in " + error.retryAfter + " s." : " Try again later.";
    if (error.status === 429) return "Too many requests (429)." + wait;
    if (error.status === 503) return "The service is busy (503)." + wait;
    return error.title + " (" + error.status + ")" + (error.message ? ": " + error.message : "");
  }
  return "The edge did not answer: " + error.message;
}

function stopReading() {
  if (current) {
    current.reader.close();
    current = null;
  }
}

/** Reads a stream into a new answer element; own=false for a stream another tab started. */
function follow(streamId, ticket, own) {
  const el = addMessage("assistant", "");
  el.dataset.streamId = streamId;
  el.dataset.source = ""; // the answer's Markdown source as received (an attribute: never parsed)
  setState(el, "streaming", "");
  const answer = { streamId, el, text: "", own };
  const body = el.querySelector(".body");
  answer.reader = readStream(streamId, ticket, {
    onDelta(delta) {
      answer.text += delta;
      el.dataset.source = answer.text;
      body.innerHTML = renderMarkdown(answer.text);
    },
    onReset() {
      answer.text = "";
      el.dataset.source = "";
      body.innerHTML = "";
    },
    onState(text) {
      if (el.dataset.state === "streaming") el.querySelector(".meta").textContent = text;
    },
    onEnd(kind, data, lastId) {
      if (current === answer) current = null;
      if (kind === "done") {
        setState(el, "done", data && data.finishReason === "length" ? "(cut at the length limit)" : "");
        if (own) {
          conversation.push({ role: "assistant", content: answer.text });
          if (lastId) ack(token, streamId, lastId).catch(() => {});
        }
      } else if (kind === "superseded") {
        setState(el, "superseded", "Superseded by a newer answer.");
      } else if (data && data.status === 401) {
        showSignIn("Your sign-in is no longer valid: sign in again.");
      } else {
        setState(el, "error", "Error: " + ((data && (data.detail || data.title)) || "the answer failed"));
      }
      buttons();
    },
  });
  if (own) {
    current = answer;
    lastAnswer = answer;
  }
  buttons();
  return answer;
}

async function generate() {
  let started;
  try {
    started = await handshake(token, conversation);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      showSignIn("Your sign-in is no longer valid (401): sign in again.");
    } else {
      status(describe(error), true);
    }
    return false;
  }
  status("");
  follow(started.streamId, started.ticket, true);
  if (tabs) tabs.postMessage({ type: "stream", streamId: started.streamId, ticket: started.ticket });
  return true;
}

async function send() {
  const text = $("prompt").value;
  if (!text.trim() || token === null) return;
  $("prompt").value = "";
  addMessage("user", renderMarkdown(text));
  conversation.push({ role: "user", content: text });
  if (current) {
    setState(current.el, "superseded", "Superseded by a newer answer.");
    stopReading();
  }
  await generate();
}

async function stop() {
  if (!current) return;
  const answer = current;
  stopReading();
  setState(answer.el, "stopped", "Stopped.");
  conversation.push({ role: "assistant", content: answer.text });
  buttons();
  try {
    await cancel(token, answer.streamId);
  } catch (error) {
    status(describe(error), true);
  }
}

async function regenerate() {
  if (!lastAnswer) return;
  const old = lastAnswer;
  if (current === old) stopReading();
  // the old answer leaves the conversation; the same prompt is asked again
  const last = conversation[conversation.length - 1];
  if (last && last.role === "assistant") conversation.pop();
  if (await generate()) {
    setState(old.el, "superseded", "Superseded by a newer answer.");
  }
}

function newChat() {
  stopReading();
  conversation = [];
  lastAnswer = null;
  $("messages").textContent = "";
  status("");
  buttons();
  $("prompt").focus();
}

function start() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.has("token")) {
    const fromLink = fragment.get("token");
    history.replaceState(null, "", location.pathname + location.search);
    signIn(fromLink);
  } else if (sessionStorage.getItem(TOKEN_KEY)) {
    signIn(sessionStorage.getItem(TOKEN_KEY));
  } else {
    showSignIn("");
  }
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn($("token").value.trim());
    $("token").value = "";
  });
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  $("prompt").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  $("stop").addEventListener("click", stop);
  $("regenerate").addEventListener("click", regenerate);
  $("new-chat").addEventListener("click", newChat);
  $("sign-out").addEventListener("click", () => showSignIn("Signed out."));
  if (tabs) {
    // another tab of this browser started a stream: read it here too
    tabs.addEventListener("message", (event) => {
      const m = event.data;
      if (m && m.type === "stream" && token !== null) {
        addMessage("user", '<p class="meta">' + escapeHtml("(asked in another tab)") + "</p>");
        follow(m.streamId, m.ticket, false);
      }
    });
  }
  buttons();
}

start();
