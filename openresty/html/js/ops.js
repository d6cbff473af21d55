// The operator's page: the best lists (ipconfig long poll through the edge's read-only
// /_edge/ipconfig/), the reasons of each weight (/v1/scores), the edge's own view
// (/_edge/status) and a chart of weights and TTFT from Prometheus (/_edge/prometheus/).
import { escapeHtml } from "./markdown.js";

const $ = (id) => document.getElementById(id);
const lists = {}; // service -> best list
const scores = {}; // service -> /v1/scores answer
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const num = (v, digits) => (typeof v === "number" ? v.toFixed(digits) : "–");

async function getJson(url, headers) {
  const response = await fetch(url, { headers: headers || {} });
  if (response.status === 304) return { notModified: true };
  if (!response.ok) throw new Error(url + ": HTTP " + response.status);
  return { body: await response.json(), etag: response.headers.get("ETag") };
}

/** Long poll of every best list: answers as soon as the global version changes. */
async function pollBest() {
  let etag = null;
  for (;;) {
    try {
      const url = "/_edge/ipconfig/v1/best" + (etag ? "?wait=25s" : "");
      const answer = await getJson(url, etag ? { "If-None-Match": etag } : {});
      if (!answer.notModified) {
        etag = answer.etag;
        Object.assign(lists, answer.body.services || {});
        renderServices();
        refreshScores(); // the reasons of the new weights at once
      }
      $("status").textContent = "";
    } catch (error) {
      $("status").textContent = "ipconfig unreachable: " + error.message;
      etag = null;
      await sleep(2000);
    }
  }
}

async function refreshScores() {
  for (const service of Object.keys(lists)) {
    try {
      scores[service] = (await getJson("/_edge/ipconfig/v1/scores/" + encodeURIComponent(service))).body;
    } catch (error) {
      scores[service] = null;
    }
  }
  renderServices();
}

async function pollScores() {
  for (;;) {
    await refreshScores();
    await sleep(2000);
  }
}

function signals(member) {
  const s = member.signals || {};
  return Object.keys(s)
    .map((k) => escapeHtml(k) + " " + (typeof s[k] === "number" ? escapeHtml(+s[k].toFixed(2)) : "–"))
    .join(", ");
}

function renderServices() {
  const html = Object.keys(lists)
    .sort()
    .map((service) => {
      const list = lists[service];
      const why = scores[service];
      const members = {};
      for (const m of (why && why.instances) || []) members[m.id] = m;
      const override = why && why.override ? why.override : null;
      const strategy = list.strategy || "score";
      const rows = (list.instances || [])
        .map((inst) => {
          const m = members[inst.id] || {};
          const p = m.prediction || {};
          return (
            '<tr data-instance="' + escapeHtml(inst.id) + '"><td>' + escapeHtml(inst.id) + "</td><td>" +
            escapeHtml(inst.host + ":" + inst.port) + '</td><td class="weight">' + escapeHtml(inst.weight) +
            "</td><td>" + num(inst.score, 3) + '</td><td class="basis">' + escapeHtml(m.basis || "–") + (inst.stale && m.basis !== "stale" ? " (stale)" : "") +
            "</td><td>" + num(p.predictedMs, 1) + "</td><td>" + signals(m) + "</td></tr>"
          );
        })
        .join("");
      return (
        '<section class="service" data-service="' + escapeHtml(service) + '"><h2>' + escapeHtml(service) + "</h2>" +
        '<p>strategy <span class="badge strategy' + (strategy === "score" ? "" : " override") + '">' +
        escapeHtml(strategy) + "</span>" + (strategy === "score" ? " (ranked by predicted TTFT; no override)" : " (operator override active)") +
        (override && override.strategy !== "score"
          ? ' <span class="override-detail">override ' + escapeHtml(JSON.stringify(override)) + "</span>"
          : "") +
        (list.stale ? ' <span class="badge override">stale: etcd unreachable</span>' : "") +
        " · version " + escapeHtml(list.version) + " · generated " + escapeHtml(list.generatedAt || "") + "</p>" +
        "<table><caption class=\"visually-hidden\">Best list of " + escapeHtml(service) + ", best first</caption>" +
        "<thead><tr><th>instance</th><th>address</th><th>weight</th><th>score</th><th>basis</th>" +
        "<th>predicted TTFT ms</th><th>signals</th></tr></thead><tbody>" + rows + "</tbody></table></section>"
      );
    })
    .join("");
  $("services").innerHTML = html;
}

