"""Secrets Manager: every secret under a customer-managed key.

A secret created without ``KmsKeyId`` is encrypted with the AWS-managed key ``aws/secretsmanager``
(Secrets Manager API Reference, CreateSecret, KmsKeyId: "If you don't specify this value, then Secrets
Manager uses the key aws/secretsmanager"). Its key policy is AWS's: anyone in the account whom IAM
allows secretsmanager:GetSecretValue can read the secret, and a principal in another account never can
(Secrets Manager User Guide, "Secret encryption and decryption in AWS Secrets Manager"). RDS-managed
master passwords are the same job: ``masterUserSecretKmsKeyId`` unset means ``aws/secretsmanager`` too
(RDS API Reference, CreateDBInstance / CreateDBCluster, MasterUserSecretKmsKeyId).

Each rule carries its pillar as a tag; the registry collects every module's ``RULES``.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from . import graph as g
from .checks import kms_ref
from .graph import Node, is_unknown, truthy
from .rule import Ctx, Finding, Rule

SECRET = "aws:secretsmanager/secret:Secret"
RDS_CLUSTER = "aws:rds/cluster:Cluster"


def _password_not_managed(node: Node, _ctx: Ctx) -> str | None:
    if node.type == SECRET:
        return None
    managed = node.get("manageMasterUserPassword")
    if is_unknown(managed) or truthy(managed):
        return None
    return "master password not managed by RDS in Secrets Manager"


def _check_secret_key(node: Node, ctx: Ctx) -> Iterator[Finding]:
    prop = "kmsKeyId" if node.type == SECRET else "masterUserSecretKmsKeyId"
    yield from kms_ref(ctx, node, prop, node.get(prop), f"{prop} (unset: aws/secretsmanager)")


SECRET_CMK = Rule(
    name="secrets-cmk-encrypted",
    description="Every Secrets Manager secret, and every RDS-managed master password, is encrypted with a "
    "customer-managed KMS key.",
    pillar="encryption",
    types=(SECRET, g.RDS_INSTANCE, RDS_CLUSTER),
    check=_check_secret_key,
    exempt=_password_not_managed,
    severity=Severity.HIGH,
    why="Under aws/secretsmanager the key policy is AWS's: only IAM decides who reads the secret, decrypts are "
    "not separable in CloudTrail by key, and the key cannot be revoked or shared across accounts.",
    remediation="Set kms_key_id=key.arn on aws.secretsmanager.Secret (and master_user_secret_kms_key_id=key.arn "
    "where RDS manages the master password), with secretsmanager.<region>.amazonaws.com allowed in the key policy "
    "via kms:ViaService.",
    notes="No FSBP control covers a secret's key (SecretsManager.1-5 are rotation, use and tagging).",
)


RULES = (SECRET_CMK,)
