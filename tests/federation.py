"""A running demo federation for tests: Secretariat, XA, XB and XC on loopback.

Parametrised over the backends: on ``postgresql`` every State's node has its own throwaway
PostgreSQL database; on ``sqlite`` each keeps its file in its home.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from hanoi.demo.federation import DEMO_STATES, DemoFederation, build, refresh_directories
from hanoi.demo.serving import ServedNode, free_port_base, serve_federation, stop_all
from tests.conftest import throwaway_pg_database


@dataclass
class Running:
    federation: DemoFederation
    served: dict[str, ServedNode]

    def node(self, code: str) -> ServedNode:
        return self.served[code]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def federation_urls(backend: str) -> Iterator[dict[str, str]]:
    if backend == "sqlite":
        yield {}
        return
    with ExitStack() as stack:
        yield {code: stack.enter_context(throwaway_pg_database()) for code in DEMO_STATES}


@pytest.fixture
def built(tmp_path: Path, federation_urls: dict[str, str]) -> DemoFederation:
    federation = DemoFederation(tmp_path / "fed", free_port_base(), federation_urls)
    build(federation)
    return federation


@pytest.fixture
def running(built: DemoFederation) -> Iterator[Running]:
    served = serve_federation(built)
    try:
        refresh_directories(built)
        yield Running(built, {s.node.code: s for s in served if s.node.code != "UN"})
    finally:
        stop_all(served)
