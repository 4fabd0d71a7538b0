"""Pose CSVs (seed 001): per-frame feature exports with configurable column roles, and a sample generator."""
