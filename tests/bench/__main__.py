"""`make bench`: run the benchmarks by hand; they print figures, they assert nothing.

python -m tests.bench            # every benchmark
python -m tests.bench ssh        # sessions: memory, first frame, keystrokes
python -m tests.bench checkout   # checkouts per second, order history latency
"""

from __future__ import annotations

import importlib
import sys

BENCHES = {"ssh": "tests.bench.bench_ssh", "checkout": "tests.bench.bench_checkout"}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHES)
    for name in names:
        try:
            module = importlib.import_module(BENCHES[name])
        except ModuleNotFoundError as exc:
            print(f"[{name}] not available: {exc}")
            continue
        print(f"\n=== {name} ===", flush=True)
        module.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
