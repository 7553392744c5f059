"""Printing results: JSON for machines (`--json`), Rich tables for people."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

console = Console(highlight=False)


def print_json(data: Any) -> None:
    # Plain print, not Rich: JSON output must be byte-for-byte parseable.
    print(json.dumps(data, indent=2, ensure_ascii=False))
