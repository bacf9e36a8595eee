"""`python -m portal` runs the `portal` command."""

from __future__ import annotations

from portal.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
