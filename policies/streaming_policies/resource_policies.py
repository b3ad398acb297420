"""Resource policies: none opens a resource to everyone.

One rule for the job over every resource type that carries a resource policy: key, queue, topic, secret,
repository, REST API and log resource policies, and Lambda permissions. S3 bucket policies are left to
``s3-bucket-public-access-block``: with BlockPublicPolicy and RestrictPublicBuckets S3 rejects and ignores
public bucket policies (S3 User Guide, "Blocking public access to your Amazon S3 storage").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pulumi_policy import Severity

from . import graph as g
from .graph import Node, is_unknown
from .rule import Ctx, Finding, Rule, Unknown

# (type, input holding the policy JSON) of every resource policy the pack judges.
RESOURCE_POLICY_INPUTS: tuple[tuple[str, str], ...] = (
    (g.KMS_KEY, "policy"),
    ("aws:kms/keyPolicy:KeyPolicy", "policy"),
    (g.SQS_QUEUE, "policy"),
    ("aws:sqs/queuePolicy:QueuePolicy", "policy"),
    (g.SNS_TOPIC, "policy"),
    ("aws:sns/topicPolicy:TopicPolicy", "policy"),
    ("aws:secretsmanager/secret:Secret", "policy"),
    ("aws:secretsmanager/secretPolicy:SecretPolicy", "policy"),
    ("aws:ecr/repositoryPolicy:RepositoryPolicy", "policy"),
    ("aws:apigateway/restApi:RestApi", "policy"),
    ("aws:apigateway/restApiPolicy:RestApiPolicy", "policy"),
    ("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "policyDocument"),
)
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
_POLICY_PROP = dict(RESOURCE_POLICY_INPUTS)

# Condition keys whose fixed value limits a Principal "*" grant to one account, organization, source
# resource or network path. AWS Config's sqs-queue-no-public-access and the S3 User Guide's "The meaning of
# 'public'" count a policy as non-public only when it grants to fixed values of keys like these (no wildcard,
# no policy variable); kms:CallerAccount is how AWS-managed key policies limit Principal "*" (AWS KMS Developer
# Guide, "Default key policy").
RESTRICTING_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:SourceArn",
        "aws:SourceAccount",
        "aws:SourceOwner",
        "aws:PrincipalOrgID",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:userid",
        "kms:CallerAccount",
    )
)
# Operators that match a fixed value; IfExists variants pass a request that lacks the key, Not* match
# everything else (IAM User Guide, "IAM JSON policy elements: Condition operators").
FIXED_OPERATORS = frozenset(o.lower() for o in ("StringEquals", "StringEqualsIgnoreCase", "ArnEquals", "ArnLike"))


def document(value: Any) -> Any:
    """The policy as a dict; ``UNKNOWN`` while unknown; ``None`` when absent or not a JSON object."""
    if is_unknown(value):
        return g.UNKNOWN
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in g.as_list(doc.get("Statement")) if isinstance(s, dict)]


def _everyone(principal: Any) -> bool:
    """Principal "*" or {"AWS": "*"} (also in a list, or for CanonicalUser / Federated)."""
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in g.as_list(v) for k, v in principal.items() if k in ("AWS", "CanonicalUser", "Federated"))
    return False


def _fixed_value(v: Any) -> bool:
    """A value that names one account, organization or resource: no policy variable and no wildcard, except
    in the resource part of an ARN whose account is fixed (``arn:aws:cloudwatch:r:111122223333:alarm:*``)."""
    if not isinstance(v, str) or not v or "${" in v:
        return False
    if not v.startswith("arn:"):
        return not any(c in v for c in "*?")
    parts = v.split(":", 5)
    if len(parts) < 6 or any(c in parts[4] for c in "*?"):
        return False
    # No account in the ARN (S3 buckets): the resource name itself must be fixed.
    return bool(parts[4]) or not any(c in parts[5] for c in "*?")


def _fixed(value: Any) -> bool:
    values = g.as_list(value)
    return bool(values) and all(_fixed_value(v) for v in values)


def _restricted(condition: Any) -> bool:
    """The statement's Condition limits it to fixed values of a restricting key."""
    if not isinstance(condition, dict):
        return False
    for op, block in condition.items():
        if str(op).lower() not in FIXED_OPERATORS or not isinstance(block, dict):
            continue
        if any(str(k).lower() in RESTRICTING_KEYS and _fixed(v) for k, v in block.items()):
            return True
    return False


