"""``python -m ingest.cli``: the same as the ``ingest`` console script (without its quick exit)."""

import sys

from ingest.cli.main import main

sys.exit(main())
