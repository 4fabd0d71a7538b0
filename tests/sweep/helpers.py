"""Settings shared by the sweep tests."""

from tests.helpers import TINY

# A trial in well under a second of CPU: TINY, 4 training and 2 validation batches, no test pass.
TINY_TRIAL = [
    *TINY,
    "+trainer.limit_train_batches=4",
    "+trainer.limit_val_batches=2",
    "test=false",
    "logger=none",
]
