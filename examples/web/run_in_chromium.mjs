// Runs the example page in headless Chromium (the system's, never a downloaded one) for each case and
// prints one JSON line per case: the browser's outputs for every window, their latencies, and the
// page's own comparison with Python ONNX Runtime. One browser serves every case.
//
//   node run_in_chromium.mjs [--chromium /usr/bin/chromium] [--repeat N] <case.json> [<case.json> ...]
//   node run_in_chromium.mjs --stdin      # one case.json path per input line, one result line each
//
// Each case.json sits beside its model and model_card.json (python -m motionlab.export.case <run>).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { createInterface } from "node:readline";
import puppeteer from "puppeteer-core";
import { serve } from "./serve.mjs";

// The flags of a quiet, offline, throw-away headless Chromium (no sandbox: CI runs as root).
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

const args = process.argv.slice(2);
let chromium = "/usr/bin/chromium";
let repeat = 1;
let fromStdin = false;
const cases = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--chromium") chromium = args[++i];
  else if (args[i] === "--repeat") repeat = Number(args[++i]);
  else if (args[i] === "--stdin") fromStdin = true;
  else cases.push(args[i]);
}
if (!cases.length && !fromStdin) {
  console.error("usage: node run_in_chromium.mjs [--chromium PATH] [--repeat N] (<case.json> ... | --stdin)");
  process.exit(2);
}

const profile = mkdtempSync(join(tmpdir(), "motionlab-chromium-"));
const server = await serve([]);
const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  ignoreDefaultArgs: true,
  args: [...FLAGS, `--user-data-dir=${profile}`],
});

// Run one case in a fresh tab; the result line has `errors` (page errors, console errors).
async function run(path) {
  const index = server.mount(dirname(path));
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  try {
    await page.goto(`http://127.0.0.1:${server.address().port}/?case=/case/${index}/` +
      `${encodeURIComponent(basename(path))}&repeat=${repeat}`);
    await page.waitForFunction(() => window.motionlab?.done, { timeout: 120_000, polling: 50 });
    const result = await page.evaluate(() => window.motionlab);
    if (result.error) errors.push(result.error);
    return { case: path, ...result, errors };
  } catch (error) {
    return { case: path, ok: false, errors: [...errors, String(error)] };
  } finally {
    await page.close();
  }
}

let failed = false;
try {
  const paths = fromStdin ? createInterface({ input: process.stdin }) : cases;
  for await (const path of paths) {
    if (!path.trim()) continue;
    const result = await run(path.trim());
    failed ||= result.errors.length > 0 || !result.ok;
    console.log(JSON.stringify(result));
  }
} finally {
  await browser.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
