"""The demo: seeded nodes of the fictional States XA, XB and XC and the federation run."""

from hanoi.demo.seed import DEMO_PASSWORD, DEMO_STATE, DEMO_USERS, seed_demo_node

__all__ = ["DEMO_PASSWORD", "DEMO_STATE", "DEMO_USERS", "seed_demo_node"]
