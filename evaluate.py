"""Evaluate a checkpoint or an ensemble and write its predictions: ``python evaluate.py [run=…|sweep=…|
ensemble.runs=[…]] [split=…] [+data.path=…]`` (see configs/evaluate.yaml), the same as
``motionlab evaluate …`` (`motionlab.cli.evaluate`)."""

import sys

from motionlab.cli.evaluate import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
