"""Shared fixtures. Every program run gets a fresh Pulumi runtime, config and event loop
(offline.engine.run_program).

Whole-stack recordings are synthesized once per (stack, mode) per test session and shared by every
pytest-xdist worker: the first worker to ask runs the program and saves the recording as JSON in the
session's shared temporary directory (under a file lock); the others read it. Recordings are only read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from offline.engine import Recording, run_program


def _shared_dir(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker's base is <session>/popen-gwN; the session directory is shared by all of them
    # and new for every test session, so a recording never outlives the code that produced it.
    return base.parent if hasattr(config, "workerinput") else base


@pytest.fixture(scope="session")
def recording(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Recording]:
    """recording("prod") -> the prod stack's preview-mode recording; recording("dev", preview=False) for update."""
    shared = _shared_dir(request.config, tmp_path_factory)
    memo: dict[tuple[str, bool], Recording] = {}

    def get(stack: str, *, preview: bool = True) -> Recording:
        key = (stack, preview)
        if key not in memo:
            path = shared / f"recording-{stack}-{'preview' if preview else 'update'}.json"
            with FileLock(f"{path}.lock"):
                if path.exists():
                    memo[key] = Recording.from_json(json.loads(path.read_text()))
                else:
                    memo[key] = run_program(stack, preview=preview)
                    path.write_text(json.dumps(memo[key].to_json()))
        return memo[key]

    return get
