"""Train a model: ``python train.py data=workout model=tcn`` (see configs/train.yaml), the same as
``motionlab train data=workout model=tcn`` (`motionlab.cli.train`)."""

import sys

from motionlab.cli.train import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
