"""Encoders: the shape contract, gradients, determinism, causality, Hydra configs and config errors."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path

import hydra
import pytest
import torch
from omegaconf import OmegaConf

from motionlab.models.encoders import Encoder, MLPEncoder, RecurrentEncoder, TCNEncoder, TransformerEncoder

FEATURES = 5
CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs" / "model"

# Small encoders covering every class and option (causal and not, with and without attention).
ENCODERS: dict[str, Callable[[], Encoder]] = {
    "tcn": lambda: TCNEncoder(FEATURES, channels=16, num_blocks=3, attention_heads=2),
    "tcn_causal": lambda: TCNEncoder(FEATURES, channels=16, num_blocks=3, attention_heads=2, causal=True),
    "tcn_no_attention": lambda: TCNEncoder(FEATURES, channels=16, num_blocks=3, attention_heads=0),
    "lstm": lambda: RecurrentEncoder(FEATURES, "lstm", hidden_size=8, num_layers=2),
    "gru_attention": lambda: RecurrentEncoder(
        FEATURES, "gru", hidden_size=8, num_layers=2, attention_heads=2
    ),
    "lstm_stacked": lambda: RecurrentEncoder(FEATURES, "lstm", hidden_size=[12, 8], num_layers=None),
    "bilstm_attention": lambda: RecurrentEncoder(
        FEATURES, "lstm", hidden_size=8, num_layers=2, bidirectional=True, attention_heads=4
    ),
    "transformer": lambda: TransformerEncoder(FEATURES, d_model=16, num_heads=2, dim_feedforward=32),
    "transformer_causal": lambda: TransformerEncoder(
        FEATURES, d_model=16, num_heads=2, dim_feedforward=32, causal=True
    ),
    "mlp": lambda: MLPEncoder(FEATURES, hidden_sizes=(16, 8), dropout=0.1),
}
CAUSAL = ["tcn_causal", "lstm", "gru_attention", "lstm_stacked", "transformer_causal", "mlp"]
NON_CAUSAL = sorted(set(ENCODERS) - set(CAUSAL))


def build(name: str) -> Encoder:
    torch.manual_seed(0)
    return ENCODERS[name]()


@pytest.mark.parametrize("name", ENCODERS)
@pytest.mark.parametrize(("batch", "frames"), [(2, 30), (3, 17), (1, 1)])
def test_output_is_batch_time_output_dim_for_any_length(name: str, batch: int, frames: int) -> None:
    encoder = build(name)
    out = encoder(torch.randn(batch, frames, FEATURES))
    assert isinstance(encoder, Encoder)
    assert encoder.dynamic_time
    assert out.shape == (batch, frames, encoder.output_dim)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", ENCODERS)
def test_gradients_reach_the_first_layer(name: str) -> None:
    encoder = build(name).train()
    encoder(torch.randn(2, 9, FEATURES)).square().mean().backward()
    for param_name, param in encoder.named_parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all(), param_name
    first_name, first = next(encoder.named_parameters())
    assert first_name.split(".")[0] in {"input_projection", "rnns", "layers"}
    assert first.grad.abs().sum() > 0


@pytest.mark.parametrize("name", ENCODERS)
def test_eval_is_deterministic_with_and_without_autograd(name: str) -> None:
    # Without autograd PyTorch may take a fused attention fast path; it must agree with the regular one.
    encoder = build(name).eval()
    x = torch.randn(2, 11, FEATURES)
    with_grad = encoder(x)
    assert torch.equal(with_grad, encoder(x))
    with torch.no_grad():
        without_grad = encoder(x)
        assert torch.equal(without_grad, encoder(x))
    torch.testing.assert_close(without_grad, with_grad, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("grad_enabled", [True, False], ids=["autograd", "no_grad"])
@pytest.mark.parametrize("name", CAUSAL)
def test_causal_encoders_ignore_future_frames(name: str, grad_enabled: bool) -> None:
    encoder = build(name).eval()
    assert encoder.causal
    x = torch.randn(2, 12, FEATURES)
    k = 5
    perturbed = x.clone()
    perturbed[:, k] += 3.0
    with torch.set_grad_enabled(grad_enabled):
        out, out_perturbed = encoder(x), encoder(perturbed)
    torch.testing.assert_close(out_perturbed[:, :k], out[:, :k], atol=1e-6, rtol=0)
    assert (out_perturbed[:, k] - out[:, k]).abs().amax() > 1e-3


@pytest.mark.parametrize("name", NON_CAUSAL)
def test_non_causal_encoders_see_future_frames(name: str) -> None:
    encoder = build(name).eval()
    assert not encoder.causal
    x = torch.randn(1, 8, FEATURES)  # within the 7-frame reach of the attention-free TCN
    perturbed = x.clone()
    perturbed[:, -1] += 3.0
    assert (encoder(perturbed)[:, 0] - encoder(x)[:, 0]).abs().amax() > 1e-4


@pytest.mark.parametrize(("causal", "first", "last"), [(False, 20 - 7, 20 + 7), (True, 20, 20 + 14)])
def test_tcn_receptive_field_matches_its_dilations(causal: bool, first: int, last: int) -> None:
    # kernel 3, dilations 1, 2, 4: "same" padding reaches 1 + 2 + 4 = 7 frames each way; causal padding
    # reaches 2 * 7 = 14 frames back, so perturbing frame 20 changes exactly frames [first, last].
    torch.manual_seed(0)
    encoder = TCNEncoder(FEATURES, channels=8, num_blocks=3, attention_heads=0, causal=causal).eval()
    x = torch.randn(1, 40, FEATURES)
    perturbed = x.clone()
    perturbed[:, 20] += 3.0
    changed = (encoder(perturbed) - encoder(x)).abs().amax(dim=-1)[0] > 0
    assert changed.nonzero().flatten().tolist() == list(range(first, last + 1))


@pytest.mark.parametrize("causal", [False, True])
def test_tcn_block_dilated_past_the_window_only_sees_padding(causal: bool) -> None:
    torch.manual_seed(0)
    encoder = TCNEncoder(
        FEATURES, channels=8, num_blocks=2, dilation_growth=8, attention_heads=0, causal=causal
    )
    encoder.eval()
    x = torch.randn(2, 8, FEATURES)
    before = encoder(x)
    past_and_future_taps = [0, 1] if causal else [0, 2]  # every tap of the dilation-8 block but frame t's
    with torch.no_grad():
        encoder.blocks[1].conv.weight[..., past_and_future_taps] = 0.0
    torch.testing.assert_close(encoder(x), before, atol=0, rtol=0)


def test_default_tcn_parameter_count_matches_the_architecture() -> None:
    features, channels, blocks, kernel = 25, 128, 8, 3
    layer_norm = 2 * channels
    projection = features * channels + channels
    block = (channels * channels * kernel + channels) + layer_norm
    attention = (3 * channels * channels + 3 * channels) + (channels * channels + channels) + layer_norm
    encoder = TCNEncoder(features)
    assert sum(p.numel() for p in encoder.parameters()) == projection + blocks * block + attention
    assert encoder.output_dim == channels


def test_default_lstm_parameter_count_matches_the_architecture() -> None:
    # Per LSTM layer: 4 gates, each with input and recurrent weights and two biases (PyTorch convention).
    features, hidden = 12, 64

    def layer(n_in: int) -> int:
        return 4 * (hidden * n_in + hidden * hidden + 2 * hidden)

    encoder = RecurrentEncoder(features)
    assert sum(p.numel() for p in encoder.parameters()) == layer(features) + layer(hidden)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("hidden_size", [8, [8, 8]], ids=["int", "list"])
def test_recurrent_encoder_equals_multi_layer_gru(hidden_size: int | list[int], bidirectional: bool) -> None:
    # The encoder stacks single-layer modules (export-friendly); it must equal one nn.GRU(num_layers=2).
    torch.manual_seed(0)
    reference = torch.nn.GRU(FEATURES, 8, 2, batch_first=True, bidirectional=bidirectional).eval()
    encoder = RecurrentEncoder(FEATURES, "gru", hidden_size, num_layers=2, bidirectional=bidirectional).eval()
    for layer, rnn in enumerate(encoder.rnns):
        for name, param in rnn.named_parameters():
            param.data.copy_(getattr(reference, name.replace("_l0", f"_l{layer}")))
    x = torch.randn(2, 10, FEATURES)
    torch.testing.assert_close(encoder(x), reference(x)[0])


def test_recurrent_output_dim_follows_last_layer_and_direction() -> None:
    assert RecurrentEncoder(FEATURES, hidden_size=[128, 64], num_layers=2).output_dim == 64
    bidirectional = RecurrentEncoder(FEATURES, hidden_size=[16, 8], num_layers=None, bidirectional=True)
    assert bidirectional.output_dim == 16
    assert bidirectional(torch.randn(2, 7, FEATURES)).shape == (2, 7, 16)


def test_mlp_encoder_treats_frames_independently() -> None:
    encoder = build("mlp").eval()
    x = torch.randn(3, 6, FEATURES)
    per_frame = torch.cat([encoder(x[:, t : t + 1]) for t in range(x.shape[1])], dim=1)
    torch.testing.assert_close(encoder(x), per_frame)


@pytest.mark.parametrize("name", ENCODERS)
def test_ordered_blocks_partition_the_parameters_with_the_input_layer_first(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every parameter is in exactly one block, and the parameters whose shape depends on the number of
    input features are all in the first block (what fine-tuning skips when the features differ)."""
    encoder = build(name)
    blocks = encoder.ordered_blocks()
    in_blocks = [id(p) for block in blocks for p in block.parameters()]
    assert len(blocks) >= 2 and sorted(in_blocks) == sorted(id(p) for p in encoder.parameters())
    monkeypatch.setitem(globals(), "FEATURES", FEATURES + 3)  # the builders read FEATURES when called
    wider = build(name)
    changed = {
        n
        for (n, p), q in zip(encoder.named_parameters(), wider.parameters(), strict=True)
        if p.shape != q.shape
    }
    names = {id(p): n for n, p in encoder.named_parameters()}
    assert changed and changed <= {names[id(p)] for p in blocks[0].parameters()}


