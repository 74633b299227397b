"""`python -m tenku.cli ...` (what torchrun launches): the same as the `tenku` command."""

import sys

from tenku.cli import main

sys.exit(main())
