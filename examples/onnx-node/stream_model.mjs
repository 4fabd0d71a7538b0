// Run a motionlab streaming export (export.streaming=true) with onnxruntime-node, one frame at a time.
//
//   node stream_model.mjs <model.streaming.onnx> <case.json>
//
// The streaming model takes one frame ([1, 1, F]) and its state, and returns the outputs for that
// frame and the next state; model_card.json's `streaming.state` lists the state tensors (zeros at a
// stream's first frame). This feeds case.json's recorded session (python -m motionlab.export.case)
// frame by frame, keeping the state, and compares every output with Python ONNX Runtime's
// (case.streaming.expected). Prints one JSON line per output ({output, maxAbsDiff, ok}) and one with
// the per-frame latency; exits 1 on any mismatch.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import ort from "onnxruntime-node";

const [modelPath, casePath] = process.argv.slice(2);
if (!modelPath || !casePath) {
  console.error("usage: node stream_model.mjs <model.streaming.onnx> <case.json>");
  process.exit(2);
}
const { streaming } = JSON.parse(readFileSync(join(dirname(modelPath), "model_card.json"), "utf8"));
const testCase = JSON.parse(readFileSync(casePath, "utf8"));
const [length, features] = testCase.session.frames.shape;
const frames = Float32Array.from(testCase.session.frames.data);

const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 });
let state = Object.fromEntries(streaming.state.map((entry) => {
  const size = entry.shape.reduce((a, b) => a * b, 1);
  return [entry.input, new ort.Tensor("float32", new Float32Array(size), [1, ...entry.shape])];
}));
const names = session.outputNames.filter((name) => !name.startsWith("next_state_"));
const outputs = Object.fromEntries(names.map((name) => [name, []]));
const latencies = [];
for (let t = 0; t < length; t++) {
  const frame = new ort.Tensor("float32", frames.subarray(t * features, (t + 1) * features), [1, 1, features]);
  const begin = performance.now();
  const result = await session.run({ [streaming.input.name]: frame, ...state });
  latencies.push(performance.now() - begin);
  state = Object.fromEntries(streaming.state.map((entry) => [entry.input, result[entry.output]]));
  for (const name of names) outputs[name].push(...result[name].data);
}

let allOk = true;
for (const [name, expected] of Object.entries(testCase.streaming.expected)) {
  const got = outputs[name] ?? [];
  let maxAbsDiff = got.length === expected.data.length ? 0 : Infinity;
  let ok = Number.isFinite(maxAbsDiff);
  got.forEach((value, i) => {
    const diff = Math.abs(value - expected.data[i]);
    maxAbsDiff = Math.max(maxAbsDiff, diff);
    if (!(diff <= testCase.tolerance * Math.max(1, Math.abs(expected.data[i])))) ok = false;
  });
  allOk &&= ok;
  console.log(JSON.stringify({ output: name, maxAbsDiff, ok }));
}
latencies.sort((a, b) => a - b);
console.log(JSON.stringify({ frames: length, medianMsPerFrame: latencies[length >> 1] }));
process.exit(allOk ? 0 : 1);
