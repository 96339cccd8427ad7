"""``python -m governed_assistant.local``: see ``governed_assistant.local.cli``."""

from __future__ import annotations

from governed_assistant.local.cli import main

raise SystemExit(main())
