"""The pack's rule list, in a stable order, with duplicate names rejected."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pulumi_policy import Policy

from . import aws_api, data_safety, encryption, multi_az, waf
from .rule import Rule

PACK_NAME = "streaming-platform-guardrails"
PILLARS = ("multi-az", "waf", "encryption", "data-safety", "aws-api")
_NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class DuplicatePolicyError(ValueError):
    """Two rules share a name: the engine would silently merge their configuration."""


def check_rules(rules: Iterable[Rule]) -> list[Rule]:
    """Validate ``rules`` (unique kebab-case names, known pillar and scope) and return them as a list."""
    seen: dict[str, Rule] = {}
    out = []
    for r in rules:
        if r.name in seen:
            raise DuplicatePolicyError(f"duplicate policy name {r.name!r}")
        if not _NAME_RE.match(r.name):
            raise ValueError(f"policy name {r.name!r} is not kebab-case")
        if r.pillar not in PILLARS:
            raise ValueError(f"{r.name}: unknown pillar {r.pillar!r}")
        if r.scope not in ("resource", "stack"):
            raise ValueError(f"{r.name}: unknown scope {r.scope!r}")
        if "\n" in r.description:
            raise ValueError(f"{r.name}: description must be one line")
        seen[r.name] = r
        out.append(r)
    return out


def all_rules() -> list[Rule]:
    return check_rules([*multi_az.RULES, *waf.RULES, *encryption.RULES, *data_safety.RULES, *aws_api.RULES])


def build_policies(rules: Sequence[Rule] | None = None) -> list[Policy]:
    """The pulumi_policy objects for ``rules`` (default: every rule of the pack)."""
    return [r.to_policy() for r in check_rules(rules if rules is not None else all_rules())]
