"""Pillar "aws-api": reject, before any update is applied, what the AWS APIs would reject."""

from __future__ import annotations

from . import iam_reference, model_rules, principals, prose

RULES = (*model_rules.RULES, *prose.RULES, *principals.RULES, *iam_reference.RULES)
