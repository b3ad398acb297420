"""More mutations of the synthesized prod stack (see test_prod_mutations.py): the job, not one resource type.

Multi-AZ through capacity and prod's three AZs for every rule (pinned in test_pack.py), values narrowed
inside an apply while the graph keeps every subnet, and the hardening the stack relies on. Each must be a
MANDATORY violation of the named policy in preview (ids unknown) and update mode. Policy JSON that embeds
ARNs is unknown in preview; a mutation writes it out as a literal, the way update mode knows it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from offline.engine import Recording, ResourceRecord

from .mutations import prod, run, task_container, the, typed, with_inputs

Mutation = Callable[[Recording], list[ResourceRecord]]
SUBNET = "aws:ec2/subnet:Subnet"
RDS = "aws:rds/instance:Instance"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SG = "aws:ec2/securityGroup:SecurityGroup"


def keep_subnets(type_: str, name: str, path: tuple[str, ...], keep: int, *, graph: bool) -> Mutation:
    """``name`` keeps its first ``keep`` subnet ids at ``path``; with ``graph`` its dependencies drop the others
    too (a change in the program), without it the graph still lists every subnet (narrowed inside an apply)."""

    def mutate(rec: Recording) -> list[ResourceRecord]:
        target = the(rec, type_, name)
        prop = path[0]
        ids = target.inputs[prop] if len(path) == 1 else target.inputs[prop][path[1]]
        dropped = set(ids[keep:])
        value = ids[:keep] if len(path) == 1 else {**target.inputs[prop], path[1]: ids[:keep]}
        deps = dict(target.property_dependencies)
        if graph:
            by_urn = {r.urn: r for r in rec.resources}
            subnets = [u for u in deps[prop] if by_urn[u].type == SUBNET]
            known = all(isinstance(by_urn[u].id, str) for u in subnets)
            gone = {u for u in subnets if by_urn[u].id in dropped} if known else set(subnets[keep:])
            deps[prop] = tuple(u for u in deps[prop] if u not in gone)
        changed = replace(target, inputs={**target.inputs, prop: value}, property_dependencies=deps)
        return [changed if r is target else r for r in rec.resources]

    return mutate


def update_json(rec: Recording, type_: str, name: str, prop: str, change: Callable[[Any], Any]) -> list[ResourceRecord]:
    """``name``'s JSON input ``prop`` (taken from update mode: in preview it embeds unknown ARNs) changed."""
    doc = json.loads(the(prod(False), type_, name).inputs[prop])
    return with_inputs(rec, typed(type_, name), **{prop: json.dumps(change(doc))})


