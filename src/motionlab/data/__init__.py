"""Readers per data format feeding one windowing/splitting engine; `formats()` lists the formats."""

from motionlab.data.registry import DataFormat, data_format, formats

__all__ = ["DataFormat", "data_format", "formats"]
