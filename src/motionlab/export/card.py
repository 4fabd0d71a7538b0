"""The model card next to the ``.onnx`` file: ``model_card.json`` for tools, ``model_card.md`` for people."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Metadata keys every export has; anything else is a task's own setting, listed under the outputs.
STANDARD_KEYS = {
    "task",
    "feature_names",
    "class_names",
    "window",
    "fps",
    "input",
    "outputs",
    "output_mode",
    "normalization",
    "dynamic_axes",
    "opset",
    "monitor",
    "test_metrics",
    "source",
    "motionlab_version",
    "git_commit",
    "exported_at",
    "model_name",
    "model_version",
}


def _source(source: Mapping[str, Any]) -> list[str]:
    """The run and checkpoint, or an ensemble's members."""
    if "ensemble" not in source:
        return [f"- run: `{source['run_dir']}`", f"- checkpoint: `{source['checkpoint']}`"]
    ensemble = source["ensemble"]
    return [
        f"- ensemble ({ensemble['kind']}) averaging {len(ensemble['members'])} members:",
        *(f"  - run `{m['run_dir']}`, checkpoint `{m['checkpoint']}`" for m in ensemble["members"]),
    ]


def render_markdown(card: Mapping[str, Any]) -> str:
    """A readable summary of ``model_card.json``: inputs, outputs, source, parity, quantisation, latency."""
    meta = card["metadata"]
    monitor = meta.get("monitor") or {}
    source = meta["source"]
    lines = [
        f"# {meta['task']} — {card['files']['model']['name']}",
        "",
        f"Model `{meta['model_name']}`, "
        + (f"version {meta['model_version']}." if meta["model_version"] is not None else "not registered."),
        "",
        f"Exported {meta['exported_at']} by motionlab {meta['motionlab_version']} "
        f"(commit {meta.get('git_commit') or 'unknown'}), ONNX opset {meta['opset']}, outputs: "
        f"{meta['output_mode']}.",
        "",
        "## Source",
        "",
        *_source(source),
        f"- monitored metric: {monitor.get('metric')} ({monitor.get('mode')}) = {monitor.get('value')}",
    ]
    if "sweep" in source:
        sweep = source["sweep"]
        lines.append(f"- sweep: study `{sweep['study']}`, trial {sweep['trial']}, value {sweep['value']}")
    lines += ["", "## Input", ""]
    shape = meta["input"]["shape"]
    lines.append(f"`{meta['input']['name']}` float32 `{shape}`: {meta['input']['meaning']}.")
    lines.append(
        f"Window {meta['window']} frames at {meta['fps']} fps; {len(meta['feature_names'])} features "
        f"in this order: {', '.join(meta['feature_names'])}."
    )
    lines.append(f"Normalisation inside the graph: {meta['normalization']['formula']}.")
    if meta.get("calibration"):
        calibration = meta["calibration"]
        names = " and ".join(f"`{name}`" for name in calibration["inputs"])
        checked = card.get("calibration_verification") or {}
        lines.append(
            f"Per-person calibration inputs {names} (float32 `{calibration['shape']}`, required): "
            f"{calibration['how']}."
            + (f" Verified against PyTorch: max |difference| {max(checked.values()):.2g}." if checked else "")
        )
    if meta.get("class_names"):
        lines.append(f"Classes: {', '.join(meta['class_names'])}.")
    lines += ["", "## Outputs", "", "| name | shape | meaning |", "|---|---|---|"]
    for name, output in meta["outputs"].items():
        lines.append(f"| `{name}` | `{output['shape']}` | {output['description']} |")
    extras = {
        key: value
        for key, value in meta.items()
        if key not in STANDARD_KEYS and not isinstance(value, dict | list)
    }
    if extras:
        lines += ["", "Task settings: " + ", ".join(f"{k} = {v}" for k, v in extras.items()) + "."]
    lines += _test_metrics(meta.get("test_metrics") or {})
    lines += _verification(card["verification"])
    for length, why in card.get("lengths_pytorch_rejects", {}).items():
        lines.append(f"Not verified at {length} frames: PyTorch itself cannot run it ({why}).")
    if card.get("quantization"):
        lines += _quantization(card["quantization"])
    if card.get("streaming"):
        lines += _streaming(card["streaming"])
    if card.get("latency"):
        lines += _latency(card["latency"])
    lines += ["", "## Files", ""]
    for entry in card["files"].values():
        lines.append(f"- `{entry['name']}`: {entry['bytes'] / 1024:.1f} KiB, sha256 {entry['sha256'][:16]}…")
    return "\n".join(lines) + "\n"


