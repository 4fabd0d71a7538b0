"""Readers per data format feeding one windowing/splitting engine."""