def public_grants(doc: dict[str, Any]) -> list[str]:
    """Why each Allow statement of ``doc`` is open to everyone (empty when none is)."""
    out = []
    for i, st in enumerate(statements(doc)):
        if st.get("Effect") != "Allow":
            continue  # a Deny to Principal * (e.g. TLS only) narrows access; only Allow grants it
        label = f"statement {st.get('Sid') or i}"
        if "NotPrincipal" in st:
            out.append(f"{label} allows NotPrincipal: everyone except the listed principals")
        elif _everyone(st.get("Principal")) and not _restricted(st.get("Condition")):
            out.append(f"{label} allows Principal * without a condition on a fixed account, organization or source")
    return out


def _check_public(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    if node.type == LAMBDA_PERMISSION:
        principal = node.get("principal")
        limits = [node.get(p) for p in ("sourceArn", "sourceAccount", "principalOrgId")]
        if is_unknown(principal):
            yield Unknown("principal")
        elif principal == "*" and not any(limits):
            # Lambda Developer Guide, "Granting function access to other accounts": "*" with no source
            # lets any account invoke the function.
            yield "principal is * with no sourceArn, sourceAccount or principalOrgId: anyone may invoke the function"
        return
    prop = _POLICY_PROP[node.type]
    doc = document(node.get(prop))
    if is_unknown(doc):
        yield Unknown(prop)
    elif doc is not None:
        for why in public_grants(doc):
            yield f"{prop}: {why}"


def _no_document(node: Node, _ctx: Ctx) -> str | None:
    if node.type == LAMBDA_PERMISSION:
        return None
    prop = _POLICY_PROP[node.type]
    if node.get(prop) is None:
        # A key without one gets the default key policy, which grants only the account (AWS KMS Developer
        # Guide, "Default key policy"); the other types then have no resource policy at all.
        return f"no {prop} (the service's default, which grants no one outside the account)"
    return None


RESOURCE_POLICIES_NOT_PUBLIC = Rule(
    name="resource-policies-not-public",
    description="No resource policy (KMS key, SQS queue, SNS topic, secret, ECR repository, REST API, log "
    "resource policy, Lambda permission) allows Principal * without a condition on a fixed account, "
    "organization or source.",
    pillar="hardening",
    types=(*_POLICY_PROP, LAMBDA_PERMISSION),
    check=_check_public,
    exempt=_no_document,
    fsbp=("KMS.5", "SQS.3", "SNS.4", "Lambda.1"),
    severity=Severity.CRITICAL,
    why="A key, queue or topic policy that allows everyone lets any AWS account decrypt media, read or inject "
    "transcode jobs, or publish fake alarms; a TLS-only Deny to Principal * is fine, only Allow grants access.",
    remediation="Name the principal (the account root, a role ARN or a service principal) or keep Principal '*' "
    "with a fixed-value condition: aws:SourceArn / aws:SourceAccount for a service, aws:PrincipalOrgID for the "
    "organization; never NotPrincipal with Allow. For a Lambda permission set source_arn or source_account.",
    notes="Restricting keys: aws:SourceArn, aws:SourceAccount, aws:SourceOwner, aws:PrincipalOrgID, "
    "aws:PrincipalAccount, aws:PrincipalArn, aws:SourceVpc(e), aws:userid, kms:CallerAccount, under "
    "StringEquals / ArnEquals / ArnLike with no wildcard account (IfExists and Not* operators do not restrict). "
    "S3 bucket policies are judged by s3-bucket-public-access-block.",
)


RULES = (RESOURCE_POLICIES_NOT_PUBLIC,)
