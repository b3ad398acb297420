"""Mutations of the synthesized prod stack shared by the mutation tests: each takes the recording and returns
its resources with one realistic change (the recording itself is never edited)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from offline.engine import UNKNOWN, Recording, ResourceRecord
from offline.policy_driver import PolicyReport, analyze

Mutation = Callable[[Recording], list[ResourceRecord]]


_session: dict[str, Callable[..., Recording]] = {}  # filled by tests/policy/conftest.py for every test there


def prod(preview: bool) -> Recording:
    """The prod stack's recording, shared by the whole test session (tests/conftest.py); mutations copy, never edit."""
    return _session["recording"]("prod", preview=preview)


def run(recording: Recording, resources: list[ResourceRecord]) -> PolicyReport:
    return analyze(
        resources,
        project=recording.project,
        stack=recording.stack,
        preview=recording.preview,
        config=recording.config,
    )


def with_inputs(rec: Recording, match: Callable[[ResourceRecord], bool], **changes: Any) -> list[ResourceRecord]:
    """The stack with ``changes`` applied to the inputs of every resource ``match`` selects (None drops a key)."""
    hit = False
    out = []
    for r in rec.resources:
        if match(r):
            hit = True
            inputs = {**r.inputs, **changes}
            r = replace(r, inputs={k: v for k, v in inputs.items() if v is not None})
        out.append(r)
    assert hit, "the mutation matched nothing: the stack changed shape"
    return out


def with_recording(rec: Recording, resources: list[ResourceRecord]) -> Recording:
    """``rec`` with its resources replaced (to chain two mutations)."""
    return replace(rec, resources=resources)


def uploads_bucket(rec: Recording) -> ResourceRecord:
    (bucket,) = [r for r in rec.resources if r.name == "data-uploads" and r.type == "aws:s3/bucket:Bucket"]
    return bucket


def named(name: str) -> Callable[[ResourceRecord], bool]:
    return lambda r: r.name == name


def subnets_of(tier: str) -> Callable[[ResourceRecord], bool]:
    return lambda r: r.type == "aws:ec2/subnet:Subnet" and (r.inputs.get("tags") or {}).get("Tier") == tier


def reroute_app_to_the_first_nat(rec: Recording) -> list[ResourceRecord]:
    nats = sorted((r for r in rec.resources if r.type == "aws:ec2/natGateway:NatGateway"), key=lambda r: r.name)
    out = []
    for r in rec.resources:
        if r.type == "aws:ec2/route:Route" and "natGatewayId" in r.property_dependencies:
            deps = {**r.property_dependencies, "natGatewayId": (nats[0].urn,)}
            r = replace(r, property_dependencies=deps, dependencies=tuple({*r.dependencies, nats[0].urn}))
        out.append(r)
    return out


def squeeze_transcoder_into_one_az(rec: Recording) -> list[ResourceRecord]:
    """The transcoder keeps only its first app subnet, in its inputs and in the dependency graph."""
    out = []
    for r in rec.resources:
        if r.type == "aws:lambda/function:Function" and r.name == "media-transcoder":
            urns = r.property_dependencies["vpcConfig"]
            subnets = [u for u in urns if "aws:ec2/subnet:Subnet" in u]
            kept = tuple(u for u in urns if u not in subnets[1:])
            vpc = {**r.inputs["vpcConfig"], "subnetIds": r.inputs["vpcConfig"]["subnetIds"][:1]}
            r = replace(
                r,
                inputs={**r.inputs, "vpcConfig": vpc},
                property_dependencies={**r.property_dependencies, "vpcConfig": kept},
            )
        out.append(r)
    return out


def squeeze_into_one_az(type_: str, name: str, prop: str, *path: str) -> Mutation:
    """Resource ``name`` keeps only its first subnet under ``prop`` (at ``path`` in the inputs) and in the graph."""

    def mutate(rec: Recording) -> list[ResourceRecord]:
        out, hit = [], False
        for r in rec.resources:
            if r.type == type_ and r.name == name:
                hit = True
                urns = r.property_dependencies[prop]
                subnets = [u for u in urns if "aws:ec2/subnet:Subnet" in u]
                kept = tuple(u for u in urns if u not in subnets[1:])
                value = r.inputs[prop]
                value = {**value, path[0]: value[path[0]][:1]} if path else value[:1]
                r = replace(
                    r,
                    inputs={**r.inputs, prop: value},
                    property_dependencies={**r.property_dependencies, prop: kept},
                )
            out.append(r)
        assert hit, f"no {type_} named {name}"
        return out

    return mutate


