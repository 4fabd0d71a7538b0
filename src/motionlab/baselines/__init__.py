"""Classical baselines fitted beside the deep models, on the same windows (see docs/evaluation.md)."""
