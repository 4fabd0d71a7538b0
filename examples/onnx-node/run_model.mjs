// Run a motionlab ONNX export with onnxruntime-node: no Python, no PyTorch.
//
//   node run_model.mjs <model.onnx> <case.json>
//
// The model's metadata (feature order, window, frame rate, class names, what each output means) is
// in model_card.json next to the .onnx file (and, as JSON strings, in the model's metadata_props).
// case.json holds one input batch and the outputs PyTorch computed for it:
//   {"input": {"shape": [B, T, F], "data": [...]}, "expected": {name: {"shape": [...], "data": [...]}},
//    "tolerance": 1e-4}
// Prints one JSON line per output ({output, shape, maxAbsDiff, ok}) and exits 1 on any mismatch.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import ort from "onnxruntime-node";

const [modelPath, casePath] = process.argv.slice(2);
if (!modelPath || !casePath) {
  console.error("usage: node run_model.mjs <model.onnx> <case.json>");
  process.exit(2);
}
const { metadata } = JSON.parse(readFileSync(join(dirname(modelPath), "model_card.json"), "utf8"));
const testCase = JSON.parse(readFileSync(casePath, "utf8"));
const [batch, frames, features] = testCase.input.shape;
if (features !== metadata.feature_names.length) {
  console.error(`input has ${features} features; the model expects ${metadata.feature_names.length}: ` +
    metadata.feature_names.join(", "));
  process.exit(2);
}
console.error(`${metadata.task}: ${batch} window(s) of ${frames} frames at ${metadata.fps} fps ` +
  `(trained on ${metadata.window}-frame windows)`);

const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 });
const input = new ort.Tensor("float32", Float32Array.from(testCase.input.data), testCase.input.shape);
// a model with per-person calibration inputs (experiment=imu_per_person): the person's, from the case
const calibration = Object.fromEntries(Object.entries(testCase.calibration ?? {}).map(
  ([name, value]) => [name, new ort.Tensor("float32", Float32Array.from(value.data), value.shape)]));
const outputs = await session.run({ [metadata.input.name]: input, ...calibration });

let allOk = true;
for (const [name, expected] of Object.entries(testCase.expected)) {
  const got = outputs[name];
  const sameShape = got !== undefined && got.dims.join(",") === expected.shape.join(",");
  let maxAbsDiff = sameShape ? 0 : Infinity;
  let ok = sameShape;
  if (sameShape) {
    got.data.forEach((value, i) => {
      const diff = Math.abs(value - expected.data[i]);
      maxAbsDiff = Math.max(maxAbsDiff, diff);
      if (!(diff <= testCase.tolerance * Math.max(1, Math.abs(expected.data[i])))) ok = false;
    });
  }
  allOk &&= ok;
  console.log(JSON.stringify({ output: name, shape: got ? got.dims : null, maxAbsDiff, ok }));
}
process.exit(allOk ? 0 : 1);
