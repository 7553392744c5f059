"""The federation fixtures (``running``, ``built``, ``backend``) live in tests/federation.py,
loaded for the whole suite by tests/conftest.py; these names are re-exported for imports."""

from tests.federation import Running, free_port_base

__all__ = ["Running", "free_port_base"]
