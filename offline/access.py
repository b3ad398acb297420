"""Evaluate the stack's access contracts against a recording with a real IAM policy simulator.

Each component package declares its workloads' contracts (``streaming_platform.<package>.access``);
``stack_contracts`` collects them for a recording (which components exist, under which names), ``evaluate``
resolves every reference to the ARN the update-mode recording holds (ids from ``offline/fakes.py``), gathers the
identity policies of the principal (inline role policies and attached managed policies) and the resource policy of
the resource (key policy, trust policy, bucket/queue/topic/secret policy, a function's permissions), and runs
``@cloud-copilot/iam-simulate`` (``offline/iam_simulator``, Node) over them. ``render_markdown`` is the table in
docs/ACCESS.md and in ``python -m offline.preview --access``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streaming_platform.access import Expect, Ref, Request, Value, Workload

from offline.engine import Recording, ResourceRecord, _strip_secrets
from offline.fakes import ACCOUNT_ID, computed_outputs

SIMULATOR_DIR = Path(__file__).resolve().parent / "iam_simulator"
MANAGED_POLICIES = Path(__file__).resolve().parent / "managed_policies.json"


class AccessError(Exception):
    """A contract names something the recording does not hold, or the simulator rejected a policy."""


@dataclass(frozen=True)
class Outcome:
    workload: str
    request: Request
    principal: str
    resource: str
    decision: str
    """The simulator's verdict: Allowed, ImplicitlyDenied or ExplicitlyDenied."""

    @property
    def allowed(self) -> bool:
        return self.decision == "Allowed"

    @property
    def expected(self) -> bool:
        return self.allowed == (self.request.expect is Expect.ALLOWED)


class _Stack:
    """The recording, indexed by (type, name), with each resource's outputs as update mode computed them."""

    def __init__(self, recording: Recording) -> None:
        if recording.preview:
            raise AccessError("access contracts need an update-mode recording (ARNs are unknown in preview)")
        self.recording = recording
        self.region = recording.config.get("aws:region", "us-east-1")
        self._by_key = {(r.type, r.name): r for r in recording.resources}
        self._state: dict[str, dict[str, Any]] = {}

    def record(self, type_: str, name: str) -> ResourceRecord:
        try:
            return self._by_key[(type_, name)]
        except KeyError:
            raise AccessError(f"the stack registers no {type_} named {name!r}") from None

    def has(self, type_: str, name: str) -> bool:
        return (type_, name) in self._by_key

    def state(self, record: ResourceRecord) -> dict[str, Any]:
        if record.urn not in self._state:
            _, state = computed_outputs(
                record.type, record.name, record.urn, _strip_secrets(record.inputs), self.region
            )
            state["id"] = record.id
            self._state[record.urn] = state
        return self._state[record.urn]

    def resolve(self, value: Value) -> str:
        parts = value if isinstance(value, tuple) else (value,)
        return "".join(self._part(p) for p in parts)

    def _part(self, part: str | Ref) -> str:
        if isinstance(part, str):
            return part
        if part.type == "stack":
            return {"account": ACCOUNT_ID, "region": self.region, "partition": "aws"}[part.attr]
        value = self.state(self.record(part.type, part.name)).get(part.attr)
        if not isinstance(value, str | int) or value == "":
            raise AccessError(f"{part.type} {part.name!r} has no output {part.attr!r}")
        return str(value)

    def of_type(self, type_: str) -> list[ResourceRecord]:
        return self.recording.of_type(type_)


def _document(value: Any) -> dict[str, Any]:
    doc = json.loads(value) if isinstance(value, str) else value
    if not isinstance(doc, dict):
        raise AccessError(f"not a policy document: {value!r}")
    return doc


def _managed_policies() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MANAGED_POLICIES.read_text())
    return data["policies"]


