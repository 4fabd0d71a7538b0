"""Workout sessions: the on-disk format (25 joint angles per frame) and a synthetic generator."""
