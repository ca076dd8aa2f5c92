"""``python -m tecmodel`` runs the command line."""

import sys

from tecmodel.cli.main import main

sys.exit(main())
