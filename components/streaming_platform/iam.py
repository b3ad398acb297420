"""Policy-document helpers shared by every component: one JSON shape for identity, trust, resource and key
policies, and the key-policy statements every customer-managed key carries."""

from __future__ import annotations

import json
from typing import Any


def policy_document(statements: list[dict[str, Any]]) -> str:
    """An IAM policy document (identity, trust, bucket, queue, topic or key policy) of ``statements``."""
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def service_trust_statement(service: str, conditions: dict[str, Any] | None = None) -> dict[str, Any]:
    """``service`` may assume the role, under ``conditions`` (e.g. ``aws:SourceAccount``) when given."""
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if conditions:
        statement["Condition"] = conditions
    return statement


def account_admin_statement(partition: str, account: str) -> dict[str, Any]:
    """The account administers the key through IAM (without it the key can become unmanageable)."""
    return {
        "Sid": "AccountAdministersKeyThroughIam",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def cloudwatch_logs_statement(partition: str, account: str, region: str) -> dict[str, Any]:
    """CloudWatch Logs may use the key, but only for this account's log groups in this region."""
    return {
        "Sid": "CloudWatchLogsEncryptsThisAccountsLogGroups",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "Resource": "*",
        "Condition": {
            "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account}:log-group:*"}
        },
    }
