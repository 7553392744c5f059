"""Who calls the JSON API: a user's API token (``Authorization: Bearer hanoi_...``).

The routes that read or change a node's requests name :data:`Reader` or :data:`Writer` as a
parameter; FastAPI hands them the :class:`Caller` once the token is checked (live, its user
active, the scope granted). A missing, unknown, revoked or expired token is a 401 problem,
counted into the audit trail's refusals; a token without the scope, a 403. Cookies are not
accepted here: a browser's session could otherwise be made to post without its CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from hanoi.accounts.models import User
from hanoi.accounts.session_models import ApiToken
from hanoi.accounts.tokens import Scope, require_scope, user_for_token
from hanoi.db import Database
from hanoi.web.deps import Db, client_address
from hanoi.web.errors import TokenRequired


@dataclass(frozen=True)
class Caller:
    user: User
    token: ApiToken


#: Declares the scheme in the OpenAPI document; the token itself is checked below.
_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="A user's API token ('hanoi user token create'): Bearer hanoi_...",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]


def _caller(request: Request, db: Database, token: str | None, scope: Scope) -> Caller:
    if not token:
        raise TokenRequired
    with db.session() as session:
        found = user_for_token(
            session,
            token,
            method=request.method,
            path=request.url.path,
            remote_addr=client_address(request),
        )
    if found is None:
        raise TokenRequired
    user, row = found
    require_scope(row, scope)
    return Caller(user, row)


async def _reader(request: Request, db: Db, credentials: Credentials) -> Caller:
    token = credentials.credentials if credentials else None
    return await run_in_threadpool(_caller, request, db, token, "read")


async def _writer(request: Request, db: Db, credentials: Credentials) -> Caller:
    token = credentials.credentials if credentials else None
    return await run_in_threadpool(_caller, request, db, token, "write")


Reader = Annotated[Caller, Depends(_reader)]
"""A caller whose token may read."""
Writer = Annotated[Caller, Depends(_writer)]
"""A caller whose token may change things."""
