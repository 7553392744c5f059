"""What handlers need to know about the node serving them."""

from __future__ import annotations

from hanoi.config import Settings
from hanoi.directory.fixture import StateDirectory
from hanoi.directory.lookup import node_directory


def states(settings: Settings) -> StateDirectory:
    """The States this node checks and addresses requests against (see directory.lookup)."""
    return node_directory(settings.home)
