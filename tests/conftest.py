"""Shared fixtures. Every program run gets a fresh Pulumi runtime, config and event loop
(offline.engine.run_program).

Whole-stack recordings are synthesized once per (stack, mode, config overrides) per test session and shared by
every pytest-xdist worker: the first worker to ask runs the program and saves the recording as JSON in the
session's shared temporary directory (under a file lock); the others read it. Recordings are only read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pytest
from filelock import FileLock

from offline import engine
from offline.engine import PROJECT_DIR, Recording

_run_program = engine.run_program  # the real one, whatever shared_program patches


def _shared_dir(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker's base is <session>/popen-gwN; the session directory is shared by all of them
    # and new for every test session, so a recording never outlives the code that produced it.
    return base.parent if hasattr(config, "workerinput") else base


def variant_file(stack: str, preview: bool, overrides: Mapping[str, str]) -> str:
    """The shared file of one (stack, mode, overrides) variant: readable for the plain stacks, hashed otherwise."""
    name = f"recording-{stack}-{'preview' if preview else 'update'}"
    if overrides:
        digest = hashlib.sha256(json.dumps(sorted(overrides.items())).encode()).hexdigest()[:16]
        name += f"-{digest}"
    return name + ".json"


@pytest.fixture(scope="session")
def recording(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Recording]:
    """recording("prod") -> the prod stack's preview-mode recording; recording("dev", preview=False) for update;
    recording("dev", config={"streaming:natGatewayStrategy": "ONE_PER_AZ"}) for a variant of a stack.

    A program that raises is not recorded: the exception reaches every caller, from a fresh run each time."""
    shared = _shared_dir(request.config, tmp_path_factory)
    memo: dict[tuple[str, bool, tuple[tuple[str, str], ...]], Recording] = {}

    def get(stack: str, *, preview: bool = True, config: Mapping[str, str] | None = None) -> Recording:
        overrides = dict(config or {})
        key = (stack, preview, tuple(sorted(overrides.items())))
        if key not in memo:
            path = shared / variant_file(stack, preview, overrides)
            with FileLock(f"{path}.lock"):
                if path.exists():
                    memo[key] = Recording.from_json(json.loads(path.read_text()))
                else:
                    memo[key] = _run_program(stack, preview=preview, config_overrides=overrides)
                    path.write_text(json.dumps(memo[key].to_json()))
        return memo[key]

    return get


@pytest.fixture
def shared_program(
    monkeypatch: pytest.MonkeyPatch, recording: Callable[..., Recording]
) -> Callable[[Iterable[object]], None]:
    """shared_program([offline.preview]): those modules' ``run_program`` (and ``offline.engine``'s, for modules that
    import it when called) answers from the session's shared recordings, so a command under test prints and
    writes what it would for that stack and config without synthesizing it again. Other programs and project
    directories still run for real."""

    def run_program(
        stack: str,
        *,
        preview: bool = True,
        config_overrides: Mapping[str, str] | None = None,
        project_dir: Path = PROJECT_DIR,
        program: Path | None = None,
    ) -> Recording:
        if project_dir != PROJECT_DIR or program is not None:
            return _run_program(
                stack, preview=preview, config_overrides=config_overrides, project_dir=project_dir, program=program
            )
        return recording(stack, preview=preview, config=config_overrides)

    def patch(modules: Iterable[object]) -> None:
        monkeypatch.setattr(engine, "run_program", run_program)
        for module in modules:
            monkeypatch.setattr(module, "run_program", run_program)

    return patch
