// A motionlab ONNX export in the browser with onnxruntime-web (wasm, 1 thread): the model and its
// model_card.json (feature order, window, labels, what each output means: onnxruntime-web does not
// expose the model's metadata_props), then a recorded session run window by window at batch 1, as an
// app does it, with the app outputs and the latency of every window. A run exported with
// export.streaming=true also has model.streaming.onnx: the page then feeds it the same session one
// frame at a time, keeping its state, and shows its per-frame latency.
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
  const card = await fetchJson(new URL("model_card.json", modelUrl));
  const meta = card.metadata;
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
  // a model with per-person calibration inputs (experiment=imu_per_person): the person's, from the case
  const calibration = Object.fromEntries(Object.entries(testCase.calibration ?? {}).map(
    ([name, value]) => [name, new ort.Tensor("float32", Float32Array.from(value.data), value.shape)]));
  await session.run({ [meta.input.name]: windowInput(starts[0]), ...calibration }); // warm-up, not timed
  for (const [index, start] of starts.entries()) {
    const input = windowInput(start);
    const times = [];
    let result;
    for (let r = 0; r < repeat; r++) {
      const begin = performance.now();
      result = await session.run({ [meta.input.name]: input, ...calibration });
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

  const windowed = { outputs, latencies, ...check(outputs, expected, testCase.tolerance) };
  report("summary", `median latency ${median(latencies).toFixed(2)} ms per window`, windowed,
    testCase.tolerance);
  const streaming = testCase.streaming &&
    await stream(testCase, new URL(testCase.streaming.model, caseUrl), card.streaming, data, frames.shape);
  if (streaming) {
    report("streaming", `streaming (${testCase.streaming.model}, one frame at a time, state kept): ` +
      `median ${median(streaming.latencies).toFixed(3)} ms per frame`, streaming, testCase.tolerance);
  }
  const ok = windowed.ok && (!streaming || streaming.ok);
  return { ...windowed, ok, streaming, ortVersion: ort.env.versions.web };
}

// Every output against Python ONNX Runtime's: per output {maxAbsDiff, ok}, and whether all are ok.
function check(outputs, expected, tolerance) {
  const checks = {};
  for (const [name, want] of Object.entries(expected)) {
    checks[name] = compare(outputs[name] ?? [], want.data, tolerance);
  }
  return { checks, ok: Object.values(checks).every((entry) => entry.ok) };
}

function report(elementId, text, result, tolerance) {
  const worst = Math.max(...Object.values(result.checks).map((entry) => entry.maxAbsDiff));
  const element = document.getElementById(elementId);
  element.className = result.ok ? "ok" : "bad";
  element.textContent = `${text}; largest difference from Python ONNX Runtime ${worst.toExponential(2)} ` +
    (result.ok ? `(within ${tolerance})` : `(OUT of tolerance ${tolerance})`);
}

// The streaming export: every frame of the session in turn, each state output fed back as the next
// frame's state input (zeros at the first frame, as model_card.json's streaming.state says).
async function stream(testCase, modelUrl, card, data, [length, features]) {
  const session = await ort.InferenceSession.create(modelUrl.href, { executionProviders: ["wasm"] });
  let state = Object.fromEntries(card.state.map((entry) => {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    return [entry.input, new ort.Tensor("float32", new Float32Array(size), [1, ...entry.shape])];
  }));
  const names = session.outputNames.filter((name) => !name.startsWith("next_state_"));
  const outputs = Object.fromEntries(names.map((name) => [name, []]));
  const latencies = [];
  for (let t = 0; t < length; t++) {
    const frame = new ort.Tensor("float32", data.subarray(t * features, (t + 1) * features), [1, 1, features]);
    const begin = performance.now();
    const result = await session.run({ [card.input.name]: frame, ...state });
    latencies.push(performance.now() - begin);
    state = Object.fromEntries(card.state.map((entry) => [entry.input, result[entry.output]]));
    for (const name of names) outputs[name].push(...result[name].data);
  }
  return { outputs, latencies, ...check(outputs, testCase.streaming.expected, testCase.tolerance) };
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