def drop_alb_web_acl_association(rec: Recording) -> list[ResourceRecord]:
    alb = next(r for r in rec.resources if r.type == "aws:lb/loadBalancer:LoadBalancer" and r.name == "app-alb")
    out = [
        r
        for r in rec.resources
        if not (
            r.type == "aws:wafv2/webAclAssociation:WebAclAssociation"
            and alb.urn in r.property_dependencies.get("resourceArn", ())
        )
    ]
    assert len(out) == len(rec.resources) - 1
    return out


def unprotect(type_: str) -> Mutation:
    def mutate(rec: Recording) -> list[ResourceRecord]:
        assert rec.of_type(type_)
        return [replace(r, protect=False) if r.type == type_ else r for r in rec.resources]

    return mutate


def repoint_distribution_web_acl(to: str | None) -> Mutation:
    """The distribution's webAclId dropped (``to`` None) or taken from the web ACL named ``to``, inputs and graph."""

    def mutate(rec: Recording) -> list[ResourceRecord]:
        out, hit = [], False
        for r in rec.resources:
            if r.type == "aws:cloudfront/distribution:Distribution":
                hit = True
                deps = {k: v for k, v in r.property_dependencies.items() if k != "webAclId"}
                inputs = {k: v for k, v in r.inputs.items() if k != "webAclId"}
                if to is not None:
                    acl = rec.named(to)
                    deps["webAclId"] = (acl.urn,)
                    inputs["webAclId"] = acl.id or r.inputs.get("webAclId")
                r = replace(r, inputs=inputs, property_dependencies=deps)
            out.append(r)
        assert hit, "no distribution: the stack changed shape"
        return out

    return mutate


def distribution_allows_plain_http(rec: Recording) -> list[ResourceRecord]:
    return with_inputs(
        rec,
        lambda r: r.type == "aws:cloudfront/distribution:Distribution",
        defaultCacheBehavior={
            **rec.named("edge-cdn").inputs["defaultCacheBehavior"],
            "viewerProtocolPolicy": "allow-all",
        },
    )


def squeeze_into_two_azs(type_: str, name: str, prop: str) -> Mutation:
    """Drop the third AZ's subnet from ``prop`` (inputs and graph): two of prod's three AZs."""

    def mutate(rec: Recording) -> list[ResourceRecord]:
        out = []
        for r in rec.resources:
            if r.type == type_ and r.name == name:
                urns = r.property_dependencies[prop]
                subnets = [u for u in urns if "aws:ec2/subnet:Subnet" in u]
                kept = tuple(u for u in urns if u != subnets[-1])
                r = replace(
                    r,
                    inputs={**r.inputs, prop: r.inputs[prop][:-1]},
                    property_dependencies={**r.property_dependencies, prop: kept},
                )
            out.append(r)
        return out

    return mutate


