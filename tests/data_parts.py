"""Shared by the tests that build one data-tier part alone (tests/programs/data_part)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from offline.engine import Recording, run_program

PROGRAM = Path(__file__).resolve().parent / "programs" / "data_part" / "__main__.py"


@cache
def build(part: str, *, protect: bool = False, replicated: bool = False, preview: bool = False) -> Recording:
    overrides = {"part:build": part, "part:protect": str(protect).lower(), "part:replicated": str(replicated).lower()}
    return run_program("dev", preview=preview, config_overrides=overrides, program=PROGRAM)
