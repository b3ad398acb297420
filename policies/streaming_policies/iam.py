"""IAM: no identity policy grants every action.

One rule over every place an identity policy is written: roles' inline policies and managed policy ARNs, role,
user and group policies, customer-managed policies, and policy attachments (AdministratorAccess).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import Severity

from . import graph as g
from .graph import Node, is_unknown
from .resource_policies import document, statements
from .rule import Ctx, Finding, Rule, Unknown

IAM_ROLE = "aws:iam/role:Role"
ADMIN_POLICY_SUFFIX = ":iam::aws:policy/AdministratorAccess"
IDENTITY_POLICY_INPUTS: tuple[tuple[str, str], ...] = (
    ("aws:iam/rolePolicy:RolePolicy", "policy"),
    ("aws:iam/userPolicy:UserPolicy", "policy"),
    ("aws:iam/groupPolicy:GroupPolicy", "policy"),
    ("aws:iam/policy:Policy", "policy"),
)
ATTACHMENTS: tuple[tuple[str, str], ...] = (
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "policyArn"),
    ("aws:iam/userPolicyAttachment:UserPolicyAttachment", "policyArn"),
    ("aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "policyArn"),
    ("aws:iam/policyAttachment:PolicyAttachment", "policyArn"),
)


def full_admin(doc: dict[str, Any]) -> list[str]:
    """Why each Allow statement of ``doc`` grants every action (Action "*" / "*:*", or NotAction)."""
    out = []
    for i, st in enumerate(statements(doc)):
        if st.get("Effect") != "Allow":
            continue
        label = f"statement {st.get('Sid') or i}"
        if "NotAction" in st:
            out.append(f"{label} allows NotAction: every action except the listed ones")
        elif any(a in ("*", "*:*") for a in g.as_list(st.get("Action"))):
            out.append(f'{label} allows Action "*"')
    return out


def _judge_doc(value: Any, label: str) -> Iterator[Finding]:
    doc = document(value)
    if is_unknown(doc):
        yield Unknown(label)
    elif doc is not None:
        yield from (f"{label}: {why}" for why in full_admin(doc))


def _admin_arn(value: Any, label: str) -> Iterator[Finding]:
    if is_unknown(value):
        yield Unknown(label)
    elif isinstance(value, str) and value.endswith(ADMIN_POLICY_SUFFIX):
        yield f"{label} is the AWS-managed AdministratorAccess policy (Action * on Resource *)"


def _check_admin(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    if node.type == IAM_ROLE:
        inline = node.get("inlinePolicies")
        if is_unknown(inline):
            yield Unknown("inlinePolicies")
        for i, p in enumerate(g.as_list(inline) if not is_unknown(inline) else []):
            yield from _judge_doc(g.dig(p, "policy"), f"inlinePolicies[{i}].policy")
        arns = node.get("managedPolicyArns")
        for i, arn in enumerate([arns] if is_unknown(arns) else g.as_list(arns)):
            yield from _admin_arn(arn, f"managedPolicyArns[{i}]")
        return
    for t, prop in ATTACHMENTS:
        if node.type == t:
            yield from _admin_arn(node.get(prop), prop)
            return
    yield from _judge_doc(node.get("policy"), "policy")


def _role_without_policies(node: Node, _ctx: Ctx) -> str | None:
    if node.type == IAM_ROLE and node.get("inlinePolicies") is None and node.get("managedPolicyArns") is None:
        return "no inline or managed policies on the role (its policy resources are judged themselves)"
    return None


IAM_NO_ADMIN = Rule(
    name="iam-no-full-admin-statements",
    description='No IAM role, role/user/group policy or managed policy allows Action "*" or NotAction, and none '
    "attaches AdministratorAccess.",
    pillar="hardening",
    types=(IAM_ROLE, *dict(IDENTITY_POLICY_INPUTS), *dict(ATTACHMENTS)),
    check=_check_admin,
    exempt=_role_without_policies,
    fsbp=("IAM.1",),
    severity=Severity.HIGH,
    why="Every workload role carries only the actions it makes (the access contracts); a statement allowing every "
    "action turns one compromised task or function into control of the account.",
    remediation="List the actions the workload makes (service:Action) on the resources it uses; replace "
    "AdministratorAccess with a policy written for the job.",
    notes='Action "*" and "*:*" and Allow with NotAction are judged; service-wide wildcards such as "s3:*" are not.',
)


RULES = (IAM_NO_ADMIN,)
