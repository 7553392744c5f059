"""What the web layer's handlers are handed: the node's services, typed, as FastAPI dependencies.

The app holds one :class:`NodeServices`, stored once by :func:`install` when the app is made.
A route names what it needs as a parameter typed with one of the aliases below (``db: Db``,
``settings: NodeSettings``, ``node: ThisNode``, or ``services: Services`` for several at
once) and FastAPI hands it over. These dependencies take nothing from the request itself, so
they add no parameter to the OpenAPI document. Code that runs outside a route's dependencies
(exception handlers, the page renderer) asks :func:`services_of`. This is the only module
that touches ``app.state``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from starlette.applications import Starlette

from hanoi.config import Settings
from hanoi.db import Database
from hanoi.exchange.delivery import Worker
from hanoi.exchange.identity import LocalNode


@dataclass(frozen=True)
class NodeServices:
    """Everything a request handler may use besides the request: fixed for the app's life."""

    settings: Settings
    db: Database
    templates: Jinja2Templates
    node: LocalNode | None = None
    """This node's identity and keys; None on a node that does not exchange with others."""
    worker: Worker | None = None
    """The delivery loop to wake when something is queued; None when none runs here."""


def install(app: Starlette, services: NodeServices) -> None:
    """Make ``services`` the ones every handler of ``app`` is given."""
    app.state.services = services


def installed(app: Starlette) -> NodeServices:
    """The services :func:`install` gave ``app``."""
    services: NodeServices = app.state.services
    return services


def services_of(request: Request) -> NodeServices:
    """The services of the app serving ``request``."""
    return installed(request.app)


# The dependencies are coroutines on purpose: FastAPI would run a plain function in its
# thread pool, a hop per dependency per request just to read an attribute.


async def _services(request: Request) -> NodeServices:
    return services_of(request)


async def _database(request: Request) -> Database:
    return services_of(request).db


async def _settings(request: Request) -> Settings:
    return services_of(request).settings


async def _this_node(request: Request) -> LocalNode:
    node = services_of(request).node
    if node is None:
        # The routes that ask for it are mounted only on a node with an identity.
        raise RuntimeError("this route needs a node identity, and the app was made without one")
    return node


Services = Annotated[NodeServices, Depends(_services)]
"""All of the app's services at once."""
Db = Annotated[Database, Depends(_database)]
"""The node's database."""
NodeSettings = Annotated[Settings, Depends(_settings)]
"""The node's settings."""
ThisNode = Annotated[LocalNode, Depends(_this_node)]
"""This node's identity, for routes mounted only on a node that has one."""


def client_address(request: Request) -> str | None:
    """The address a request came from, as audit rows and throttles record it (the proxy's
    client when the proxy is trusted: see web/server.py)."""
    return request.client.host if request.client else None
