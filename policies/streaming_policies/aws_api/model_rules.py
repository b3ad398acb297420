"""One rule over the declared input -> API member mapping: enums, lengths, ranges, patterns.

Values that are unknown (outputs of other resources during preview) are skipped: they are ids and
ARNs AWS generates, valid by construction; every literal an engineer writes is known even on a
brand-new stack, so what this rule catches, it catches at preview time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import Severity

from ..graph import Node, is_unknown
from ..rule import Ctx, Finding, Rule
from .botocore_model import constraint
from .mapping import MAPPING


def values_at(props: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(concrete path, value) for every value at ``path`` (``x[]`` steps fan out over list elements).

    A path ending in ``[]`` yields each element; a path naming a list yields the list itself.
    """

    def walk(cur: Any, steps: list[str], where: str) -> Iterator[tuple[str, Any]]:
        if is_unknown(cur) or cur is None:
            return
        if not steps:
            yield where, cur
            return
        step, rest = steps[0], steps[1:]
        each = step.endswith("[]")
        key = step[:-2] if each else step
        if not isinstance(cur, dict) or cur.get(key) is None:
            return
        nxt = cur[key]
        here = f"{where}.{key}" if where else key
        if not each:
            yield from walk(nxt, rest, here)
            return
        if is_unknown(nxt):
            return
        items = nxt if isinstance(nxt, list) else [nxt]
        for i, item in enumerate(items):
            yield from walk(item, rest, f"{here}[{i}]")

    yield from walk(props, path.split("."), "")


def _check(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    for m in MAPPING.get(node.type, ()):
        c = constraint(m.service, m.shape, m.member)
        for where, value in values_at(node.props, m.path):
            if is_unknown(value):
                continue
            if isinstance(value, list) and c.type != "list":
                continue
            for problem in c.violations(value):
                yield f"{where}: {problem} (AWS {c.where})"


API_MEMBER_CONSTRAINTS = Rule(
    name="aws-api-member-constraints",
    description="Every mapped input satisfies the enum, length, range and pattern of the AWS API member it feeds.",
    pillar="aws-api",
    types=tuple(sorted(MAPPING)),
    check=_check,
    severity=Severity.HIGH,
    why="AWS rejects the create/update call (ValidationException) after earlier resources of the update were "
    "already applied; botocore's service model is AWS's own published contract for every API member.",
    remediation="Change the input to a value the AWS API accepts (the message names the API member and its "
    "constraint, from botocore's service model: botocore/data/<service>/<version>/service-2.json).",
    notes="Unknown values (ids/ARNs of other resources during preview) are skipped: AWS generates them. "
    "The mapping is in aws_api/mapping.py; its coverage of the stacks is in POLICIES.md.",
)

RULES = (API_MEMBER_CONSTRAINTS,)
