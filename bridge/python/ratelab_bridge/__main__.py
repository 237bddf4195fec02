"""python3 -m ratelab_bridge: serves the step protocol on stdin/stdout."""

import sys

from .serve import main

sys.exit(main())
