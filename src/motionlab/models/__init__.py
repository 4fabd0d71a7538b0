"""Encoders (sequence → per-frame features), heads and losses shared by every task."""
