"""Thin entry point: `python server.py` is `portal serve`."""

from __future__ import annotations

import sys

from portal.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["serve", *sys.argv[1:]]))