CONFIGS = sorted(CONFIG_DIR.glob("*.yaml"))


def test_config_folder_is_not_empty() -> None:
    assert len(CONFIGS) >= 6


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: path.stem)
def test_model_config_instantiates_and_runs(path: Path) -> None:
    config = OmegaConf.load(path)
    encoder = hydra.utils.instantiate(config, input_dim=25).eval()
    assert isinstance(encoder, Encoder)
    with torch.no_grad():
        assert encoder(torch.randn(2, 30, 25)).shape == (2, 30, encoder.output_dim)


def test_lstm_config_with_a_list_override_builds_seed_001_stack() -> None:
    config = OmegaConf.load(CONFIG_DIR / "lstm.yaml")
    encoder = hydra.utils.instantiate(config, input_dim=7, hidden_size=[128, 64], dropout=0.3)
    assert [rnn.hidden_size for rnn in encoder.rnns] == [128, 64]
    assert encoder.output_dim == 64 and encoder.dropout.p == 0.3


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: path.stem)
def test_model_config_states_every_hyperparameter_and_nothing_else(path: Path) -> None:
    config = OmegaConf.to_container(OmegaConf.load(path))
    target = hydra.utils.get_class(config.pop("_target_"))
    hyperparameters = set(inspect.signature(target).parameters) - {"input_dim"}
    assert set(config) == hyperparameters


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: RecurrentEncoder(FEATURES, cell="rnn"),
            r"unknown cell 'rnn'; valid cells are 'gru', 'lstm'",
        ),
        (lambda: RecurrentEncoder(FEATURES, hidden_size=8, bidirectional=True, attention_heads=3), r"3.*16"),
        (lambda: RecurrentEncoder(FEATURES, hidden_size=[8, 4, 4], num_layers=2), r"3 layers.*num_layers=2"),
        (lambda: RecurrentEncoder(FEATURES, hidden_size=[]), r"empty"),
        (lambda: TCNEncoder(FEATURES, channels=10, attention_heads=4), r"num_heads=4 .* divisor .* 10"),
        (lambda: TransformerEncoder(FEATURES, d_model=16, num_heads=3), r"num_heads=3 .* divisor .* 16"),
        (lambda: TransformerEncoder(FEATURES, d_model=15, num_heads=3), r"even dimension, got 15"),
        (lambda: MLPEncoder(FEATURES, activation="swish"), r"unknown activation 'swish'"),
        (lambda: MLPEncoder(FEATURES, hidden_sizes=()), r"empty"),
    ],
    ids=[
        "cell",
        "recurrent_heads",
        "layers_mismatch",
        "no_layers",
        "tcn_heads",
        "transformer_heads",
        "odd_d_model",
        "activation",
        "mlp_empty",
    ],
)
def test_bad_configuration_raises_a_clear_error(make: Callable[[], Encoder], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()
