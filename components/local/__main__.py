# Managed by the governed-assistant template; `copier update` refreshes this file.
"""``python -m components.local``: see ``components.local.cli``."""

from __future__ import annotations

from components.local.cli import main

raise SystemExit(main())
