"""A session directory for service tests: records which sessions it was asked to end."""

from __future__ import annotations

from sqlite_utils import Database

from portal.services.session_directory import SessionInfo


class FakeSessions:
    """Lists no session; records each ``close_member_sessions`` call as (member, reason)
    and answers that ``ended`` sessions were ended."""

    def __init__(self, ended: int = 1) -> None:
        self.ended = ended
        self.closed: list[tuple[int, str | None]] = []

    @property
    def closed_members(self) -> list[int]:
        """The members whose sessions were ended, in order."""
        return [member_id for member_id, _reason in self.closed]

    def list_for(self, db: Database, member_id: int) -> list[SessionInfo]:
        return []

    def close_member_sessions(
        self,
        db: Database,
        member_id: int,
        *,
        except_session: str | None = None,
        reason: str | None = None,
    ) -> int:
        self.closed.append((member_id, reason))
        return self.ended