def _test_metrics(metrics: Mapping[str, float]) -> list[str]:
    """The run's test metrics (per-output breakdowns such as ``mae/<joint>`` left to the JSON card),
    and for a policy its closed-loop error against the policies that need no training."""
    shown = {name: value for name, value in metrics.items() if name.count("/") <= 1 or "/baseline/" in name}
    if not shown:
        return []
    lines = ["", "## Test metrics (best checkpoint, PyTorch)", "", "| metric | value |", "|---|---|"]
    lines += [f"| `{name}` | {value:.4g} |" for name, value in shown.items()]
    ratio = metrics.get("test/rollout_ratio")
    if ratio is not None:
        verdict = "better than" if ratio < 1 else "no better than"
        lines += [
            "",
            f"Closed-loop rollout error = **{ratio:.2f} x** the best policy that needs no training "
            f"(hold the first pose, hold the mean pose, keep the start velocity): {verdict} standing still.",
        ]
    return lines


def _verification(report: Mapping[str, Any]) -> list[str]:
    lines = [
        "",
        "## Verification (ONNX Runtime vs PyTorch)",
        "",
        f"Passed with tolerance {report['tolerance']:g}; largest difference {report['max_abs_diff']:.2g}.",
        "",
        "| case | input shape | max abs diff |",
        "|---|---|---|",
    ]
    for case in report["cases"]:
        worst = max(case["max_abs_diff"].values(), default=0.0)
        lines.append(f"| {case['name']} | `{case['shape']}` | {worst:.2g} |")
    return lines


def _quantization(quantization: Mapping[str, Any]) -> list[str]:
    lines = ["", "## int8 dynamic quantisation", ""]
    ops = quantization["op_types"] or "ONNX Runtime's default set"
    cpu = quantization["cpu"]
    tolerances = quantization["tolerances"]
    lines.append(
        f"Status: {quantization['status']}; quantised ops: {ops}; size "
        f"{quantization['size_ratio']:.2f}× of fp32. Checked on {cpu['cpu']} ({cpu['machine']}, int8 "
        f"instructions: {', '.join(cpu['int8_extensions']) or 'none found'}); int8 results differ "
        f"between CPUs. Agreement with fp32 on {quantization['windows']} test windows, within "
        f"top-1 ≥ {tolerances['min_top1_agreement']:g} and max diff ≤ "
        f"{tolerances['max_probability_diff']:g} for probabilities, max diff ≤ "
        f"{tolerances['max_relative_error']:g} × the output's test-split spread for other values:"
    )
    lines += [
        "",
        "| output | kind | max abs diff | top-1 agreement | diff / spread | within tolerance |",
        "|---|---|---|---|---|---|",
    ]
    for name, entry in quantization["agreement"].items():
        top1 = entry.get("top1_agreement")
        relative = entry.get("relative_error")
        lines.append(
            f"| `{name}` | {entry['kind']} | {entry['max_abs_diff']:.3g} | "
            f"{'—' if top1 is None else f'{top1:.4f}'} | {'—' if relative is None else f'{relative:.3g}'} | "
            f"{'yes' if entry['passed'] else 'no'} |"
        )
    return lines


def _streaming(streaming: Mapping[str, Any]) -> list[str]:
    report, latency = streaming["verification"], streaming["latency"]
    lines = [
        "",
        f"## Streaming (`{streaming['file']}`)",
        "",
        f"One frame in (`{streaming['input']['name']}` `{streaming['input']['shape']}`), the state kept "
        "between frames: feed each `next_state_*` output back as the `state_*` input of the next frame, "
        "zeros at a stream's first frame. Per-frame outputs have a time axis of 1: "
        f"{', '.join(streaming['per_frame_outputs']) or 'none'}.",
        "",
        "| state | shape |",
        "|---|---|",
        *(f"| `{entry['input']}` | `{['batch', *entry['shape']]}` |" for entry in streaming["state"]),
        "",
        f"Verified against {report['reference']} on {report['stream'][0]} streams of "
        f"{report['stream'][1]} test frames: largest difference "
        f"{max(report['max_abs_diff'].values(), default=0.0):.2g} (tolerance {report['tolerance']:g}).",
        f"Latency (batch 1, 1 thread, median of {latency['frames']}): {latency['median_ms']:.3f} ms per "
        f"frame, against {latency['windowed']['median_ms']:.3f} ms for the windowed model's window.",
    ]
    return lines


def _latency(latency: Mapping[str, Any]) -> list[str]:
    lines = [
        "",
        "## Latency (CPU, ms per batch, median of "
        f"{latency['iterations']} runs; window {latency['window']} frames)",
        "",
        f"Machine: {latency['machine']}.",
        "",
        "| runtime | batch | threads | median ms | p90 ms |",
        "|---|---|---|---|---|",
    ]
    for row in latency["rows"]:
        lines.append(
            f"| {row['runtime']} | {row['batch']} | {row['threads']} | {row['median_ms']:.3f} | "
            f"{row['p90_ms']:.3f} |"
        )
    return lines
