"""``train.log`` holds what the terminal showed of a real run: tables, warnings, Lightning's messages and
the final line, without progress-bar redraws."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from motionlab.training.run import train


@pytest.mark.slow
def test_train_log_holds_the_terminals_tables_warnings_and_final_line(make_config):
    cfg = make_config(
        "trainer.enable_progress_bar=true",  # the tiny settings turn both off; a real run has them
        "trainer.enable_model_summary=true",
        "+trainer.limit_train_batches=3",
    )
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    summary = json.loads((run_dir / "summary.json").read_text())
    text = (run_dir / "train.log").read_text()

    assert "data: built-in sample" in text
    assert "│ train │" in text and "windows" in text  # the data report table
    assert "Trainable params" in text  # the model summary
    assert (
        "[lightning.pytorch.utilities.rank_zero][INFO] - `Trainer.fit` stopped: `max_epochs=1` reached."
        in text
    )
    assert "[motionlab.terminal][WARNING]" in text and "smaller than the logging interval" in text
    assert "test metric" in text
    assert "│ test/acc" in text and f"{summary['test_metrics']['test/acc']:.6g}" in text
    last = text.rstrip().splitlines()[-1]
    assert "[motionlab.training.run][INFO] - run completed (max_epochs) after 1 epoch(s)" in last
    assert f"best val/loss {summary['best_score']:.6g}" in last and str(run_dir) in last
    # no progress bar: no redraws, no escape codes, no epoch counters
    assert "\x1b" not in text and "\r" not in text and "Epoch 0" not in text and "it/s" not in text
