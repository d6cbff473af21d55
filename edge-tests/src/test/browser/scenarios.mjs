// Browser scenarios of BrowserIntegrationTests: Debian's chromium driven by playwright-core
// (executablePath: no browser download). Usage: node scenarios.mjs SCENARIO
// Environment: EDGE_URL (http://127.0.0.1:PORT), TOKEN (a valid JWT), BAD_TOKEN (a JWT the
// gateways reject), EXPIRED_TOKEN (a JWT past its exp), CHROMIUM (the browser), OUT (a folder
// for screenshots), PROMPT (the prompt to send), STRATEGY and SHOT (ops). Prints one line
// "RESULT <json>" and exits 0, or prints the failure and exits 1. Every wait is bounded.
import { chromium } from "playwright-core";

const env = process.env;
const edge = env.EDGE_URL;
const WAIT = 60_000;

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function signedIn(page, token) {
  await page.goto(edge + "/#token=" + token);
  await page.locator("#prompt").waitFor({ state: "visible", timeout: WAIT });
  check(!page.url().includes("token="), "the token stays out of the address bar: " + page.url());
}

async function ask(page, prompt) {
  await page.locator("#prompt").fill(prompt);
  await page.locator("#prompt").press("Enter");
}

const answer = (page, n) => page.locator("li.message.assistant").nth(n);

async function finalText(page, n) {
  await page.waitForFunction(
    (i) => {
      const a = document.querySelectorAll("li.message.assistant")[i];
      return a && a.dataset.state && a.dataset.state !== "streaming";
    },
    n,
    { timeout: WAIT },
  );
  const el = answer(page, n);
  return { state: await el.getAttribute("data-state"), text: await el.getAttribute("data-source") };
}

async function someText(page, n) {
  await page.waitForFunction(
    (i) => {
      const a = document.querySelectorAll("li.message.assistant")[i];
      return a && (a.dataset.source || "").length > 0 && a.dataset.state === "streaming";
    },
    n,
    { timeout: WAIT },
  );
}

const scenarios = {
  async stream(browser) {
    const page = await browser.newPage();
    await signedIn(page, env.TOKEN);
    await ask(page, env.PROMPT);
    const result = await finalText(page, 0);
    await page.screenshot({ path: env.OUT + "/chat.png", fullPage: true });
    return result;
  },

  async stop(browser) {
    const page = await browser.newPage();
    await signedIn(page, env.TOKEN);
    await ask(page, env.PROMPT);
    await someText(page, 0);
    await page.locator("#stop").click();
    const result = await finalText(page, 0);
    check(result.state === "stopped", "the answer is marked stopped: " + result.state);
    return result;
  },

  async regenerate(browser) {
    const page = await browser.newPage();
    await signedIn(page, env.TOKEN);
    await ask(page, env.PROMPT);
    await someText(page, 0);
    await page.locator("#regenerate").click();
    const newer = await finalText(page, 1);
    const older = await finalText(page, 0);
    const label = await answer(page, 0).locator(".meta").textContent();
    return { older: older.state, newer: newer.state, label, text: newer.text };
  },

  async offline(browser) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const streams = [];
    page.on("request", (r) => r.url().includes("/v1/chat/stream/") && streams.push(r.url()));
    await signedIn(page, env.TOKEN);
    await ask(page, env.PROMPT);
    await someText(page, 0);
    const before = (await answer(page, 0).getAttribute("data-source")).length;
    await context.setOffline(true);
    await page.waitForTimeout(1500); // the network stays down this long
    const during = (await answer(page, 0).getAttribute("data-source")).length;
    await context.setOffline(false);
    const result = await finalText(page, 0);
    const resumed = streams.slice(1).some((url) => url.includes("lastEventId="));
    return { ...result, before, during, streamRequests: streams.length, resumed };
  },

  async xss(browser) {
    const page = await browser.newPage();
    await signedIn(page, env.TOKEN);
    await ask(page, env.PROMPT);
    const result = await finalText(page, 0);
    const user = await page.locator("li.message.user .body").innerText();
    const injected = await page.evaluate(() => ({
      xss: window.__xss === undefined ? null : window.__xss,
      images: document.querySelectorAll("#messages img").length,
      bold: document.querySelectorAll("#messages b").length,
    }));
    return { ...result, user, ...injected };
  },

  async tabs(browser) {
    const context = await browser.newContext();
    const first = await context.newPage();
    const second = await context.newPage();
    await signedIn(first, env.TOKEN);
    await signedIn(second, env.TOKEN);
    await ask(first, env.PROMPT);
    const a = await finalText(first, 0);
    const b = await finalText(second, 0);
    return { first: a, second: b };
  },

  async expired(browser) {
    const page = await browser.newPage();
    await page.goto(edge + "/#token=" + env.EXPIRED_TOKEN);
    await page.locator("#token").waitFor({ state: "visible", timeout: WAIT });
    const expired = await page.locator("#status").textContent();
    // a token the gateways reject: the handshake's 401 shows the sign-in again
    await page.locator("#token").fill(env.BAD_TOKEN);
    await page.locator("#sign-in-form button").click();
    await ask(page, "hello");
    await page.locator("#token").waitFor({ state: "visible", timeout: WAIT });
    const rejected = await page.locator("#status").textContent();
    return { expired, rejected, chatHidden: await page.locator("#chat").isHidden() };
  },

  async ops(browser) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(edge + "/ops");
    await page.waitForFunction(
      (want) => {
        const rows = [...document.querySelectorAll('[data-service="stream-gateway"] tr[data-instance]')];
        const strategy = document.querySelector('[data-service="stream-gateway"] .strategy');
        return (
          strategy && strategy.textContent === want &&
          ["gw-1", "gw-2"].every((id) => rows.some((r) => r.dataset.instance === id)) &&
          rows.every((r) => !r.querySelector(".basis").textContent.startsWith("–")) // the reasons came
        );
      },
      env.STRATEGY || "score",
      { timeout: WAIT },
    );
    await page.locator("#edge table").waitFor({ timeout: WAIT });
    const weights = await page.evaluate(() =>
      Object.fromEntries(
        [...document.querySelectorAll('[data-service="stream-gateway"] tr[data-instance]')].map((r) => [
          r.dataset.instance,
          Number(r.querySelector(".weight").textContent),
        ]),
      ),
    );
    const strategy = await page.locator('[data-service="stream-gateway"] .strategy').textContent();
    const edgeRows = await page.locator("#edge tbody tr").count();
    const basis = await page.locator('[data-service="stream-gateway"] .basis').allTextContents();
    const override = await page.locator('[data-service="stream-gateway"] .override-detail').allTextContents();
    await page.screenshot({ path: env.OUT + "/" + (env.SHOT || "ops") + ".png", fullPage: true });
    return { weights, strategy, edgeRows, basis, override: override.join(" ") };
  },
};

const name = process.argv[2];
const browser = await chromium.launch({
  executablePath: env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
  timeout: WAIT,
});
let code = 0;
try {
  check(scenarios[name], "unknown scenario " + name);
  const result = await scenarios[name](browser);
  console.log("RESULT " + JSON.stringify(result));
} catch (error) {
  console.log("FAILED " + name + ": " + (error && error.stack ? error.stack : error));
  code = 1;
} finally {
  await browser.close();
}
process.exit(code);
