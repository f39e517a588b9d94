"""``python -m relicboost.cli``."""
import sys

from relicboost.cli import main

sys.exit(main())
