"""One row per check, and the pass/fail table with the fix under every failure."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass


class Status(enum.Enum):
    PASS = "PASS"
    WARN = "WARN"
    """Not a blocker, but the deploy relies on something preflight cannot make sure of."""
    FAIL = "FAIL"
    SKIP = "SKIP"
    """Not applicable to this stack or not checkable with the AWS API (said why)."""


@dataclass(frozen=True)
class Result:
    check: str
    """Family: service-linked-role, zone-delegation, quota, image, ses, offering."""
    subject: str
    """What was checked: a role name, a quota code, an image, an instance class."""
    status: Status
    detail: str
    fix: str = ""
    """What to do (a command or a config change); set for WARN and FAIL."""


def failed(results: Sequence[Result]) -> bool:
    return any(r.status is Status.FAIL for r in results)


def table(results: Sequence[Result], *, title: str) -> str:
    """A fixed-width table (status, check, subject, detail); ``fix:`` lines follow each WARN and FAIL row."""
    widths = [max([len(h)] + [len(v) for v in col]) for h, col in _columns(results)]
    lines = [title, ""]
    header = ("STATUS", "CHECK", "SUBJECT")
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + "  DETAIL")
    for r in results:
        cells = (r.status.value, r.check, r.subject)
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + "  " + r.detail)
        if r.fix and r.status in (Status.FAIL, Status.WARN):
            lines.append(" " * (widths[0] + 2) + "fix: " + r.fix)
    counts = {s: sum(r.status is s for r in results) for s in Status}
    lines += ["", "Summary: " + ", ".join(f"{counts[s]} {s.value.lower()}" for s in Status)]
    return "\n".join(lines)


def _columns(results: Sequence[Result]) -> list[tuple[str, list[str]]]:
    return [
        ("STATUS", [r.status.value for r in results]),
        ("CHECK", [r.check for r in results]),
        ("SUBJECT", [r.subject for r in results]),
    ]