def identity_policies(stack: _Stack, role: ResourceRecord) -> list[dict[str, Any]]:
    """Inline policies (``aws:iam/rolePolicy``) and attached managed policies of ``role``."""
    state = stack.state(role)
    names = {state["id"], state["name"]}
    out = [
        {"name": r.name, "policy": _document(r.inputs["policy"])}
        for r in stack.of_type("aws:iam/rolePolicy:RolePolicy")
        if r.inputs.get("role") in names
    ]
    managed = _managed_policies()
    for r in stack.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        if r.inputs.get("role") not in names:
            continue
        arn = str(r.inputs["policyArn"])
        if arn.rsplit("/", 1)[-1] not in managed:
            raise AccessError(f"{role.name}: managed policy {arn} is not in {MANAGED_POLICIES.name}")
        out.append({"name": arn, "policy": managed[arn.rsplit("/", 1)[-1]]["document"]})
    return out


def _attached(stack: _Stack, type_: str, prop: str, owner: ResourceRecord) -> list[ResourceRecord]:
    """Resources of ``type_`` whose input ``prop`` comes from ``owner`` (the dependency graph, not ARN matching)."""
    return [r for r in stack.of_type(type_) if owner.urn in r.property_dependencies.get(prop, ())]


def _permission_statement(stack: _Stack, permission: ResourceRecord, function: ResourceRecord) -> dict[str, Any]:
    """A ``lambda:AddPermission`` grant as Lambda renders it in the function's policy (``GetPolicy``)."""
    inputs = permission.inputs
    statement: dict[str, Any] = {
        "Sid": inputs.get("statementId") or permission.name,
        "Effect": "Allow",
        "Principal": {"Service": inputs["principal"]},
        "Action": inputs["action"],
        "Resource": stack.state(function)["arn"],
    }
    conditions: dict[str, Any] = {}
    if inputs.get("sourceArn"):
        conditions["ArnLike"] = {"AWS:SourceArn": inputs["sourceArn"]}
    if inputs.get("sourceAccount"):
        conditions["StringEquals"] = {"AWS:SourceAccount": inputs["sourceAccount"]}
    if conditions:
        statement["Condition"] = conditions
    return statement


def resource_policy(stack: _Stack, owner: ResourceRecord) -> dict[str, Any] | None:
    """The policy AWS evaluates on ``owner``'s side of a request, or None when the resource has none."""
    statements: list[dict[str, Any]] = []
    if owner.type == "aws:kms/key:Key":
        return _document(owner.inputs["policy"])
    if owner.type == "aws:iam/role:Role":
        return _document(owner.inputs["assumeRolePolicy"])
    if owner.type == "aws:lambda/function:Function":
        for p in _attached(stack, "aws:lambda/permission:Permission", "function", owner):
            statements.append(_permission_statement(stack, p, owner))
        return {"Version": "2012-10-17", "Statement": statements} if statements else None
    attached = {
        "aws:s3/bucket:Bucket": ("aws:s3/bucketPolicy:BucketPolicy", "bucket"),
        "aws:sqs/queue:Queue": ("aws:sqs/queuePolicy:QueuePolicy", "queueUrl"),
        "aws:sns/topic:Topic": ("aws:sns/topicPolicy:TopicPolicy", "arn"),
        "aws:secretsmanager/secret:Secret": ("aws:secretsmanager/secretPolicy:SecretPolicy", "secretArn"),
    }.get(owner.type)
    if attached is None:
        return None
    for policy in _attached(stack, *attached, owner):
        statements += _document(policy.inputs["policy"])["Statement"]
    return {"Version": "2012-10-17", "Statement": statements} if statements else None


def _owner(request: Request) -> Ref | None:
    if request.resource_owner is not None:
        return request.resource_owner
    parts = request.resource if isinstance(request.resource, tuple) else (request.resource,)
    return next((p for p in parts if isinstance(p, Ref) and p.type != "stack"), None)