def waf_rules(rec: Recording, acl: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> list[ResourceRecord]:
    return with_inputs(rec, named(acl), rules=[change(dict(r)) for r in rec.named(acl).inputs["rules"]])


def common_rule_set_counts(rule: dict[str, Any]) -> dict[str, Any]:
    if rule["name"] == "AWSManagedRulesCommonRuleSet":
        rule["overrideAction"] = {"count": {}}
    return rule


def rate_limit_of_two_billion(rule: dict[str, Any]) -> dict[str, Any]:
    if "rateBasedStatement" in rule["statement"]:
        rule["statement"] = {"rateBasedStatement": {**rule["statement"]["rateBasedStatement"], "limit": 2e9}}
    return rule


def ssh_open_to_the_world(rec: Recording) -> list[ResourceRecord]:
    return with_inputs(
        rec,
        named("app-alb-to-frontend-in"),
        referencedSecurityGroupId=None,
        cidrIpv4="0.0.0.0/0",
        fromPort=22.0,
        toPort=22.0,
    )


def unknown_behavior_beside_plain_http(rec: Recording) -> list[ResourceRecord]:
    """An unknown element in orderedCacheBehaviors used to crash the pack; the plain-HTTP one must still fire."""
    ordered = rec.named("edge-cdn").inputs["orderedCacheBehaviors"]
    return with_inputs(
        rec,
        named("edge-cdn"),
        orderedCacheBehaviors=[UNKNOWN, {**ordered[0], "viewerProtocolPolicy": "allow-all"}, *ordered[1:]],
    )


def typed(type_: str, name: str) -> Callable[[ResourceRecord], bool]:
    return lambda r: r.type == type_ and r.name == name


def the(rec: Recording, type_: str, name: str) -> ResourceRecord:
    (r,) = [r for r in rec.resources if typed(type_, name)(r)]
    return r


REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
METHOD = "aws:apigateway/method:Method"


def add_record(rec: Recording, like: str, type_: str, name: str, inputs: dict[str, Any]) -> list[ResourceRecord]:
    """The stack plus one more resource of ``type_`` (parented and URN-shaped like ``like``, no dependencies)."""
    (base,) = [r for r in rec.resources if r.name == like and r.custom and r.type.split(":")[1] != "ec2/securityGroup"]
    urn = base.urn.rsplit("::", 2)[0] + f"::{base.urn.rsplit('::', 2)[1].rsplit('$', 1)[0]}${type_}::{name}"
    extra = replace(base, type=type_, name=name, urn=urn, inputs=inputs, dependencies=(), property_dependencies={})
    return [*rec.resources, extra]


def drop_dependency(rec: Recording, name: str, prop: str, **changes: Any) -> list[ResourceRecord]:
    """``name``'s input ``prop`` no longer comes from another resource (a string typed in), with ``changes``."""
    out = []
    for r in with_inputs(rec, named(name), **changes):
        if r.name == name:
            deps = {k: v for k, v in r.property_dependencies.items() if k != prop}
            r = replace(r, property_dependencies=deps)
        out.append(r)
    return out


def waf_rules_as_resources(
    rec: Recording, acl: str, change: Callable[[dict[str, Any]], dict[str, Any]]
) -> list[ResourceRecord]:
    """``acl``'s inline rules moved to aws:wafv2/webAclRule resources whose webAclArn depends on the ACL."""
    source = rec.named(acl)
    out = with_inputs(rec, named(acl), rules=[])
    for rule in source.inputs["rules"]:
        extra = replace(
            source,
            type="aws:wafv2/webAclRule:WebAclRule",
            name=f"{acl}-{rule['name']}",
            urn=source.urn.replace("aws:wafv2/webAcl:WebAcl::", "aws:wafv2/webAclRule:WebAclRule::")
            + f"-{rule['name']}",
            inputs={**change(dict(rule)), "webAclArn": source.id or UNKNOWN},
            dependencies=(source.urn,),
            property_dependencies={"webAclArn": (source.urn,)},
        )
        out.append(extra)
    return out


def http_listener_rule_forwards(rec: Recording) -> list[ResourceRecord]:
    """The frontend's listener rule moved to the port-80 listener (inputs and graph), still forwarding."""
    http = rec.named("app-http")
    assert any(r.name == "app-frontend-rule" for r in rec.resources), "the mutation matched nothing"
    out = []
    for r in rec.resources:
        if r.name == "app-frontend-rule":
            r = replace(
                r,
                inputs={**r.inputs, "listenerArn": http.id or UNKNOWN},
                property_dependencies={**r.property_dependencies, "listenerArn": (http.urn,)},
            )
        out.append(r)
    return out


def narrow_subnets_in_apply(rec: Recording) -> list[ResourceRecord]:
    """app-api's subnets narrowed to the first inside an apply: the graph still lists all three."""
    svc = next(r for r in rec.resources if r.type == "aws:ecs/service:Service" and r.name == "app-api")
    net = svc.inputs["networkConfiguration"]
    return with_inputs(rec, lambda r: r is svc, networkConfiguration={**net, "subnets": net["subnets"][:1]})


def task_container(rec: Recording, task: str, **changes: Any) -> list[ResourceRecord]:
    """The first container of ``task`` changed; in preview its JSON (unknown: it embeds log group names) is
    written out as a literal, the way update mode knows it."""
    containers = json.loads(the(prod(False), TASK, task).inputs["containerDefinitions"])
    containers[0].update(changes)
    return with_inputs(rec, typed(TASK, task), containerDefinitions=json.dumps(containers))


def the_postgres_primary(r: ResourceRecord) -> bool:
    return r.type == "aws:rds/instance:Instance" and r.name == "data-postgres"
