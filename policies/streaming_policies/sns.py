"""SNS: topics encrypted with KMS.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from pulumi_policy import Severity

from . import graph as g
from .checks import kms_prop_rule

SNS_ENCRYPTED = kms_prop_rule(
    "sns-topic-encrypted",
    (g.SNS_TOPIC,),
    "kmsMasterKeyId",
    "Every SNS topic is encrypted with KMS (kmsMasterKeyId).",
    "Alarm and pipeline notifications can carry resource names and user data.",
    "Set kms_master_key_id=key.arn (or 'alias/aws/sns').",
    aws_managed_ok=True,  # SNS.1 accepts the AWS-managed key
    fsbp=("SNS.1",),
    severity=Severity.MEDIUM,
)


RULES = (SNS_ENCRYPTED,)