def _simulation(stack: _Stack, workload: Workload, request: Request) -> tuple[str, str, dict[str, Any]]:
    principal_is_role = request.principal is None and isinstance(workload.principal, Ref)
    if request.principal is not None:
        principal = request.principal
    elif isinstance(workload.principal, Ref):
        principal = stack.resolve(workload.principal)
    else:
        principal = workload.principal
    policies: list[dict[str, Any]] = []
    if principal_is_role:
        assert isinstance(workload.principal, Ref)
        policies = identity_policies(stack, stack.record(workload.principal.type, workload.principal.name))
    if workload.external_account:
        # The other account's side: taken to allow, so only the stack's resource policy can deny.
        allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": request.action, "Resource": "*"}]}
        policies = [{"name": "external-account-allows", "policy": allow}]
    owner_ref = _owner(request)
    owner = stack.record(owner_ref.type, owner_ref.name) if owner_ref is not None else None
    resource = stack.resolve(request.resource)
    context = {"aws:SecureTransport": "true", **{k: stack.resolve(v) for k, v in request.context.items()}}
    simulation: dict[str, Any] = {
        "request": {
            "principal": principal,
            "action": request.action,
            "resource": {"resource": resource, "accountId": ACCOUNT_ID},
            "contextVariables": context,
        },
        "identityPolicies": policies,
        "serviceControlPolicies": [],
        "resourceControlPolicies": [],
    }
    policy = resource_policy(stack, owner) if owner is not None else None
    if policy is not None:
        simulation["resourcePolicy"] = policy
    return principal, resource, simulation


