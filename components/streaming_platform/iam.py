"""Key-policy statements shared by the components that create customer-managed KMS keys."""

from __future__ import annotations

import json
from typing import Any


def key_policy(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


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
