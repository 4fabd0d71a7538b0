// A motionlab ONNX export in the browser with onnxruntime-web (wasm, 1 thread): the model and its
// model_card.json (feature order, window, labels, what each output means: onnxruntime-web does not
// expose the model's metadata_props), then a recorded session run window by window at batch 1, as an
// app does it, with the app outputs and the latency of every window.
//
//   index.html?case=<case.json URL>[&model=<model URL>][&repeat=N]
//
// case.json (python -m motionlab.export.case <run>) holds the session's frames and the outputs Python
// ONNX Runtime computed for each window; the page shows how far the browser is from them. The results
// end up in window.motionlab for a test driver (run_in_chromium.mjs).
import * as ort from "./node_modules/onnxruntime-web/dist/ort.wasm.min.mjs";

ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = new URL("./node_modules/onnxruntime-web/dist/", import.meta.url).href;

const params = new URLSearchParams(location.search);
const statusLine = document.getElementById("status");

async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

// What an app shows of one window's outputs ({name: {data, dims}}), using the card's labels.
function describe(outputs, meta) {
  const parts = [];
  for (const [name, { data, dims }] of Object.entries(outputs)) {
    const last = dims.at(-1);
    if (name === "class_probs" || name === "exercise_probs") {
      const top = argmax(data);
      parts.push(`${meta.class_names[top]} (${data[top].toFixed(2)})`);
    } else if (name === "phase_probs") {
      const lastFrame = data.slice(data.length - last);
      parts.push(`phase now: ${meta.phase_names[argmax(lastFrame)]}`);
    } else if (name === "rep_start_prob") {
      const starts = data.filter((p) => p >= meta.rep_threshold).length;
      parts.push(`rep start ≥ ${meta.rep_threshold.toFixed(2)} at ${starts} frame(s)`);
    } else if (name === "issue_probs") {
      const flagged = meta.issue_names.filter((_, i) => data[i] >= meta.issue_threshold);
      parts.push(`issues: ${flagged.join(", ") || "none"}`);
    } else if (name === "form_score" || name === "confidence") {
      parts.push(`${name.replace("_", " ")}: ${data[0].toFixed(2)}`);
    } else if (name === "next_frame" || name === "next_joints") {
      const labels = name === "next_frame" ? meta.feature_names : meta.joint_names;
      const shown = Array.from(data.slice(0, 3), (v, i) => `${labels[i]} ${v.toFixed(3)}`);
      parts.push(`${name.replace("_", " ")}: ${shown.join(", ")}, …`);
    }
  }
  return parts.join("; ");
}

// Largest |browser − Python| and whether every element is within tolerance × max(1, |Python|).
function compare(got, expected, tolerance) {
  let maxAbsDiff = 0;
  let ok = got.length === expected.length;
  got.forEach((value, i) => {
    const diff = Math.abs(value - expected[i]);
    maxAbsDiff = Math.max(maxAbsDiff, diff);
    if (!(diff <= tolerance * Math.max(1, Math.abs(expected[i])))) ok = false;
  });
  return { maxAbsDiff, ok };
}

async function main() {
  const caseUrl = new URL(params.get("case") ?? "case.json", location.href);
  const repeat = Math.max(1, Number(params.get("repeat") ?? 1));
  const testCase = await fetchJson(caseUrl);
  const modelUrl = new URL(params.get("model") ?? testCase.model, caseUrl);
  const { metadata: meta } = await fetchJson(new URL("model_card.json", modelUrl));
  const session = await ort.InferenceSession.create(modelUrl.href, { executionProviders: ["wasm"] });

  const { frames, window_starts: starts, expected } = testCase.session;
  const [, features] = frames.shape;
  if (features !== meta.feature_names.length) {
    throw new Error(`the session has ${features} features; the model expects ${meta.feature_names.length}`);
  }
  const data = Float32Array.from(frames.data);
  const outputs = Object.fromEntries(session.outputNames.map((name) => [name, []]));
  const latencies = [];
  const rows = document.getElementById("windows");
  statusLine.textContent = `${meta.task}: ${starts.length} windows of ${meta.window} frames at ` +
    `${meta.fps} fps, onnxruntime-web ${ort.env.versions.web} (wasm, 1 thread)`;

  const windowInput = (start) =>
    new ort.Tensor("float32", data.subarray(start * features, (start + meta.window) * features),
      [1, meta.window, features]);
  await session.run({ [meta.input.name]: windowInput(starts[0]) }); // warm-up, not timed
  for (const [index, start] of starts.entries()) {
    const input = windowInput(start);
    const times = [];
    let result;
    for (let r = 0; r < repeat; r++) {
      const begin = performance.now();
      result = await session.run({ [meta.input.name]: input });
      times.push(performance.now() - begin);
    }
    const windowOutputs = {};
    for (const name of session.outputNames) {
      windowOutputs[name] = { data: result[name].data, dims: result[name].dims };
      outputs[name].push(...result[name].data);
    }
    latencies.push(median(times));
    const row = rows.insertRow();
    row.insertCell().textContent = index;
    row.insertCell().textContent = `${start}–${start + meta.window - 1}`;
    row.insertCell().textContent = latencies.at(-1).toFixed(2);
    row.insertCell().textContent = describe(windowOutputs, meta);
  }

  const checks = {};
  for (const [name, want] of Object.entries(expected)) {
    checks[name] = compare(outputs[name] ?? [], want.data, testCase.tolerance);
  }
  const allOk = Object.values(checks).every((check) => check.ok);
  const worst = Math.max(...Object.values(checks).map((check) => check.maxAbsDiff));
  const summary = document.getElementById("summary");
  summary.className = allOk ? "ok" : "bad";
  summary.textContent = `median latency ${median(latencies).toFixed(2)} ms per window; ` +
    `largest difference from Python ONNX Runtime ${worst.toExponential(2)} ` +
    (allOk ? `(within ${testCase.tolerance})` : `(OUT of tolerance ${testCase.tolerance})`);
  return { outputs, latencies, checks, ok: allOk, ortVersion: ort.env.versions.web };
}

window.motionlab = { done: false };
main().then(
  (result) => { window.motionlab = { done: true, ...result }; },
  (error) => {
    statusLine.className = "bad";
    statusLine.textContent = `error: ${error.message}`;
    window.motionlab = { done: true, error: String(error.stack ?? error) };
  },
);
