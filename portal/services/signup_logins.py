"""Logins of sign-up requests, settled at validation.

The guest entry never tells a stranger whether a login exists (issue 9: "this login is
already taken" told anyone which logins existed, in any organization): a well-formed login
is accepted alike whether it is free, a member's (of any organization) or wanted by
another pending request. ``services.signup.approve`` settles it inside the approving
transaction: a login in use by then is replaced by its first free variant (``chloe`` ->
``chloe2``), and the "account ready" email tells the applicant the login to sign in with.
Only someone a manager accepted ever learns that the login they wanted was taken.
"""

from __future__ import annotations

from sqlite_utils import Database

from portal.data import members as members_data
from portal.i18n import N_
from portal.services.emails import Template
from portal.services.gate import GateError

__all__ = ["ACCOUNT_READY_OTHER_LOGIN", "LOGIN_MAX", "free_login"]

LOGIN_MAX = 32
"""The longest login (``guest_checks.LOGIN_RE``): a free variant is cut to fit it."""

ACCOUNT_READY_OTHER_LOGIN = Template(
    subject=N_("Your Portal account is ready"),
    body=N_(
        "Hello {name},\n\nYour request to join {organization} was accepted. The login you "
        'asked for, "{wanted}", was not available: your login is "{login}". Sign in with it '
        "and the password you chose:\n\n    {command}\n"
    ),
)
"""Like ``ACCOUNT_READY`` when the wanted login had to change; parameters: wanted, command."""


def free_login(db: Database, wanted: str, *, reserved: tuple[str, ...] = ()) -> str:
    """``wanted`` if no member has it, else its first free variant (``chloe2``, ``chloe3``...).

    Variants keep the login rules (32 characters at most: the wanted login is shortened to
    make room for the number). Call it inside the transaction that creates the member.
    """
    taken = {r.lower() for r in reserved}

    def free(login: str) -> bool:
        return login not in taken and not members_data.login_in_use(db, login)

    if free(wanted):
        return wanted
    for number in range(2, 10_000):
        suffix = str(number)
        candidate = wanted[: LOGIN_MAX - len(suffix)] + suffix
        if free(candidate):
            return candidate
    raise GateError(N_("No free login could be found for this request; refuse it."))
