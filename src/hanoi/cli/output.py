"""Printing results: JSON for machines (`--json`), Rich tables for people."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

# Markup and emoji codes off: request text and file names are printed as typed, never read
# as Rich markup or turned into emoji (":bomb:" in a description stays those six characters).
# Soft wrap: long lines stay whole when piped, so they can be searched.
console = Console(highlight=False, markup=False, emoji=False, soft_wrap=True)


def print_json(data: Any) -> None:
    # Plain print, not Rich: JSON output must be byte-for-byte parseable.
    print(json.dumps(data, indent=2, ensure_ascii=False))
