"""Figures for TensorBoard and notebooks (matplotlib, imported only when a figure is drawn)."""
