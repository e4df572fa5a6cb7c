// Drives Debian's Chromium, headless, over CDP (Playwright) as one participant of a NIMeet call: it opens the web
// client (index.html + client.js) at the server's own origin and answers commands on stdin, one a line, with one
// JSON line on stdout each. benchmarks/_chromium.py runs it.
//
//   node driver.mjs, then the config as the first line of stdin (a token does not belong on a command line):
//   {executablePath, userDataDir, server, token, room, width, height, fps, selfView, readyTimeoutMs}
//   stdout: {"event":"ready","selfId":...} once the page has joined the room (or {"event":"failed","error":...})
//   stdin:  "stats" -> {"ok":true,"stats":{...window.nimeetStats()}}   "quit" (or end of input) -> closes, exits 0
//
// The page is served at <server origin>/__nimeet_web_client__/ by Playwright's request interception, not by a
// server of its own: the contract refuses browser requests and sockets from any other origin unless the server
// lists it in NIMEET_CORS_ORIGINS, and a benchmark runs the server as it is. Interception ends once the page is up.
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = dirname(fileURLToPath(import.meta.url));
const FILES = {
  "index.html": [join(HERE, "index.html"), "text/html; charset=utf-8"],
  "client.js": [join(HERE, "client.js"), "text/javascript; charset=utf-8"],
  "socket.io.min.js": [join(HERE, "node_modules/socket.io-client/dist/socket.io.min.js"), "text/javascript; charset=utf-8"],
};
const PREFIX = "/__nimeet_web_client__/";

// Everything that keeps Chromium on 127.0.0.1 and quiet: no fetches of its own, no QUIC, no mDNS host names
// (multicast on the LAN), loopback ICE candidates allowed (media stays on 127.0.0.1 like the bots'), and a fake
// camera and microphone that need no permission prompt. Remote audio plays without a user gesture, as in a call.
const CHROMIUM_ARGS = [
  "--use-fake-ui-for-media-stream",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-domain-reliability",
  "--disable-default-apps",
  "--allow-loopback-in-peer-connection",
  "--disable-features=WebRtcHideLocalIpsWithMdns,LocalNetworkAccessChecks,OptimizationHints,MediaRouter,Translate",
  "--autoplay-policy=no-user-gesture-required",
];

function say(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

async function main() {
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) return process.exit(2);
  const config = JSON.parse(first.value);
  const origin = new URL(config.server).origin;
  const context = await chromium.launchPersistentContext(config.userDataDir, {
    executablePath: config.executablePath,
    headless: true,
    // The fake camera runs at 20 fps unless told; it then gives any size the constraints ask for.
    args: [`--use-fake-device-for-media-stream=fps=${config.fps}`, ...CHROMIUM_ARGS],
    viewport: { width: 1280, height: 800 },
    // Playwright's own SIGINT/SIGTERM/SIGHUP handlers close the browser when this process is told to stop.
  });
  let closing = false;
  const close = async (code) => {
    if (closing) return;
    closing = true;
    await context.close().catch(() => {});
    process.exit(code);
  };
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on("console", (msg) => process.stderr.write(`page: ${msg.text()}\n`));
    page.on("pageerror", (err) => process.stderr.write(`page error: ${err.message}\n`));
    await page.route(`${origin}${PREFIX}**`, async (route) => {
      const name = new URL(route.request().url()).pathname.slice(PREFIX.length);
      const file = FILES[name];
      if (!file) return route.fulfill({ status: 404, body: "not found" });
      return route.fulfill({ status: 200, contentType: file[1], body: await readFile(file[0]) });
    });
    const query = new URLSearchParams({
      server: config.server,
      token: config.token,
      room: config.room,
      width: String(config.width),
      height: String(config.height),
      fps: String(config.fps),
      selfView: config.selfView === false ? "0" : "1",
    });
    await page.goto(`${origin}${PREFIX}index.html?${query}`);
    await page.unrouteAll({ behavior: "ignoreErrors" });
    const phase = await page
      .waitForFunction(() => ["joined", "failed"].includes(window.nimeetState.phase) && window.nimeetState.phase, null, {
        timeout: config.readyTimeoutMs ?? 30000,
        polling: 100,
      })
      .then((handle) => handle.jsonValue());
    const pageState = await page.evaluate(() => window.nimeetState);
    if (phase !== "joined") {
      say({ event: "failed", error: pageState.error, log: pageState.log });
      return close(1);
    }
    say({ event: "ready", selfId: pageState.selfId });

    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      const line = next.value;
      const command = line.trim();
      if (command === "stats") {
        try {
          say({ ok: true, stats: await page.evaluate(() => window.nimeetStats()) });
        } catch (err) {
          say({ ok: false, error: String(err) });
        }
      } else if (command === "log") {
        say({ ok: true, log: await page.evaluate(() => window.nimeetState.log) });
      } else if (command === "quit") {
        break;
      } else if (command) {
        say({ ok: false, error: `unknown command: ${command}` });
      }
    }
    return close(0);
  } catch (err) {
    say({ event: "failed", error: String(err && err.stack ? err.stack : err) });
    return close(1);
  }
}

main();
