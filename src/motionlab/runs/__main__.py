"""``python -m motionlab.runs``: the run index (`motionlab.runs.index`)."""

import sys

from motionlab.runs.index import main

sys.exit(main())
