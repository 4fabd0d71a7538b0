"""Tracking sessions (seed 000): the JSON format, its collector, timing checks and a synthetic generator."""
