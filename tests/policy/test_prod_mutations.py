"""Mutation test: take the synthesized prod stack, turn off one safeguard at a time, and the pack must say no.

Every mutation is checked in preview mode (ids unknown, as on a new stack) and in update mode,
and must produce a MANDATORY violation of the named policy, never only the advisory
"can't run during preview".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from offline.engine import UNKNOWN, Recording, ResourceRecord
from offline.policy_driver import PolicyReport, analyze

Mutation = Callable[[Recording], list[ResourceRecord]]


_session: dict[str, Callable[..., Recording]] = {}  # filled by tests/policy/conftest.py for every module here


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


MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "app subnets squeezed into one AZ": (
        lambda rec: with_inputs(rec, subnets_of("app"), availabilityZone="us-west-2a"),
        "subnet-tiers-span-azs",
    ),
    "data subnets squeezed into one AZ": (
        lambda rec: with_inputs(rec, subnets_of("data"), availabilityZone="us-west-2b"),
        "subnet-tiers-span-azs",
    ),
    "every AZ routed through one NAT gateway": (reroute_app_to_the_first_nat, "private-subnet-nat-same-az"),
    "KMS key rotation off": (
        lambda rec: with_inputs(rec, lambda r: r.type == "aws:kms/key:Key", enableKeyRotation=False),
        "kms-key-rotation",
    ),
    "flow-log group without its KMS key": (
        lambda rec: with_inputs(rec, lambda r: r.type == "aws:cloudwatch/logGroup:LogGroup", kmsKeyId=None),
        "log-group-kms",
    ),
    "KMS keys unprotected": (unprotect("aws:kms/key:Key"), "stateful-resources-protected"),
    "transcoder Lambda squeezed into one AZ": (squeeze_transcoder_into_one_az, "lambda-vpc-multi-az"),
    "ALB squeezed into one AZ": (
        squeeze_into_one_az("aws:lb/loadBalancer:LoadBalancer", "app-alb", "subnets"),
        "load-balancer-multi-az",
    ),
    "ASG squeezed into one AZ": (
        squeeze_into_one_az("aws:autoscaling/group:Group", "app-fleet", "vpcZoneIdentifiers"),
        "autoscaling-group-multi-az",
    ),
    "ECS service squeezed into one AZ": (
        squeeze_into_one_az("aws:ecs/service:Service", "app-api", "networkConfiguration", "subnets"),
        "ecs-service-multi-az",
    ),
    "ALB web ACL association removed": (drop_alb_web_acl_association, "alb-waf-attached"),
    "distribution web ACL removed": (repoint_distribution_web_acl(None), "cloudfront-waf-attached"),
    "distribution webAclId points at the REGIONAL web ACL": (
        repoint_distribution_web_acl("app-waf"),
        "cloudfront-waf-attached",
    ),
    "distribution viewer protocol allow-all": (distribution_allows_plain_http, "cloudfront-viewer-https"),
    "upload queue without its KMS key": (
        lambda rec: with_inputs(
            rec, lambda r: r.name == "media-queue" and r.type == "aws:sqs/queue:Queue", kmsMasterKeyId=None
        ),
        "sqs-queue-encrypted",
    ),
    "RDS storage unencrypted": (
        lambda rec: with_inputs(rec, named("data-postgres"), storageEncrypted=False, kmsKeyId=None),
        "rds-storage-encrypted",
    ),
    "RDS primary single-AZ": (lambda rec: with_inputs(rec, named("data-postgres"), multiAz=False), "rds-multi-az"),
    "RDS TLS not forced": (
        lambda rec: with_inputs(
            rec, named("data-postgres-params"), parameters=[{"name": "rds.force_ssl", "value": "0"}]
        ),
        "rds-force-ssl",
    ),
    "RDS publicly accessible": (
        lambda rec: with_inputs(rec, named("data-postgres"), publiclyAccessible=True),
        "no-public-datastores",
    ),
    "RDS deletion protection off": (
        lambda rec: with_inputs(rec, named("data-postgres"), deletionProtection=False),
        "rds-deletion-protection",
    ),
    "Redis in-transit encryption off": (
        lambda rec: with_inputs(rec, named("data-redis"), transitEncryptionEnabled=False, transitEncryptionMode=None),
        "elasticache-encrypted",
    ),
    "Redis at-rest encryption off": (
        lambda rec: with_inputs(rec, named("data-redis"), atRestEncryptionEnabled=False, kmsKeyId=None),
        "elasticache-encrypted",
    ),
    "Redis without automatic failover": (
        lambda rec: with_inputs(rec, named("data-redis"), automaticFailoverEnabled=False, multiAzEnabled=False),
        "elasticache-multi-az",
    ),
    "DynamoDB on the AWS-owned key": (
        lambda rec: with_inputs(rec, named("data-videos"), serverSideEncryption={"enabled": False}),
        "dynamodb-cmk-encryption",
    ),
    "DynamoDB without PITR": (
        lambda rec: with_inputs(rec, named("data-sessions"), pointInTimeRecovery={"enabled": False}),
        "dynamodb-pitr",
    ),
    "uploads bucket on SSE-S3": (
        lambda rec: with_inputs(
            rec,
            lambda r: r.name == "data-uploads" and r.type.endswith("BucketServerSideEncryptionConfiguration"),
            rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
        ),
        "s3-bucket-sse-kms",
    ),
    # --- multi-AZ through capacity and minAzs ---------------------------------------------
    "ASG spread over three AZs with a minimum of one instance": (
        lambda rec: with_inputs(rec, named("app-fleet"), minSize=1.0, desiredCapacity=1.0),
        "autoscaling-group-multi-az",
    ),
    "ECS service spread over three AZs with one task": (
        lambda rec: with_inputs(rec, named("app-video"), desiredCount=1.0),
        "ecs-service-multi-az",
    ),
    "ALB on two of prod's three AZs": (
        squeeze_into_two_azs("aws:lb/loadBalancer:LoadBalancer", "app-alb", "subnets"),
        "load-balancer-multi-az",
    ),
    # --- the letter, not the intent ----------------------------------------------------------
    "REGIONAL common rule set in count mode": (
        lambda rec: waf_rules(rec, "app-waf", common_rule_set_counts),
        "waf-web-acl-baseline-rules",
    ),
    "edge rate limit of 2,000,000,000": (
        lambda rec: waf_rules(rec, "edge-waf", rate_limit_of_two_billion),
        "waf-web-acl-baseline-rules",
    ),
    "RDS on the AWS-managed key alias/aws/rds": (
        lambda rec: with_inputs(rec, named("data-postgres"), kmsKeyId="alias/aws/rds"),
        "rds-storage-encrypted",
    ),
    # --- hardening ---------------------------------------------------------------------------
    "SSH open to 0.0.0.0/0": (ssh_open_to_the_world, "security-group-no-open-ingress"),
    # --- rules that never applied to the real program ---------------------------------------
    "uploads bucket versioning suspended": (
        lambda rec: with_inputs(
            rec,
            lambda r: r.name == "data-uploads" and r.type.endswith("BucketVersioning"),
            versioningConfiguration={"status": "Suspended"},
        ),
        "video-buckets-versioned",
    ),
    "uploads bucket tagged LogDelivery=sse-s3 and switched to AES256": (
        lambda rec: with_inputs(
            with_recording(
                rec,
                with_inputs(
                    rec,
                    lambda r: r.name == "data-uploads" and r.type == "aws:s3/bucket:Bucket",
                    tags={**uploads_bucket(rec).inputs["tags"], "LogDelivery": "sse-s3"},
                ),
            ),
            lambda r: r.name == "data-uploads" and r.type.endswith("BucketServerSideEncryptionConfiguration"),
            rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
        ),
        "s3-bucket-sse-kms",
    ),
    # --- another resource type doing the same job ---------------------------------------------
    "REGIONAL WAF rules as WebAclRule resources, the common rule set in count mode": (
        lambda rec: waf_rules_as_resources(rec, "app-waf", common_rule_set_counts),
        "waf-web-acl-baseline-rules",
    ),
    "the API Gateway NLB made internet-facing": (
        lambda rec: with_inputs(rec, named("app-nlb"), internal=False),
        "alb-waf-attached",
    ),
    "a standalone ElastiCache cluster beside the replication group": (
        lambda rec: add_record(
            rec,
            "data-redis",
            "aws:elasticache/cluster:Cluster",
            "data-memcached",
            {
                "engine": "memcached",
                "nodeType": "cache.t4g.small",
                "numCacheNodes": 1.0,
                "transitEncryptionEnabled": True,
            },
        ),
        "elasticache-multi-az",
    ),
    "an HTTP API beside the REST API": (
        lambda rec: add_record(rec, "app-users", "aws:apigatewayv2/api:Api", "app-direct", {"protocolType": "HTTP"}),
        "no-entry-points-without-waf",
    ),
    # --- the letter, not the intent (more) -----------------------------------------------------
    "ALB WAF fail-open": (
        lambda rec: with_inputs(rec, named("app-alb"), enableWafFailOpen=True),
        "alb-waf-attached",
    ),
    "Redis transit encryption preferred": (
        lambda rec: with_inputs(rec, typed(REDIS, "data-redis"), transitEncryptionMode="preferred"),
        "elasticache-encrypted",
    ),
    "a listener rule forwarding on the HTTP listener": (http_listener_rule_forwards, "alb-http-redirects-to-https"),
    "a log group's key typed in as an ARN string": (
        lambda rec: drop_dependency(
            rec, "network-flow-logs", "kmsKeyId", kmsKeyId="arn:aws:kms:us-west-2:111122223333:key/typed-in"
        ),
        "kms-key-of-this-stack",
    ),
    # --- AnalyzeStack sees outputs: what the program left unset ----------------------------------
    "RDS primary without kmsKeyId (AWS fills in its managed key)": (
        lambda rec: with_inputs(rec, the_postgres_primary, kmsKeyId=None),
        "rds-storage-encrypted",
    ),
    "DynamoDB SSE without a key ARN": (
        lambda rec: with_inputs(rec, named("data-videos"), serverSideEncryption={"enabled": True}),
        "dynamodb-cmk-encryption",
    ),
    "ALB internal omitted and its web ACL association removed": (
        lambda rec: with_inputs(
            with_recording(rec, drop_alb_web_acl_association(rec)), named("app-alb"), internal=None
        ),
        "alb-waf-attached",
    ),
    # --- multi-AZ through capacity (more) --------------------------------------------------------
    "RDS primary without a subnet group": (
        lambda rec: with_inputs(rec, the_postgres_primary, dbSubnetGroupName=None),
        "rds-multi-az",
    ),
    "Redis nodes in two of three AZs": (
        lambda rec: with_inputs(
            rec, typed(REDIS, "data-redis"), preferredCacheClusterAzs=["us-west-2a", "us-west-2b", "us-west-2a"]
        ),
        "elasticache-multi-az",
    ),
    # --- values known in update mode contradicting the graph -------------------------------------
    "ECS subnets narrowed to one inside an apply (the graph still lists three)": (
        narrow_subnets_in_apply,
        "ecs-service-multi-az",
    ),
    # --- hardening (more) ------------------------------------------------------------------------
    "an API method without an authorizer": (
        lambda rec: with_inputs(rec, typed(METHOD, "app-api-proxy"), authorization="NONE", authorizerId=None),
        "apigateway-methods-authorized",
    ),
    "a privileged root container with a writable root filesystem": (
        lambda rec: task_container(rec, "app-api-task", privileged=True, user="root", readonlyRootFilesystem=False),
        "ecs-task-hardened",
    ),
    "ECS tasks with public IPs": (
        lambda rec: with_inputs(
            rec,
            lambda r: r.type == "aws:ecs/service:Service" and r.name == "app-video",
            networkConfiguration={**rec.named("app-video").inputs["networkConfiguration"], "assignPublicIp": True},
        ),
        "ecs-service-no-public-ip",
    ),
    "the flow log removed": (
        lambda rec: [r for r in rec.resources if r.type != "aws:ec2/flowLog:FlowLog"],
        "vpc-flow-logs-enabled",
    ),
    "ALB deletion protection off": (
        lambda rec: with_inputs(rec, named("app-alb"), enableDeletionProtection=False),
        "load-balancer-hardened",
    ),
    "Cognito deletion protection off": (
        lambda rec: with_inputs(rec, named("app-users"), deletionProtection="INACTIVE"),
        "cognito-user-pool-deletion-protection",
    ),
    "RDS skipFinalSnapshot with deleteAutomatedBackups": (
        lambda rec: with_inputs(rec, the_postgres_primary, skipFinalSnapshot=True, deleteAutomatedBackups=True),
        "rds-backup-retention",
    ),
    "IMDS hop limit 2": (
        lambda rec: with_inputs(
            rec,
            lambda r: r.type == "aws:ec2/launchTemplate:LaunchTemplate",
            metadataOptions={
                **rec.of_type("aws:ec2/launchTemplate:LaunchTemplate")[0].inputs["metadataOptions"],
                "httpPutResponseHopLimit": 2.0,
            },
        ),
        "launch-template-imdsv2",
    ),
    # --- robustness ----------------------------------------------------------------------------
    "unknown cache behavior beside a plain-HTTP one": (unknown_behavior_beside_plain_http, "cloudfront-viewer-https"),
    "renditions bucket accepts public ACLs": (
        lambda rec: with_inputs(
            rec,
            lambda r: r.name == "data-renditions" and r.type.endswith("BucketPublicAccessBlock"),
            blockPublicAcls=False,
        ),
        "s3-bucket-public-access-block",
    ),
}


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_the_synthesized_prod_stack_passes(preview):
    report = run(prod(preview), prod(preview).resources)
    # The aws-api pillar's known findings on the real stack are pinned in test_aws_api.py.
    assert [d for d in report.mandatory if not d.policy.startswith("aws-")] == []
    assert [d for d in report.advisory if not d.unknown] == []


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_turning_off_one_safeguard_is_a_mandatory_violation(mutation, preview):
    mutate, policy = MUTATIONS[mutation]
    rec = prod(preview)
    report = run(rec, mutate(rec))
    # The named guardrail fires as MANDATORY; a mutation may trip related ones too (squeezing the app
    # subnets into one AZ also leaves two AZs routed to another AZ's NAT gateway).
    assert policy in {d.policy for d in report.mandatory}, report.render()
