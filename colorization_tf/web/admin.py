"""The experimenter's token: only its bearer reads results (``/results``, ``/api/results``,
``/results.csv``, ``/summary.csv``).

The token is ``--admin_token`` or, without the flag, a random one generated at the first
start, kept in the database's ``secrets`` table and printed once with the results URL.
A request presents it as ``Authorization: Bearer TOKEN``, as the ``admin`` cookie, or once
as ``?token=TOKEN`` (the server then sets the cookie and redirects to the same page without
the query, so the token stays out of the address bar). Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets

SECRET_NAME = "admin_token"
COOKIE = "admin"
MIN_LENGTH = 16


def resolve_token(storage, given: str | None) -> tuple[str, bool]:
    """``(token, generated)``: ``given`` (checked: at least ``MIN_LENGTH`` characters),
    else the one kept in the database, else a new random one stored there
    (``generated`` True: print it, it is not shown again)."""
    if given:
        if len(given) < MIN_LENGTH or not given.isprintable() or " " in given:
            raise ValueError(f"--admin_token: expected at least {MIN_LENGTH} printable "
                             "characters without spaces")
        return given, False
    with storage.write() as tx:
        kept = tx.secret(SECRET_NAME)
        if kept is not None:
            return kept, False
        token = secrets.token_urlsafe(24)
        tx.set_secret(SECRET_NAME, token)
    return token, True


def matches(expected: str, presented: str | None) -> bool:
    """Whether ``presented`` is the token, compared in constant time."""
    if not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


def presented_token(headers, cookies, query) -> str | None:
    """The token a request carries: bearer header, then cookie, then ``?token=``."""
    authorization = headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return cookies.get(COOKIE) or query.get("token") or None
