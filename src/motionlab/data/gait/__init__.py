"""Running gait (seed 003): annotations, videos/landmark files → recordings, a synthetic sample."""
