"""Shared fixtures. Every program run gets a fresh Pulumi runtime, config and event loop
(offline.engine.run_program); recordings are cached per (stack, mode) and only read."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pytest

from offline.engine import Recording, run_program


@cache
def _recording(stack: str, preview: bool) -> Recording:
    return run_program(stack, preview=preview)


@pytest.fixture(scope="session")
def recording() -> Callable[..., Recording]:
    """recording("prod") -> the prod stack's preview-mode recording; recording("dev", preview=False) for update."""

    def get(stack: str, *, preview: bool = True) -> Recording:
        return _recording(stack, preview)

    return get
