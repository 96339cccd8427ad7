"""``python -m governed_assistant.erasure``: see ``governed_assistant.erasure.cli``."""

import sys

from governed_assistant.erasure.cli import main

sys.exit(main())
