"""`python -m planner ...` is the same as `gwplan ...`."""

import sys

from planner.cli import main

sys.exit(main())
