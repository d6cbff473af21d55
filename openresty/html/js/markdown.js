// Safe Markdown: every character of the input is escaped first; only then is a small subset
// (code fences, inline code, bold, italic, headings, lists, http(s) links, paragraphs) turned into
// the few tags produced here. No HTML from the input ever reaches the DOM unescaped.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for use in HTML element content and attribute values. */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function inline(escaped) {
  // inline code first: its content is left as escaped text
  const parts = escaped.split(/(`[^`\n]+`)/);
  return parts
    .map((part, i) => {
      if (i % 2 === 1) {
        return "<code>" + part.slice(1, -1) + "</code>";
      }
      return part
        .replace(/\*\*([^*\n]+)\*\*/g, "<strong>$1</strong>")
        .replace(/(^|[^*])\*([^*\n]+)\*/g, "$1<em>$2</em>")
        .replace(
          /\[([^\]\n]+)\]\((https?:\/\/[^\s()"<>]+)\)/g,
          '<a href="$2" rel="noopener noreferrer" target="_blank">$1</a>',
        );
    })
    .join("");
}

function block(escaped) {
  const lines = escaped.split("\n");
  const out = [];
  let list = null;
  let para = [];
  const flushPara = () => {
    if (para.length) {
      out.push("<p>" + para.map(inline).join("<br>") + "</p>");
      para = [];
    }
  };
  const flushList = () => {
    if (list) {
      out.push("<" + list.tag + ">" + list.items.map((t) => "<li>" + inline(t) + "</li>").join("") + "</" + list.tag + ">");
      list = null;
    }
  };
  for (const line of lines) {
    let m;
    if ((m = /^(#{1,4}) (.*)$/.exec(line))) {
      flushPara();
      flushList();
      const level = m[1].length + 2; // h3..h6 inside a message
      out.push("<h" + level + ">" + inline(m[2]) + "</h" + level + ">");
    } else if ((m = /^\s*[-*] (.*)$/.exec(line))) {
      flushPara();
      if (!list || list.tag !== "ul") {
        flushList();
        list = { tag: "ul", items: [] };
      }
      list.items.push(m[1]);
    } else if ((m = /^\s*\d+\. (.*)$/.exec(line))) {
      flushPara();
      if (!list || list.tag !== "ol") {
        flushList();
        list = { tag: "ol", items: [] };
      }
      list.items.push(m[1]);
    } else if (line.trim() === "") {
      flushPara();
      flushList();
    } else {
      flushList();
      para.push(line);
    }
  }
  flushPara();
  flushList();
  return out.join("");
}

/** Markdown source to safe HTML (a string for innerHTML). */
export function renderMarkdown(source) {
  const escaped = escapeHtml(source);
  // fenced code blocks (an unclosed fence, as while streaming, runs to the end)
  const pieces = escaped.split(/```/);
  let html = "";
  pieces.forEach((piece, i) => {
    if (i % 2 === 1) {
      const body = piece.replace(/^[^\n]*\n/, "");
      html += "<pre><code>" + body + "</code></pre>";
    } else {
      html += block(piece);
    }
  });
  return html;
}
