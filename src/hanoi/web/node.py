"""What handlers need to know about the node serving them."""

from __future__ import annotations

from hanoi.config import Settings
from hanoi.directory.states import StateDirectory
from hanoi.directory.view import node_directory


def states(settings: Settings) -> StateDirectory:
    """The States this node checks and addresses requests against (see directory.view)."""
    return node_directory(settings.home)
