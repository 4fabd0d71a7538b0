"""The one place that touches torch's private LSTM/GRU export patches.

Under ``torch.onnx.export(dynamo=True)`` (torch 2.13) an LSTM followed by another LSTM or by
attention, and a bidirectional GRU stack, silently fix the time axis to the example's length
(pytorch/pytorch#191855). The context managers in ``torch.export._patches`` decompose the recurrent
ops into a ``while_loop`` whose trip count follows the input, which keeps the time axis dynamic.
They are private API: when a torch release drops them, export still runs (with a warning) and the
verification at other sequence lengths reports any axis that became fixed.
"""

from __future__ import annotations

import contextlib
import importlib
import warnings
from collections.abc import Iterator

PATCH_MODULE = "torch.export._patches"
PATCH_NAMES = ("register_lstm_while_loop_decomposition", "register_gru_while_loop_decomposition")


@contextlib.contextmanager
def recurrent_export_patches() -> Iterator[list[str]]:
    """Apply every available recurrent while-loop decomposition for the duration of an export.

    Yields the names of the patches applied (empty when torch no longer has them).
    """
    try:
        module = importlib.import_module(PATCH_MODULE)
    except ImportError:
        module = None
    available = [name for name in PATCH_NAMES if callable(getattr(module, name, None))]
    missing = sorted(set(PATCH_NAMES) - set(available))
    if missing:
        warnings.warn(
            f"{PATCH_MODULE} has no {', '.join(missing)} in this torch version: LSTM/GRU models may "
            "export with a fixed time axis; the verification at other sequence lengths will say so",
            RuntimeWarning,
            stacklevel=3,
        )
    with contextlib.ExitStack() as stack:
        for name in available:
            stack.enter_context(getattr(module, name)())
        yield available
