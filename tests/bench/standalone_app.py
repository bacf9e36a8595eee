"""The same app, one process per session (the classic sshd ForceCommand way).

Run on a pseudo-terminal by bench_ssh to compare memory: ``python -m
tests.bench.standalone_app DATA_DIR LOGIN``.
"""

from __future__ import annotations

import sys

from portal.app import make_app
from portal.config import load_settings
from portal.data import members as members_data
from portal.data.db import connect
from portal.services.runtime import make_services


def main() -> None:
    data_dir, login = sys.argv[1], sys.argv[2]
    settings = load_settings(data_dir=data_dir)
    db = connect(settings.db_path)
    member = members_data.get_member_by_login(db, login)
    db.conn.close()
    assert member is not None
    services = make_services(settings)
    make_app(services, member).run()
    services.close()


if __name__ == "__main__":
    main()
