"""Programs that follow their members, and subsidy rules edited for the future.

- ``allocation_programs.target`` now reads: ``all`` (every active member, followed),
  ``group`` (the directory groups listed in ``program_groups``, followed) or ``member``
  (the members listed at creation). Before this migration ``group`` meant "several
  listed members": those programs become ``member`` programs.
- ``late_joiners``: what a member who joins a followed program later receives, ``prorata``
  (of the remaining months of its period) or ``whole``.
- ``subsidy_rule_versions``: the terms of a rule from a date on; before a rule's first
  version its own row's terms apply, so what was consumed keeps its terms.
"""

from __future__ import annotations

from sqlite_utils import Database

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"


def up(db: Database) -> None:
    """Add program audiences, the late-joiner setting and rule versions."""
    db.executescript(
        f"""
        ALTER TABLE allocation_programs ADD COLUMN late_joiners TEXT NOT NULL
            DEFAULT 'prorata' CHECK (late_joiners IN ('prorata','whole'));
        UPDATE allocation_programs SET target = 'member' WHERE target = 'group';
        CREATE INDEX allocation_programs_duplicates
            ON allocation_programs(organization_id, created_at);

        CREATE TABLE program_groups (
            program_id INTEGER NOT NULL REFERENCES allocation_programs(id),
            group_id INTEGER NOT NULL REFERENCES member_groups(id) ON DELETE CASCADE,
            PRIMARY KEY (program_id, group_id)
        );
        CREATE INDEX program_groups_group ON program_groups(group_id);

        CREATE TABLE subsidy_rule_versions (
            id INTEGER PRIMARY KEY,
            rule_id INTEGER NOT NULL REFERENCES subsidy_rules(id),
            effective_from TEXT NOT NULL,
            mode TEXT NOT NULL CHECK (mode IN ('percent','fixed')),
            percent_bp INTEGER NOT NULL DEFAULT 0 CHECK (percent_bp BETWEEN 0 AND 10000),
            fixed_cents INTEGER NOT NULL DEFAULT 0 CHECK (fixed_cents >= 0),
            cap_per_item_cents INTEGER,
            cap_per_year_cents INTEGER,
            max_count INTEGER,
            brackets TEXT NOT NULL DEFAULT '[]',
            created_by INTEGER REFERENCES members(id),
            created_at TEXT NOT NULL DEFAULT {NOW},
            UNIQUE (rule_id, effective_from)
        );
        """
    )
