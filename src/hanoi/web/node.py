"""What handlers need to know about the node serving them."""

from __future__ import annotations

from fastapi import Request

from hanoi.directory.fixture import StateDirectory
from hanoi.directory.lookup import node_directory


def states(request: Request) -> StateDirectory:
    """The States this node checks and addresses requests against (see directory.lookup)."""
    return node_directory(request.app.state.settings.home)
