"""CloudWatch Logs: log groups encrypted with KMS.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from pulumi_policy import Severity

from . import graph as g
from .checks import kms_prop_rule

LOG_GROUP_KMS = kms_prop_rule(
    "log-group-kms",
    (g.LOG_GROUP,),
    "kmsKeyId",
    "Every CloudWatch log group is encrypted with a KMS key (kmsKeyId).",
    "Application and WAF logs contain IPs, user ids and request data.",
    "Set kms_key_id=key.arn and allow logs.<region>.amazonaws.com in the key policy.",
    severity=Severity.MEDIUM,
)


RULES = (LOG_GROUP_KMS,)