async function pollEdge() {
  for (;;) {
    try {
      const view = (await getJson("/_edge/status")).body;
      const rows = (view.instances || [])
        .map(
          (i) =>
            "<tr><td>" + escapeHtml(i.id) + "</td><td>" + escapeHtml(i.weight) + "</td><td>" + escapeHtml(i.inFlight) +
            "</td><td>" + (typeof i.ewma === "number" ? (i.ewma * 1000).toFixed(1) : "–") + "</td><td>" +
            (i.down ? "down" : "up") + "</td></tr>",
        )
        .join("");
      $("edge").innerHTML =
        "<p>list source <span class=\"badge\">" + escapeHtml(view.source) + "</span> · mode " + escapeHtml(view.mode) +
        " · strategy " + escapeHtml(view.strategy) + " · age " + num(view.ageSeconds, 1) + " s</p>" +
        "<table><thead><tr><th>gateway</th><th>weight</th><th>in flight</th><th>handshake EWMA ms</th><th>state</th></tr></thead><tbody>" +
        rows + "</tbody></table>";
    } catch (error) {
      $("edge").textContent = "edge status unavailable: " + error.message;
    }
    await sleep(2000);
  }
}

async function range(query, start, end) {
  const url =
    "/_edge/prometheus/api/v1/query_range?query=" + encodeURIComponent(query) +
    "&start=" + start + "&end=" + end + "&step=15";
  const answer = await getJson(url);
  return answer.body.data.result;
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

/** One SVG line chart: series [{name, points:[[t, v]]}]. */
function chart(title, series, unit) {
  const w = 720, h = 180, left = 50, right = 140, top = 20, bottom = 24;
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return "<p>" + escapeHtml(title) + ": no data yet</p>";
  const t0 = Math.min(...all.map((p) => p[0])), t1 = Math.max(...all.map((p) => p[0]));
  const vmax = Math.max(1, ...all.map((p) => p[1]));
  const x = (t) => left + ((t - t0) / Math.max(1, t1 - t0)) * (w - left - right);
  const y = (v) => top + (1 - v / vmax) * (h - top - bottom);
  let svg = '<svg role="img" aria-label="' + escapeHtml(title) + '" width="' + w + '" height="' + h + '">';
  svg += '<text x="' + left + '" y="12">' + escapeHtml(title) + "</text>";
  svg += '<line x1="' + left + '" y1="' + y(0) + '" x2="' + (w - right) + '" y2="' + y(0) + '" stroke="#999"/>';
  svg += '<text x="2" y="' + (y(vmax) + 4) + '">' + escapeHtml(+vmax.toFixed(1) + " " + unit) + "</text>";
  svg += '<text x="2" y="' + y(0) + '">0</text>';
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const d = s.points.map((p, j) => (j ? "L" : "M") + x(p[0]).toFixed(1) + " " + y(p[1]).toFixed(1)).join(" ");
    svg += '<path d="' + d + '" fill="none" stroke="' + color + '" stroke-width="1.5"/>';
    svg += '<text x="' + (w - right + 8) + '" y="' + (top + 14 * i + 10) + '" style="fill:' + color + '">' + escapeHtml(s.name) + "</text>";
  });
  return svg + "</svg>";
}

function toSeries(result) {
  return result.map((r) => ({
    name:
      (r.metric.backend_instance || "?") +
      (r.metric.backend_service ? " (" + r.metric.backend_service + ")" : ""),
    points: r.values.map((v) => [Number(v[0]), Number(v[1])]).filter((p) => Number.isFinite(p[1])),
  }));
}

async function pollChart() {
  for (;;) {
    const end = Math.floor(Date.now() / 1000);
    const start = end - 15 * 60;
    try {
      const weights = await range('ipconfig_instance_weight{backend_service="stream-gateway"}', start, end);
      const ttft = await range('1000 * jdy_backend_ttft_avg_seconds{backend_service="stream-gateway"}', start, end);
      $("chart").innerHTML =
        chart("weight per gateway", toSeries(weights), "") + chart("average TTFT per gateway", toSeries(ttft), "ms");
    } catch (error) {
      $("chart").textContent = "Prometheus unavailable: the chart needs ./jdy up's Prometheus (127.0.0.1:9090).";
    }
    await sleep(15000);
  }
}

pollBest();
pollScores();
pollEdge();
pollChart();
