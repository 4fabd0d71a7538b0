"""Heads: MLPHead layout and numbers, SequencePool modes on hand examples."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from motionlab.models.heads import MLPHead, SequencePool


def test_mlp_head_layout_and_parameter_count() -> None:
    head = MLPHead(4, [8, 6], 3, dropout=0.1, activation="gelu")
    assert [type(layer) for layer in head] == [nn.Linear, nn.GELU, nn.Dropout] * 2 + [nn.Linear]
    assert sum(p.numel() for p in head.parameters()) == (4 * 8 + 8) + (8 * 6 + 6) + (6 * 3 + 3)
    assert head[2].p == 0.1


def test_mlp_head_input_dropout_comes_first_and_only_when_asked() -> None:
    head = MLPHead(4, [8], 3, dropout=0.2, input_dropout=0.3)
    assert [type(layer) for layer in head] == [nn.Dropout, nn.Linear, nn.ReLU, nn.Dropout, nn.Linear]
    assert head[0].p == 0.3 and head[3].p == 0.2
    torch.manual_seed(0)
    x = torch.ones(2000, 4)
    # in training mode whole input features are zeroed (before the first Linear sees them) ...
    dropped = (head[0](x) == 0).float().mean().item()
    assert dropped == pytest.approx(0.3, abs=0.03)
    # ... and evaluation mode is deterministic
    head.eval()
    assert torch.equal(head(x[:3]), head(x[:3]))
    # without it the layout (and so the state-dict keys of existing checkpoints) is unchanged
    assert [type(layer) for layer in MLPHead(4, [8], 3)] == [nn.Linear, nn.ReLU, nn.Dropout, nn.Linear]


def test_mlp_head_acts_on_the_last_axis() -> None:
    head = MLPHead(4, [8], 3)
    assert head(torch.randn(2, 4)).shape == (2, 3)
    assert head(torch.randn(2, 7, 4)).shape == (2, 7, 3)


def test_mlp_head_without_hidden_layers_is_linear() -> None:
    head = MLPHead(4, [], 2)
    assert len(head) == 1 and isinstance(head[0], nn.Linear)


def test_mlp_head_hand_example() -> None:
    # identity hidden layer, ReLU zeroes the negative feature, output = sum + 0.5
    head = MLPHead(2, [2], 1)
    with torch.no_grad():
        head[0].weight.copy_(torch.eye(2))
        head[0].bias.zero_()
        head[3].weight.fill_(1.0)
        head[3].bias.fill_(0.5)
    assert head(torch.tensor([[1.0, -2.0], [3.0, 4.0]])).flatten().tolist() == [1.5, 7.5]


def test_mlp_head_unknown_activation() -> None:
    with pytest.raises(
        ValueError, match=r"unknown activation 'elu'; valid activations are 'relu', 'gelu', 'tanh'"
    ):
        MLPHead(4, [8], 2, activation="elu")
    with pytest.raises(ValueError, match=r"unknown activation 'elu'"):
        MLPHead(4, [], 2, activation="elu")


FRAMES = torch.tensor([[[1.0, 5.0], [3.0, -1.0], [2.0, 0.0]]])  # [B=1, T=3, D=2]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("mean", [2.0, 4.0 / 3.0]), ("last", [2.0, 0.0]), ("max", [3.0, 5.0])],
)
def test_sequence_pool_hand_example(mode: str, expected: list[float]) -> None:
    torch.testing.assert_close(SequencePool(2, mode)(FRAMES), torch.tensor([expected]))


def test_attention_pool_weights_sum_to_one_and_weight_the_frames() -> None:
    torch.manual_seed(0)
    pool = SequencePool(4, "attention")
    x = torch.randn(3, 7, 4)
    weights = pool.attention_weights(x)
    assert weights.shape == (3, 7)
    assert (weights > 0).all()
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(3))
    torch.testing.assert_close(pool(x), (weights.unsqueeze(-1) * x).sum(dim=1))


def test_attention_pool_with_zero_scores_is_mean_and_with_large_scores_picks_the_top_frame() -> None:
    pool = SequencePool(2, "attention")
    with torch.no_grad():
        pool.score.weight.zero_()
    torch.testing.assert_close(pool(FRAMES), FRAMES.mean(dim=1))
    with torch.no_grad():
        pool.score.weight.copy_(torch.tensor([[100.0, 0.0]]))  # score = 100 * first feature: frame 1 wins
    torch.testing.assert_close(pool(FRAMES), FRAMES[:, 1])


def test_attention_pool_gets_gradients() -> None:
    pool = SequencePool(4, "attention")
    pool(torch.randn(2, 5, 4)).square().sum().backward()
    assert pool.score.weight.grad.abs().sum() > 0


def test_sequence_pool_unknown_mode() -> None:
    with pytest.raises(
        ValueError, match=r"unknown pool mode 'sum'; valid modes are 'mean', 'last', 'max', 'attention'"
    ):
        SequencePool(4, "sum")


def test_attention_weights_only_in_attention_mode() -> None:
    with pytest.raises(ValueError, match=r"only in 'attention' mode"):
        SequencePool(4, "mean").attention_weights(torch.randn(1, 3, 4))
