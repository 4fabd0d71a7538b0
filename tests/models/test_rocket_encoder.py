"""RocketEncoder: fixed MiniRocket-style kernels, biases and standardisation fitted from training
windows, saved in the checkpoint and exported to ONNX."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
import torch.nn.functional as F
from hydra.utils import instantiate

from motionlab.errors import ConfigError
from motionlab.export.graph import INPUT_NAME, ExportGraph
from motionlab.export.onnx_export import export_onnx
from motionlab.models.encoders import RocketEncoder
from motionlab.models.encoders.rocket import BASE_KERNELS, base_kernels, row_quantiles
from motionlab.runs.sources import load_task
from motionlab.tasks.common.ridge import ridge_classifier
from motionlab.training.run import train
from tests.helpers import POSE_TINY


def fitted(input_dim: int = 3, frames: int = 40, seed: int = 1) -> tuple[RocketEncoder, torch.Tensor]:
    encoder = RocketEncoder(input_dim, num_features=500, receptive_field=frames, seed=seed)
    train_windows = torch.randn(30, frames, input_dim, generator=torch.Generator().manual_seed(0))
    encoder.fit_to_data(train_windows)
    return encoder, train_windows


def test_kernels_are_minirocket_s_84_and_nothing_trains():
    kernels = base_kernels()
    assert kernels.shape == (84, 9) and torch.all(kernels.sum(dim=1) == 0)
    assert len({tuple(k.tolist()) for k in kernels}) == 84 and set(kernels.unique().tolist()) == {-1.0, 2.0}
    encoder, _ = fitted()
    assert list(encoder.parameters()) == []
    assert {"weight", "bias", "mean", "std"} <= set(encoder.state_dict())
    # every convolution reads 1 … 3 of the 3 channels
    channels = encoder.weight.abs().sum(dim=2).gt(0).sum(dim=1)
    assert channels.min() >= 1 and channels.max() <= 3


def test_output_shape_for_any_length_and_convolutions_match_conv1d():
    encoder, _ = fitted()
    assert encoder.output_dim == 84 * 5 * 1  # 500 // 84 = 5 steps of 1 bias
    for frames in (40, 17, 1):
        x = torch.randn(2, frames, 3)
        assert encoder(x).shape == (2, frames, encoder.output_dim)
    x = torch.randn(4, 40, 3)
    reference = torch.cat(
        [
            F.conv1d(x.transpose(1, 2), w, dilation=d, padding=4 * d)
            for w, d in zip(encoder.weight.split(encoder.rows), encoder.dilations, strict=True)
        ],
        dim=1,
    ).transpose(1, 2)
    torch.testing.assert_close(encoder.convolutions(x), reference, atol=1e-5, rtol=1e-5)


def test_mean_pooled_output_is_the_standardised_proportion_of_positive_values():
    encoder, train_windows = fitted()
    x = torch.randn(5, 40, 3)
    ppv = (encoder.convolutions(x).unsqueeze(-1) > encoder.bias).float().mean(dim=1).flatten(1)
    expected = (ppv - encoder.mean.flatten()) / encoder.std.flatten()
    torch.testing.assert_close(encoder(x).mean(dim=1), expected)
    # the pooled path counts per dilation, without the per-frame indicators: the same numbers
    torch.testing.assert_close(encoder.mean_pool(x), expected)
    # fitted on the training windows: their pooled features have mean 0 and std 1 (or are constant)
    pooled = encoder(train_windows).mean(dim=1)
    assert pooled.mean(dim=0).abs().max() < 1e-4
    spread = pooled.std(dim=0, correction=0)
    assert torch.all((spread - 1).abs().lt(1e-3) | spread.eq(0))


def test_biases_are_quantiles_of_training_convolutions_and_follow_the_seed():
    encoder, train_windows = fitted()
    outputs = encoder.convolutions(train_windows)  # every bias lies within the training outputs' range
    low, high = outputs.amin(dim=(0, 1)), outputs.amax(dim=(0, 1))
    assert torch.all((encoder.bias >= low[:, None]) & (encoder.bias <= high[:, None]))
    again, _ = fitted()
    other, _ = fitted(seed=2)
    assert torch.equal(encoder.bias, again.bias) and torch.equal(encoder.weight, again.weight)
    assert not torch.equal(encoder.weight, other.weight)
    rows, levels = torch.randn(4, 30), torch.rand(4, 3)
    expected = torch.stack([torch.quantile(rows[i], levels[i]) for i in range(4)])
    torch.testing.assert_close(row_quantiles(rows, levels), expected)


@pytest.mark.parametrize(
    "features",
    [[], ["model.pools=[ppv,mpv,mipv]", "model.first_difference=true"]],
    ids=["ppv", "multirocket"],
)
def test_a_run_fits_the_encoder_on_training_windows_saves_it_and_exports_it(
    features: list[str], make_config, tmp_path: Path
):
    """A real pose-CSV classification run with model=rocket and the ridge head (experiment=landmarks'
    set-up), with MiniRocket's features or MultiRocket's: the fitted buffers travel in best.ckpt, the
    head's penalty is recorded, and the exported ONNX graph gives PyTorch's probabilities."""
    overrides = [o for o in POSE_TINY if not o.startswith(("model.", "model="))]
    cfg = make_config(
        *overrides,
        "model=rocket",
        "model.num_features=300",
        "model.fit_windows=8",  # fewer than the training windows: a ridge-head run fits on them all
        *features,
        "logger=none",
        "task.hidden=[]",
        "task.head_fit=ridge",
        "task.train_after_fit=false",
        tiny=False,
    )
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed"
    head_fit = summary["details"]["head_fit"]
    assert head_fit["method"] == "ridge" and head_fit["alpha"] in cfg.task.ridge_alphas
    assert 0.5 <= head_fit["val_accuracy"] <= 1.0 and head_fit["windows"] > 0
    # train_after_fit=false: the epochs trained nothing, only validated and wrote the checkpoints, so
    # the best checkpoint's head scores the validation windows as the ridge fit did
    assert len(summary["history"]) == cfg.trainer.max_epochs
    assert not any(name.startswith("train/") for row in summary["history"] for name in row)
    assert summary["history"][0]["val/acc"] == pytest.approx(head_fit["val_accuracy"], abs=1e-6)
    task = load_task(summary["best_checkpoint"], cfg.task._target_)
    encoder = task.encoder
    assert isinstance(encoder, RocketEncoder) and encoder.bias.abs().sum() > 0 and encoder.std.ne(1).any()
    # the head is the ridge fit on every training window's features: the encoder fit's own, reused
    datamodule = instantiate(cfg.data, _convert_="all")
    datamodule.setup("fit")
    split = {
        name: datamodule.windows[name].gather(torch.arange(len(datamodule.windows[name])))
        for name in ("train", "val")
    }
    assert len(split["train"]["x"]) > encoder.fit_windows
    with torch.no_grad():  # the standardisation is every training window's (a ridge head reads them all)
        statistics = encoder.statistics(task.encoder_input(split["train"]["x"]))
    torch.testing.assert_close(statistics.mean(0), encoder.mean.flatten())
    with torch.no_grad():
        pooled = {name: task.pooled_features(batch["x"]) for name, batch in split.items()}
    fit = ridge_classifier(
        pooled["train"],
        split["train"]["label"],
        task.spec.num_classes,
        task.ridge_alphas,
        pooled["val"],
        split["val"]["label"],
    )
    assert torch.equal(task.head[-1].weight, fit.weight.T) and torch.equal(task.head[-1].bias, fit.bias)
    assert head_fit["alpha"] == fit.alpha and head_fit["val_log_loss"] == pytest.approx(fit.val_log_loss)

    graph = ExportGraph(task)
    example = np.random.default_rng(0).normal(size=(4, graph.window, graph.num_features)).astype(np.float32)
    exported = export_onnx(lambda: graph, example, opset=18, fresh_process=False)
    path = tmp_path / "rocket.onnx"
    path.write_bytes(exported.model_bytes)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for frames in (graph.window, 2 * graph.window):
        x = np.random.default_rng(frames).normal(size=(3, frames, graph.num_features)).astype(np.float32)
        (onnx_probs,) = session.run(["class_probs"], {INPUT_NAME: x})
        with torch.no_grad():
            torch_probs = task.predict_outputs(torch.from_numpy(x))["class_probs"].numpy()
        np.testing.assert_allclose(onnx_probs, torch_probs, atol=1e-4)


def statistics_counted(encoder: RocketEncoder, x: torch.Tensor) -> torch.Tensor:
    """The encoder's ``pools`` the unoptimised way, from every convolution's own output (duplicates
    included) compared with its own biases: PPV, the mean excess over the bias where above it (MPV),
    the mean position of those frames in the window from 0 to 1 (MIPV, -1 when none), pool-major."""
    outputs = encoder.convolutions(x).unsqueeze(-1)  # [B, T, convolutions, 1]
    above = (outputs > encoder.bias).to(x.dtype)
    count = above.sum(dim=1)
    position = torch.linspace(0, 1, x.shape[1])[None, :, None, None]
    statistics = {
        "ppv": count / x.shape[1],
        "mpv": (outputs - encoder.bias).clamp(min=0).sum(dim=1) / count.clamp(min=1),
        "mipv": torch.where(count > 0, (above * position).sum(dim=1) / count.clamp(min=1), -1.0),
    }
    return torch.cat([statistics[pool].flatten(1) for pool in encoder.pools], dim=1)


@pytest.mark.parametrize("input_dim", [1, 3])
def test_each_distinct_convolution_is_computed_once_and_gives_every_feature_exactly(input_dim):
    """One channel: every repeat of a dilation is the same convolution, so 84 per dilation remain;
    several channels: only rows that happen to match. The features and their order are unchanged."""
    encoder = RocketEncoder(input_dim, num_features=3000, receptive_field=120, max_dilations=8, seed=3)
    windows = torch.randn(20, 120, input_dim, generator=torch.Generator().manual_seed(4))
    encoder.fit_to_data(windows)
    assert encoder.biases == 4 and len(encoder.dilations) < 8  # dilations repeat, 4 biases per convolution
    distinct = sum(len(torch.unique(rows.flatten(1), dim=0)) for rows in encoder.weight.split(encoder.rows))
    assert len(encoder.distinct_rows) == distinct < encoder.convolutions_count
    if input_dim == 1:
        assert distinct == BASE_KERNELS * len(encoder.dilations)
    else:  # dilation 1's two steps: some kernels drew the same channels twice, most did not
        assert [block.features for block in encoder.blocks if block.dilation == 1] == [4, 8]
    x = torch.randn(7, 120, input_dim)
    for windows_now in (x, windows):
        assert torch.equal(encoder.statistics(windows_now), statistics_counted(encoder, windows_now))
    # the plan follows the weights when a state dict loads (a checkpoint of other kernels)
    other = RocketEncoder(input_dim, num_features=3000, receptive_field=120, max_dilations=8, seed=5)
    other.fit_to_data(windows)
    assert set(other.state_dict()) == {"weight", "bias", "mean", "std"}  # the checkpoint's buffers
    encoder.load_state_dict(other.state_dict())
    assert torch.equal(encoder.statistics(x), statistics_counted(other, x))


def test_the_fit_returns_the_fitted_features_of_its_windows():
    """`fit_to_data` gives the standardised PPVs of the windows it was fitted on, the same numbers
    as `mean_pool` on them afterwards (a ridge head reuses them); without standardisation, none."""
    encoder = RocketEncoder(1, num_features=500, receptive_field=40, seed=1)
    windows = torch.randn(70, 40, 1, generator=torch.Generator().manual_seed(0))  # more than one chunk
    pooled = encoder.fit_to_data(windows)
    assert torch.equal(pooled, encoder.mean_pool(windows))
    ppv = statistics_counted(encoder, windows)
    assert torch.equal(pooled, (ppv - ppv.mean(0)) / ppv.std(0, correction=0).where(ppv.std(0) > 0, 1.0))
    assert RocketEncoder(1, num_features=500, standardize=False).fit_to_data(windows) is None


def test_multirocket_pools_and_the_first_difference_are_standardised_window_statistics():
    pools = ("ppv", "mpv", "mipv")
    encoder = RocketEncoder(
        3, num_features=500, receptive_field=40, seed=1, pools=pools, first_difference=True
    )
    windows = torch.randn(40, 40, 3, generator=torch.Generator().manual_seed(0))
    fitted_features = encoder.fit_to_data(windows)
    assert encoder.output_dim == 2 * 3 * 420 and fitted_features.shape == (40, encoder.output_dim)
    x = torch.randn(5, 40, 3)
    torch.testing.assert_close(encoder.statistics(x), statistics_counted(encoder, x))
    steps = x[:, 1:] - x[:, :-1]
    torch.testing.assert_close(
        encoder.difference.statistics(steps), statistics_counted(encoder.difference, steps)
    )
    expected = torch.cat(
        [
            encoder.standardized(statistics_counted(encoder, x)),
            encoder.difference.standardized(statistics_counted(encoder.difference, steps)),
        ],
        dim=1,
    )
    # (standardising divides float32 rounding by small spreads)
    torch.testing.assert_close(encoder.mean_pool(x), expected, atol=1e-4, rtol=1e-4)
    # the fit returns its windows' features, standardised on them (mean 0, std 1 or constant)
    torch.testing.assert_close(fitted_features, encoder.mean_pool(windows), atol=1e-4, rtol=1e-4)
    assert fitted_features.mean(dim=0).abs().max() < 1e-4
    spread = fitted_features.std(dim=0, correction=0)
    assert torch.all((spread - 1).abs().lt(1e-3) | spread.lt(1e-6))
    # the PPVs come first and are MiniRocket's encoder's; the difference has kernels of its own
    plain = RocketEncoder(3, num_features=500, receptive_field=40, seed=1)
    plain.fit_to_data(windows)
    assert torch.equal(encoder.statistics(x)[:, :420], plain.statistics(x))
    assert not torch.equal(encoder.weight, encoder.difference.weight)
    # window statistics have no per-frame features
    with pytest.raises(ConfigError, match=r"task\.pool=mean"):
        encoder(x)


def test_the_first_difference_can_have_fewer_features_than_the_recording():
    """``difference_features`` sizes the first difference's encoder (experiment=landmarks: 3,000 and
    1,500): 500 → 5 dilation steps × 84 = 420 features, 200 → 2 × 84 = 168."""
    encoder = RocketEncoder(
        3, num_features=500, receptive_field=40, first_difference=True, difference_features=200
    )
    windows = torch.randn(30, 40, 3, generator=torch.Generator().manual_seed(0))
    fitted_features = encoder.fit_to_data(windows)
    assert encoder.difference.output_dim == 168 and encoder.output_dim == 420 + 168
    assert fitted_features.shape == (30, 588)
    steps = windows[:, 1:] - windows[:, :-1]
    torch.testing.assert_close(
        fitted_features[:, 420:], encoder.difference.mean_pool(steps), atol=1e-4, rtol=1e-4
    )


@pytest.mark.parametrize("pools", [(), ("ppv", "ppv"), ("ppv", "lspv")])
def test_unknown_or_repeated_pools_are_refused(pools):
    with pytest.raises(ConfigError, match=r"model\.pools"):
        RocketEncoder(3, num_features=500, pools=pools)
