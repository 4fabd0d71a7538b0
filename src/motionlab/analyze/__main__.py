import sys

from motionlab.analyze.cli import main

sys.exit(main())
