"""``python -m motionlab VERB …``: the ``motionlab`` command."""

import sys

from motionlab.cli.main import main

sys.exit(main())
