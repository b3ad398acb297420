"""IAM roles named as principals must exist when the policy is created.

KMS (CreateKey / PutKeyPolicy), S3 (PutBucketPolicy), SQS/SNS (SetAttributes Policy) and IAM
(CreateRole trust policy) validate every ``Principal.AWS`` role ARN when the policy is written and
reject one that does not exist (KMS: MalformedPolicyDocumentException; S3: "Invalid principal in
policy"; IAM: MalformedPolicyDocument "Invalid principal"). Sources: AWS KMS Developer Guide, "Key
policies: Specifying principals" ("If the principal ... does not exist, the PutKeyPolicy/CreateKey
call fails"); IAM User Guide, "AWS JSON policy elements: Principal" ("If your Principal element
contains the ARN of a specific IAM role ... the role must exist").

A role ARN is accepted when the policy input depends (in the graph) on a Role or ServiceLinkedRole
of this stack, i.e. the engine creates the principal first. A service-linked role
(``role/aws-service-role/<service>/AWSServiceRoleFor...``) is created by AWS only when the service
is first used, so a fresh account does not have it: the stack must create it
(``aws.iam.ServiceLinkedRole``) and the policy must depend on it, or the role must be declared as a
prerequisite in the ``preexistingRoles`` option.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pulumi_policy import Severity

from .. import graph as g
from ..graph import Node, is_unknown
from ..rule import Ctx, Finding, Option, Rule

ROLE = "aws:iam/role:Role"
SLR = "aws:iam/serviceLinkedRole:ServiceLinkedRole"

# resource type -> input holding the policy document
POLICY_INPUTS: dict[str, str] = {
    g.KMS_KEY: "policy",
    g.BUCKET_POLICY: "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    g.SQS_QUEUE: "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    g.SNS_TOPIC: "policy",
    ROLE: "assumeRolePolicy",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
}


def role_principals(doc: Any) -> list[str]:
    """Every ``Principal.AWS`` entry of ``doc`` (a JSON string or object) that names an IAM role."""
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except ValueError:
            return []
    if not isinstance(doc, dict):
        return []
    statements = doc.get("Statement")
    statements = statements if isinstance(statements, list) else [statements]
    out = []
    for st in statements:
        principal = st.get("Principal") if isinstance(st, dict) else None
        aws = principal.get("AWS") if isinstance(principal, dict) else None
        for p in aws if isinstance(aws, list) else [aws]:
            if isinstance(p, str) and ":role/" in p:
                out.append(p)
    return out


PREEXISTING = Option(
    "preexistingRoles",
    {"type": "array", "items": {"type": "string"}, "default": []},
    "Role names (e.g. AWSServiceRoleForAutoScaling) that are guaranteed to exist in the target account before "
    "the first update (a documented prerequisite).",
)


def _check(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    key = POLICY_INPUTS[node.type]
    doc = node.get(key)
    if doc is None or is_unknown(doc):
        return  # an unknown document is judged on update, when it is known
    deps = ctx.graph.deps(node, key, (ROLE, SLR))
    slr_services = {d.get("awsServiceName") for d in deps if d.type == SLR}
    preexisting = set(ctx.opt("preexistingRoles", PRINCIPALS_EXIST))
    for arn in dict.fromkeys(role_principals(doc)):
        path = arn.split(":role/", 1)[1]
        name = path.rsplit("/", 1)[-1]
        if name in preexisting:
            continue
        if path.startswith("aws-service-role/"):
            service = path.split("/")[1]
            if service in slr_services:
                continue
            made = [s for s in ctx.graph.of_types(SLR) if s.get("awsServiceName") == service]
            how = (
                f"the stack creates it ({made[0].name}) but {key} does not depend on it"
                if made
                else "it is not created by this stack (a fresh account does not have it)"
            )
            yield f"{key} names service-linked role {name} ({service}): {how}"
            continue
        if any(d.type == ROLE for d in deps):
            continue
        yield f"{key} names role {name}, which is neither a dependency of {key} nor a declared prerequisite"


PRINCIPALS_EXIST = Rule(
    name="aws-policy-principals-exist",
    description="Every IAM role a key, bucket, queue, topic, secret or trust policy names exists before it is set.",
    pillar="aws-api",
    types=tuple(sorted(POLICY_INPUTS)),
    scope="stack",
    check=_check,
    options=(PREEXISTING,),
    severity=Severity.HIGH,
    why="AWS validates principals when a resource policy is written: a role that does not exist yet fails the call "
    "(KMS MalformedPolicyDocumentException). Sources: AWS KMS Developer Guide, 'Key policies' (principals); IAM "
    "User Guide, 'AWS JSON policy elements: Principal'.",
    remediation="Create the role in the stack and build the document from its ARN output (so the policy depends on "
    "it); for a service-linked role add aws.iam.ServiceLinkedRole(aws_service_name=...) and depend on it, or list "
    "it in preexistingRoles if the account is guaranteed to have it.",
    notes="A policy document that is unknown in preview (built from outputs) is checked on update.",
)

RULES = (PRINCIPALS_EXIST,)
