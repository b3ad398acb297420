"""Shared by the tests that build one application-tier part alone (tests/programs/app_part)."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from offline.engine import Recording, ResourceRecord, run_program
from tests.graph import dep

PROGRAM = Path(__file__).resolve().parent / "programs" / "app_part" / "__main__.py"
REGION = "us-east-2"  # the dev stack's region: the program runs under its config
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


@cache
def build(
    part: str, *, protect: bool = False, no_data: bool = False, ses_sender: str = "", variant: str = ""
) -> Recording:
    overrides = {
        "part:build": part,
        "part:protect": str(protect).lower(),
        "part:noData": str(no_data).lower(),
        "part:variant": variant,
    }
    if ses_sender:
        overrides["part:sesSender"] = ses_sender
    return run_program("dev", preview=False, config_overrides=overrides, program=PROGRAM)


def one(rec: Recording, type_: str, name: str) -> ResourceRecord:
    (match,) = [r for r in rec.resources if r.type == type_ and r.name == name]
    return match


def statements(policy: str) -> list[dict[str, Any]]:
    return json.loads(policy)["Statement"]


def counts(rec: Recording) -> dict[str, int]:
    return dict(Counter(r.type for r in rec.resources))


def rules(rec: Recording, type_: str) -> set[tuple[str, str, int]]:
    """(rule owner group, peer, port) for every rule of ``type_``; peers are group ids or the CIDR/prefix list."""
    out = set()
    for r in rec.of_type(type_):
        owner = r.inputs["securityGroupId"]
        owner = (
            dep(rec, r, "securityGroupId").name
            if owner.startswith("sg-") and r.property_dependencies.get("securityGroupId")
            else owner
        )
        peer = r.inputs.get("referencedSecurityGroupId") or r.inputs.get("cidrIpv4") or "prefix-list"
        if r.property_dependencies.get("referencedSecurityGroupId"):
            peer = dep(rec, r, "referencedSecurityGroupId").name
        out.add((owner, peer, int(r.inputs["fromPort"])))
        assert r.inputs["fromPort"] == r.inputs["toPort"]
    return out
