"""A running demo federation for tests: Secretariat, XA, XB and XC on loopback.

Parametrised over the backends: on ``postgresql`` every State's node has its own throwaway
PostgreSQL database; on ``sqlite`` each keeps its file in its home.

Building a federation (node keys, migrations, seeded users, the Secretariat's TUF
repository, pinned roots) is the same work for every test, so each test process builds it
once per backend, never serves it, and gives every test a copy of its own: the folder copied
with ``shutil.copytree`` (relative links, modes kept) and, on PostgreSQL, each State's
database created from the built one as a template. A copy is therefore exactly the
federation ``build`` makes, already built. The nodes' addresses are part of what is signed
into the directory, so the copies use the ports the federation was built for; each test
process has its own, and tests run one after the other within a process. If another
program has taken one of those ports in the meantime, the federation is built afresh on
free ports.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from hanoi.demo.federation import DEMO_STATES, DemoFederation, build, refresh_directories
from hanoi.demo.serving import ServedNode, free_port_base, serve_federation, stop_all
from tests.databases import DROPPER, create_pg_database, throwaway_pg_database

PORTS = 1 + len(DEMO_STATES)


@dataclass
class Running:
    federation: DemoFederation
    served: dict[str, ServedNode]

    def node(self, code: str) -> ServedNode:
        return self.served[code]


@dataclass(frozen=True)
class BuiltTemplate:
    """A federation built and never served; on PostgreSQL its States' database names."""

    federation: DemoFederation
    database_names: dict[str, str]


class FederationTemplates:
    """One built federation per backend, made on first use, rebuilt if its ports are taken."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._built: dict[str, BuiltTemplate] = {}
        self._count = 0

    def template(self, backend: str) -> BuiltTemplate:
        template = self._built.get(backend)
        if template is None or not _ports_free(template.federation.port_base):
            if template is not None:
                self._forget(template)
            template = self._build(backend)
            self._built[backend] = template
        return template

    def copy(self, backend: str, home: Path, stack: ExitStack) -> DemoFederation:
        """A copy of the built federation in ``home``; its databases end with ``stack``."""
        template = self.template(backend)
        shutil.copytree(template.federation.home, home, symlinks=True)
        urls = {
            code: stack.enter_context(throwaway_pg_database(template=name))
            for code, name in template.database_names.items()
        }
        return DemoFederation(home, template.federation.port_base, urls)

    def close(self) -> None:
        for template in self._built.values():
            self._forget(template)
        self._built.clear()

    def _build(self, backend: str) -> BuiltTemplate:
        self._count += 1
        names: dict[str, str] = {}
        urls: dict[str, str] = {}
        if backend != "sqlite":
            for code in DEMO_STATES:
                names[code], urls[code] = create_pg_database()
        federation = DemoFederation(
            self._folder / f"{backend}-{self._count}", free_port_base(PORTS), urls
        )
        # build() disposes every engine it opens: nobody stays connected to the templates.
        build(federation)
        return BuiltTemplate(federation, names)

    @staticmethod
    def _forget(template: BuiltTemplate) -> None:
        for name in template.database_names.values():
            DROPPER.drop_later(name)


def _ports_free(base: int) -> bool:
    """Whether the federation's ports can all be listened on right now."""
    taken: list[socket.socket] = []
    try:
        for port in range(base, base + PORTS):
            sock = socket.socket()
            taken.append(sock)
            # As uvicorn binds: a port held only by closed connections still counts as free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))
    except OSError:
        return False
    finally:
        for sock in taken:
            sock.close()
    return True


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def federation_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FederationTemplates]:
    templates = FederationTemplates(tmp_path_factory.mktemp("federation-template"))
    yield templates
    templates.close()


@pytest.fixture
def built(
    tmp_path: Path, backend: str, federation_templates: FederationTemplates
) -> Iterator[DemoFederation]:
    """The test's own demo federation, built and not yet serving, in ``tmp_path / "fed"``."""
    with ExitStack() as stack:
        yield federation_templates.copy(backend, tmp_path / "fed", stack)


@pytest.fixture
def running(built: DemoFederation) -> Iterator[Running]:
    served = serve_federation(built)
    try:
        refresh_directories(built)
        yield Running(built, {s.node.code: s for s in served if s.node.code != "UN"})
    finally:
        # Every server told to finish first, so they wind down together, not one by one.
        for item in served:
            item.server.should_exit = True
        stop_all(served)
