"""`make bench`: run the benchmarks by hand; they print figures, they assert nothing.

python -m tests.bench                    # every benchmark, with its defaults
python -m tests.bench ssh [options]      # sessions: memory, first frame, keystrokes
python -m tests.bench checkout [options] # checkouts per second, order history latency
python -m tests.bench abuse [options]    # connection flood from one address, logins from another
python -m tests.bench input [options]    # type-ahead overhead, keystrokes during a guest flood
python -m tests.bench logins [options]   # 50 logins at once: time to home screen, loop lag
python -m tests.bench directory [options] # member search at 100,000 members (p50/p99)
python -m tests.bench sftp [options]     # 10 MB SFTP upload (MB/s), keystrokes meanwhile
python -m tests.bench import [options]   # CSV import of 10,000 members: rows/s, loop lag
python -m tests.bench dashboard [options] # dashboard queries at 100k members, 1M ledger rows
python -m tests.bench appstart [options] # CPU one app needs to draw its home screen (+ --profile)
python -m tests.bench scale [options]    # 2,000 sessions, 100 typing, then a blip and 50 logins
python -m tests.bench ssh --help         # one benchmark's options
"""

from __future__ import annotations

import importlib
import sys

BENCHES = {
    "ssh": "tests.bench.bench_ssh",
    "checkout": "tests.bench.bench_checkout",
    "abuse": "tests.bench.bench_abuse",
    "input": "tests.bench.bench_input",
    "logins": "tests.bench.bench_logins",
    "directory": "tests.bench.bench_directory",
    "sftp": "tests.bench.bench_sftp",
    "import": "tests.bench.bench_import",
    "dashboard": "tests.bench.bench_dashboard",
    "appstart": "tests.bench.bench_appstart",
    "scale": "tests.bench.bench_scale",
}


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if argv and argv[0] not in BENCHES:
        print(f"unknown benchmark {argv[0]!r}; choose from: {', '.join(BENCHES)}")
        return 2
    # One named benchmark takes the options that follow it; none runs them all.
    runs = [(argv[0], argv[1:])] if argv else [(name, []) for name in BENCHES]
    for name, options in runs:
        try:
            module = importlib.import_module(BENCHES[name])
        except ModuleNotFoundError as exc:
            print(f"[{name}] not available: {exc}")
            continue
        print(f"\n=== {name} ===", flush=True)
        module.main(options)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
