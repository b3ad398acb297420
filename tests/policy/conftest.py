"""Session-scoped pack processes, shared by every test of a worker (one per stack x mode)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from offline.engine import PROJECT_DIR
from offline.policy_driver import PolicyReport, analyze, close_all

from .builder import StackBuilder

POLICIES_DIR = str(PROJECT_DIR / "policies")
if POLICIES_DIR not in sys.path:
    sys.path.insert(0, POLICIES_DIR)  # so tests can import streaming_policies (the registry, the docs)

Run = Callable[..., PolicyReport]


@pytest.fixture(scope="session", autouse=True)
def _shared_prod_recordings(recording: Callable[..., Any]) -> None:
    """``mutations.prod()`` reads the session's shared recordings, whichever mutation module runs first."""
    from . import mutations

    mutations._session["recording"] = recording


@pytest.fixture(scope="session")
def run_pack() -> Iterator[Run]:
    """``run_pack(builder, policy_config=None)``: analyze the builder's records through the real pack."""

    def run(b: StackBuilder, policy_config: Mapping[str, Any] | None = None) -> PolicyReport:
        return analyze(
            b.records(),
            project=b.project,
            stack=b.stack,
            preview=b.preview,
            config=b.config(),
            policy_config=policy_config,
            region=b.region,
        )

    yield run
    close_all()