def node_binary() -> str:
    node = shutil.which("node")
    if node is None:
        raise AccessError("Node.js is not installed: the IAM simulator runs on Node 20 (see the Makefile's install)")
    if not (SIMULATOR_DIR / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        raise AccessError(f"the IAM simulator is not installed: run `npm ci --prefix {SIMULATOR_DIR}` (make install)")
    return node


def simulate(simulations: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run the simulator once over ``simulations``; results in order."""
    jobs = [{"id": i, "simulation": s} for i, s in enumerate(simulations)]
    completed = subprocess.run(
        [node_binary(), str(SIMULATOR_DIR / "simulate.mjs")],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if completed.returncode != 0:
        raise AccessError(f"the IAM simulator failed: {completed.stderr.strip()}")
    results: list[dict[str, Any]] = json.loads(completed.stdout)
    return results


def evaluate(recording: Recording, workloads: Iterable[Workload]) -> list[Outcome]:
    stack = _Stack(recording)
    rows: list[tuple[Workload, Request, str, str]] = []
    simulations = []
    for workload in workloads:
        for request in workload.requests:
            principal, resource, simulation = _simulation(stack, workload, request)
            rows.append((workload, request, principal, resource))
            simulations.append(simulation)
    outcomes, errors = [], []
    for (workload, request, principal, resource), result in zip(rows, simulate(simulations), strict=True):
        if result["decision"] == "Error":
            errors.append(
                f"{workload.name}: {request.label} ({request.action} {resource}): {json.dumps(result['policyErrors'])}"
            )
        outcomes.append(Outcome(workload.name, request, principal, resource, result["decision"]))
    if errors:
        raise AccessError("the simulator rejected " + str(len(errors)) + " requests:\n" + "\n".join(errors))
    return outcomes


def stack_contracts(recording: Recording) -> list[Workload]:
    """Every workload of the stack in ``recording``, from the contracts its components declare."""
    from streaming_platform.app.access import app_workloads
    from streaming_platform.data.access import data_workloads
    from streaming_platform.edge.access import edge_workloads
    from streaming_platform.media.access import media_workloads
    from streaming_platform.network.access import network_workloads
    from streaming_platform.observability.access import observability_workloads

    stack = _Stack(recording)

    def component(type_token: str) -> ResourceRecord | None:
        found = [r for r in recording.resources if r.type == type_token]
        if len(found) > 1:
            raise AccessError(f"{len(found)} {type_token} components; contracts are collected for one")
        return found[0] if found else None

    def name(type_token: str) -> str:
        found = component(type_token)
        if found is None:
            raise AccessError(f"the stack has no {type_token}")
        return found.name

    data = name("streaming:data:DataTier")
    media = name("streaming:media:MediaPipeline")
    transcoder = stack.record("aws:lambda/function:Function", f"{media}-transcoder")
    alarms = name("streaming:observability:AlarmTopics")
    topics = {
        kind: str(stack.record("aws:sns/topic:Topic", f"{alarms}-{kind}topic").inputs.get("region") or stack.region)
        for kind in ("", "edge-")
        if stack.has("aws:sns/topic:Topic", f"{alarms}-{kind}topic")
    }
    dr_region = recording.config.get("streaming:drRegion") or None
    workloads = [
        *network_workloads(name("streaming:network:MultiAzNetwork")),
        *data_workloads(data, dr_region=dr_region),
        *app_workloads(
            name("streaming:app:AppTier"),
            data,
            fleet=component("streaming:app:Fleet") is not None,
            alb_log_principal=_alb_log_principal(stack, data),
        ),
        *media_workloads(
            media,
            data,
            status_function=stack.has("aws:lambda/function:Function", f"{media}-status"),
            upload_prefix=transcoder.inputs["environment"]["variables"]["UPLOAD_PREFIX"],
        ),
        *edge_workloads(name("streaming:edge:StreamingEdge"), data, dr_region=dr_region),
        *observability_workloads(alarms, topics=topics),
    ]
    names = [w.name for w in workloads]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise AccessError(f"workload names must be unique; repeated: {duplicates}")
    return workloads


def _alb_log_principal(stack: _Stack, data: str) -> str:
    """Who delivers the ALB's logs in this region (the Elastic Load Balancing account, or the service)."""
    from streaming_platform.app.load_balancer import ELB_LOG_DELIVERY_ACCOUNTS

    account = ELB_LOG_DELIVERY_ACCOUNTS.get(stack.region)
    return f"arn:aws:iam::{account}:root" if account else "logdelivery.elasticloadbalancing.amazonaws.com"


def totals(outcomes: Sequence[Outcome]) -> Mapping[str, int]:
    return {
        "requests": len(outcomes),
        "workloads": len({o.workload for o in outcomes}),
        "allowed": sum(o.allowed for o in outcomes),
        "denied": sum(not o.allowed for o in outcomes),
        "unexpected": sum(not o.expected for o in outcomes),
    }


def render_markdown(stack_name: str, outcomes: Sequence[Outcome]) -> str:
    t = totals(outcomes)
    lines = [
        f"# Runtime access: stack {stack_name}",
        "",
        "Generated by `make docs` (`python -m offline.access`) from the update-mode recording of the stack: every",
        "workload's access contract (`components/streaming_platform/*/access.py`) evaluated by",
        "`@cloud-copilot/iam-simulate` over the principal's identity policies and the resource's policy (key, trust,",
        "bucket, queue, topic, secret, function permissions). Do not edit by hand; a test fails when it is stale.",
        "",
        f"{t['workloads']} workloads, {t['requests']} requests: {t['allowed']} allowed, {t['denied']} denied, "
        f"**{t['unexpected']} unexpected**.",
        "",
        "What the table takes as given: the context each service adds is the one AWS documents for it (ECS, Lambda,",
        "S3, VPC Flow Logs and MediaConvert send `aws:SourceAccount` when they assume a role; EC2 and API Gateway",
        "do not); AWS managed policies are the documents in `offline/managed_policies.json`; Elastic Load",
        "Balancing's own account allows its log delivery (only the bucket policy is the stack's). CloudFront",
        "standard logging writes through an ACL grant, which no policy simulator evaluates, so it is not listed.",
        "",
        "| workload | request | action | resource | context | expected | simulator |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for o in outcomes:
        context = ", ".join(f"`{k}`" for k in sorted(o.request.context)) or "-"
        verdict = ("allowed" if o.allowed else "denied") + ("" if o.expected else " **UNEXPECTED**")
        lines.append(
            f"| {o.workload} | {o.request.label} | `{o.request.action}` | `{o.resource}` | {context} | "
            f"{o.request.expect.value} | {verdict} |"
        )
    return "\n".join(lines) + "\n"


DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "ACCESS.md"
DOC_STACK = "prod"


def generate(stack_name: str = DOC_STACK) -> str:
    from offline.engine import run_program

    recording = run_program(stack_name, preview=False)
    return render_markdown(stack_name, evaluate(recording, stack_contracts(recording)))


def main(argv: list[str] | None = None) -> int:
    """``python -m offline.access`` rewrites docs/ACCESS.md; ``--check`` exits 1 when it is stale."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m offline.access")
    parser.add_argument("--check", action="store_true", help="fail when docs/ACCESS.md is stale")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        stale = not DOC_PATH.exists() or DOC_PATH.read_text() != text
        if stale:
            print("stale: docs/ACCESS.md (run `make docs`)", file=sys.stderr)
        return 1 if stale else 0
    DOC_PATH.write_text(text)
    print("wrote docs/ACCESS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