def add_statement(st: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda doc: {**doc, "Statement": [*doc["Statement"], st]}


def replicas(rec: Recording, **changes: Any) -> list[ResourceRecord]:
    return with_inputs(rec, lambda r: r.type == RDS and bool(r.inputs.get("replicateSourceDb")), **changes)


def world_ingress(protocol: str, lo: float, hi: float, cidr: str = "0.0.0.0/0") -> Mutation:
    """The database security group's inline rule opened to ``cidr`` on ``protocol`` ``lo``-``hi``."""
    rule = {"protocol": protocol, "fromPort": lo, "toPort": hi, "cidrBlocks": [cidr] if ":" not in cidr else []}
    if ":" in cidr:
        rule["ipv6CidrBlocks"] = [cidr]
    return lambda rec: with_inputs(rec, typed(SG, "data-postgres"), ingress=[rule])


def without(type_: str, name: str) -> Mutation:
    def mutate(rec: Recording) -> list[ResourceRecord]:
        out = [r for r in rec.resources if not typed(type_, name)(r)]
        assert len(out) == len(rec.resources) - 1, f"no {type_} named {name}"
        return out

    return mutate


def replication_rule(rec: Recording, name: str, **changes: Any) -> list[ResourceRecord]:
    cfg = the(rec, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", name)
    return with_inputs(rec, lambda r: r is cfg, rules=[{**cfg.inputs["rules"][0], **changes}])


PUBLIC_DECRYPT = {"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
PUBLIC_SEND = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sqs:SendMessage", "Resource": "*"}
ANY_ACCOUNT_ALARMS = {
    "Sid": "AnyAccountsAlarms",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "sns:Publish",
    "Resource": "*",
    "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-west-2:*:alarm:*"}},
}
SECRET_FOR_ALL = {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
EVERYTHING = {"Effect": "Allow", "Action": "*", "Resource": "*"}
ALL_BUT_IAM = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _two_of_three(type_: str, name: str, *path: str) -> Mutation:
    return keep_subnets(type_, name, path, 2, graph=True)


def _in_apply(type_: str, name: str, *path: str) -> Mutation:
    return keep_subnets(type_, name, path, 1, graph=False)


MUTATIONS: dict[str, tuple[Mutation, str]] = {
    # --- multi-AZ through capacity; minAzs 3 binds every multi-AZ rule in prod ------------------------
    "all read replicas in one AZ": (
        lambda rec: replicas(rec, availabilityZone="us-west-2b"),
        "rds-read-replicas-span-azs",
    ),
    "read replicas without an availabilityZone (RDS chooses)": (
        lambda rec: replicas(rec, availabilityZone=None),
        "rds-read-replicas-span-azs",
    ),
    "ASG on two of prod's three AZs": (
        _two_of_three("aws:autoscaling/group:Group", "app-fleet", "vpcZoneIdentifiers"),
        "autoscaling-group-multi-az",
    ),
    "ECS service on two of prod's three AZs": (
        _two_of_three("aws:ecs/service:Service", "app-video", "networkConfiguration", "subnets"),
        "ecs-service-multi-az",
    ),
    "transcoder Lambda on two of prod's three AZs": (
        _two_of_three("aws:lambda/function:Function", "media-transcoder", "vpcConfig", "subnetIds"),
        "lambda-vpc-multi-az",
    ),
    "RDS subnet group on two of prod's three AZs": (
        _two_of_three("aws:rds/subnetGroup:SubnetGroup", "data-postgres-subnets", "subnetIds"),
        "data-subnet-groups-multi-az",
    ),
    "Redis subnet group on two of prod's three AZs": (
        _two_of_three("aws:elasticache/subnetGroup:SubnetGroup", "data-redis-subnets", "subnetIds"),
        "data-subnet-groups-multi-az",
    ),
    "Redis with two nodes for three AZs": (
        lambda rec: with_inputs(
            rec,
            typed("aws:elasticache/replicationGroup:ReplicationGroup", "data-redis"),
            numCacheClusters=2.0,
            preferredCacheClusterAzs=None,
        ),
        "elasticache-multi-az",
    ),
    # --- values known in update mode that contradict the graph ------------------------------------------
    "ALB subnets narrowed to one inside an apply": (
        _in_apply("aws:lb/loadBalancer:LoadBalancer", "app-alb", "subnets"),
        "load-balancer-multi-az",
    ),
    "ASG subnets narrowed to one inside an apply": (
        _in_apply("aws:autoscaling/group:Group", "app-fleet", "vpcZoneIdentifiers"),
        "autoscaling-group-multi-az",
    ),
    "transcoder subnets narrowed to one inside an apply": (
        _in_apply("aws:lambda/function:Function", "media-transcoder", "vpcConfig", "subnetIds"),
        "lambda-vpc-multi-az",
    ),
    "RDS subnet group narrowed to one inside an apply": (
        _in_apply("aws:rds/subnetGroup:SubnetGroup", "data-postgres-subnets", "subnetIds"),
        "data-subnet-groups-multi-az",
    ),
    # --- network hardening ---------------------------------------------------------------------------
    "Postgres open to 0.0.0.0/0 on 5432": (world_ingress("tcp", 5432.0, 5432.0), "security-group-no-open-ingress"),
    "every protocol and port open to 0.0.0.0/0": (world_ingress("-1", 0.0, 0.0), "security-group-no-open-ingress"),
    "tcp 0-65535 open to ::/0": (world_ingress("tcp", 0.0, 65535.0, "::/0"), "security-group-no-open-ingress"),
    "the default security group reopened": (
        lambda rec: with_inputs(
            rec,
            typed("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "network-default-sg"),
            ingress=[{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"]}],
        ),
        "default-security-group-closed",
    ),
    # --- resource policies open to everyone -------------------------------------------------------------
    "media key policy allows Principal * to decrypt": (
        lambda rec: update_json(rec, "aws:kms/key:Key", "data-media-key", "policy", add_statement(PUBLIC_DECRYPT)),
        "resource-policies-not-public",
    ),
    "upload queue policy allows {AWS: *} to send": (
        lambda rec: update_json(
            rec, "aws:sqs/queuePolicy:QueuePolicy", "media-queue-policy", "policy", add_statement(PUBLIC_SEND)
        ),
        "resource-policies-not-public",
    ),
    "alarm topic policy allows any account's alarms (wildcard account in aws:SourceArn)": (
        lambda rec: update_json(
            rec, "aws:sns/topicPolicy:TopicPolicy", "alarms-topic-policy", "policy", add_statement(ANY_ACCOUNT_ALARMS)
        ),
        "resource-policies-not-public",
    ),
    "session secret with a policy for everyone": (
        lambda rec: with_inputs(
            rec,
            typed("aws:secretsmanager/secret:Secret", "app-session-key"),
            policy=json.dumps({"Version": "2012-10-17", "Statement": [SECRET_FOR_ALL]}),
        ),
        "resource-policies-not-public",
    ),
    "status function invocable by principal * from anywhere": (
        lambda rec: with_inputs(
            rec,
            typed("aws:lambda/permission:Permission", "media-status-from-events"),
            principal="*",
            sourceArn=None,
        ),
        "resource-policies-not-public",
    ),
    "a disabled KMS key": (
        lambda rec: with_inputs(rec, typed("aws:kms/key:Key", "data-media-key"), isEnabled=False),
        "kms-key-enabled",
    ),
    # --- access logs and load balancer hardening -------------------------------------------------------
    "ALB access logs off": (
        lambda rec: with_inputs(
            rec,
            typed("aws:lb/loadBalancer:LoadBalancer", "app-alb"),
            accessLogs={
                **the(rec, "aws:lb/loadBalancer:LoadBalancer", "app-alb").inputs["accessLogs"],
                "enabled": False,
            },
        ),
        "entry-point-access-logs",
    ),
    "CloudFront access logs off": (
        lambda rec: with_inputs(rec, typed("aws:cloudfront/distribution:Distribution", "edge-cdn"), loggingConfig=None),
        "entry-point-access-logs",
    ),
    "API stage access logs off": (
        lambda rec: with_inputs(rec, typed("aws:apigateway/stage:Stage", "app-api-stage"), accessLogSettings=None),
        "entry-point-access-logs",
    ),
    "ALB keeps invalid header fields": (
        lambda rec: with_inputs(
            rec, typed("aws:lb/loadBalancer:LoadBalancer", "app-alb"), dropInvalidHeaderFields=False
        ),
        "load-balancer-hardened",
    ),
    # --- identity policies ------------------------------------------------------------------------------
    'the API task role allows Action "*"': (
        lambda rec: update_json(rec, ROLE_POLICY, "app-api-task", "policy", add_statement(EVERYTHING)),
        "iam-no-full-admin-statements",
    ),
    "the transcoder role allows NotAction iam:*": (
        lambda rec: update_json(rec, ROLE_POLICY, "media-transcoder", "policy", add_statement(ALL_BUT_IAM)),
        "iam-no-full-admin-statements",
    ),
    "AdministratorAccess attached to the fleet role": (
        lambda rec: with_inputs(
            rec, typed("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "app-fleet-ssm"), policyArn=ADMIN_ARN
        ),
        "iam-no-full-admin-statements",
    ),
    # --- containers, one defect at a time ---------------------------------------------------------------
    "a privileged container": (
        lambda rec: task_container(rec, "app-video-task", privileged=True),
        "ecs-task-hardened",
    ),
    "a container running as root": (lambda rec: task_container(rec, "app-user-task", user="0"), "ecs-task-hardened"),
    "a container with a writable root filesystem": (
        lambda rec: task_container(rec, "app-comment-task", readonlyRootFilesystem=False),
        "ecs-task-hardened",
    ),
    # --- backups, versioning, DR -----------------------------------------------------------------------
    "Redis snapshot retention 0": (
        lambda rec: with_inputs(
            rec,
            typed("aws:elasticache/replicationGroup:ReplicationGroup", "data-redis"),
            snapshotRetentionLimit=0.0,
        ),
        "elasticache-backups",
    ),
    "RDS backup retention 0": (
        lambda rec: with_inputs(rec, typed(RDS, "data-postgres"), backupRetentionPeriod=0.0),
        "rds-backup-retention",
    ),
    "renditions bucket versioning suspended": (
        lambda rec: with_inputs(
            rec,
            typed("aws:s3/bucketVersioning:BucketVersioning", "data-renditions"),
            versioningConfiguration={"status": "Suspended"},
        ),
        "video-buckets-versioned",
    ),
    "uploads DR replication removed": (
        without("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "data-uploads-replication"),
        "s3-bucket-dr-replication",
    ),
    "renditions replication rule disabled": (
        lambda rec: replication_rule(rec, "data-renditions-replication", status="Disabled"),
        "s3-bucket-dr-replication",
    ),
    "renditions replication narrowed to one prefix": (
        lambda rec: replication_rule(rec, "data-renditions-replication", filter={"prefix": "manifests/"}),
        "s3-bucket-dr-replication",
    ),
    "uploads bucket re-tagged out of the replicated roles (and its replication removed)": (
        lambda rec: with_inputs(
            replace(
                rec,
                resources=without("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "data-uploads-replication")(
                    rec
                ),
            ),
            typed("aws:s3/bucket:Bucket", "data-uploads"),
            tags={**the(rec, "aws:s3/bucket:Bucket", "data-uploads").inputs["tags"], "BucketRole": "originals"},
        ),
        "s3-bucket-dr-replication",
    ),
}


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_the_job_not_one_resource_type(mutation: str, preview: bool) -> None:
    mutate, policy = MUTATIONS[mutation]
    rec = prod(preview)
    report = run(rec, mutate(rec))
    assert policy in {d.policy for d in report.mandatory}, report.render()


def test_prod_lists_the_buckets_that_replicate() -> None:
    from offline.policy_driver import load_policy_config

    assert load_policy_config("prod")["s3-bucket-dr-replication"]["replicatedBucketRoles"] == ["uploads", "renditions"]
