"""ECS: services spread over AZs.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pulumi_policy import Severity

from . import graph as g
from .checks import MIN_AZS, capacity_floor, span
from .graph import Node, is_unknown, truthy
from .rule import Ctx, Finding, Rule, Unknown

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ROOT_USERS = ("root", "0")


def _ecs_not_awsvpc(node: Node, _ctx: Ctx) -> str | None:
    return None if node.get("networkConfiguration") is not None else "no networkConfiguration (not awsvpc)"


ECS_MULTI_AZ: Rule = Rule(
    name="ecs-service-multi-az",
    description="Every ECS service with awsvpc networking places tasks in subnets of at least minAzs AZs and runs "
    "at least minAzs tasks.",
    pillar="multi-az",
    types=(g.ECS_SERVICE,),
    scope="stack",
    check=lambda n, c: (
        *span(
            c,
            ECS_MULTI_AZ,
            n,
            ("networkConfiguration",),
            "ECS service",
            ids=lambda x: x.get("networkConfiguration", "subnets"),
        ),
        *capacity_floor(c, ECS_MULTI_AZ, n, "desiredCount", "ECS service"),
    ),
    exempt=_ecs_not_awsvpc,
    options=(MIN_AZS,),
    why="Fargate tasks are spread only across the subnets they are given.",
    remediation="Set networkConfiguration.subnets to the app-tier subnets of every AZ and desired_count to at "
    "least one task per AZ.",
)


def _containers(node: Node) -> Any:
    raw = node.get("containerDefinitions")
    if is_unknown(raw):
        return g.UNKNOWN
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    return raw if isinstance(raw, list) else None


def _check_task_hardened(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    containers = _containers(node)
    if is_unknown(containers):
        yield Unknown("containerDefinitions")
        return
    if containers is None:
        yield "containerDefinitions is not a JSON list of container definitions"
        return
    for c in containers:
        if not isinstance(c, dict):
            yield "containerDefinitions holds an element that is not an object"
            continue
        name = c.get("name", "?")
        if truthy(c.get("privileged")):
            yield f"container {name} is privileged"
        if not truthy(c.get("readonlyRootFilesystem")):
            yield f"container {name} does not set readonlyRootFilesystem"
        user = c.get("user")
        if not isinstance(user, str) or not user or user.split(":", 1)[0] in ROOT_USERS:
            if _is_capability_less_init(c):
                continue
            yield f"container {name} runs as {user or 'the image default user (root unless the image says otherwise)'}"


def _is_capability_less_init(c: dict[str, Any]) -> bool:
    """A root container that can act only on what root owns: non-essential (a setup step the service waits for),
    every Linux capability dropped and none added, no ports and no secrets. Without CAP_DAC_OVERRIDE and
    CAP_FOWNER root cannot touch files it does not own (capabilities(7)); this is how a task makes its Fargate
    bind mount, root-owned 0755 unless the image declares the volume (ECS Developer Guide, "Bind mounts"),
    writable for the service's non-root user."""
    caps = (c.get("linuxParameters") or {}).get("capabilities") or {}
    return (
        c.get("essential") is False
        and list(caps.get("drop") or []) == ["ALL"]
        and not caps.get("add")
        and not c.get("portMappings")
        and not c.get("secrets")
    )


ECS_TASK_HARDENED = Rule(
    name="ecs-task-hardened",
    description="Every ECS container runs unprivileged, with a read-only root filesystem, as a non-root user.",
    pillar="hardening",
    types=(TASK_DEFINITION,),
    check=_check_task_hardened,
    fsbp=("ECS.4", "ECS.5"),
    severity=Severity.HIGH,
    why="A privileged or root container with a writable root filesystem turns an application bug into a host or "
    "task-role compromise.",
    remediation="In every container definition set privileged=false (or omit it), readonlyRootFilesystem=true "
    "(mount a volume for scratch space) and user to a numeric non-root uid:gid. The one root container accepted is "
    'a non-essential setup step with every capability dropped (linuxParameters.capabilities.drop ["ALL"]), no '
    "ports and no secrets.",
)


def _check_no_public_ip(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    v = node.get("networkConfiguration", "assignPublicIp")
    if is_unknown(v):
        yield Unknown("networkConfiguration.assignPublicIp")
    elif truthy(v):
        yield "networkConfiguration.assignPublicIp is true: every task gets a public IP address"


ECS_NO_PUBLIC_IP = Rule(
    name="ecs-service-no-public-ip",
    description="No ECS service assigns public IP addresses to its tasks.",
    pillar="hardening",
    types=(g.ECS_SERVICE,),
    check=_check_no_public_ip,
    exempt=_ecs_not_awsvpc,
    fsbp=("ECS.2",),
    severity=Severity.HIGH,
    why="Tasks with public IPs are reachable around the load balancer and WAF; egress belongs to NAT or endpoints.",
    remediation="Set network_configuration.assign_public_ip=False and run the tasks in the private app subnets.",
)


RULES = (ECS_MULTI_AZ, ECS_TASK_HARDENED, ECS_NO_PUBLIC_IP)
