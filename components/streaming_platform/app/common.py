"""What the application tier's parts share: constants, enums, sizes, the records they hand each other, and
the few child-building helpers (roles, log groups, target groups) every part uses the same way."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent
from streaming_platform.iam import policy_document, service_trust_statement

CONTAINER_PORT = 8080  # every container and the fleet's nginx listen here; Service Connect aliases use it too
CONTAINER_USER = "10001:10001"  # non-root; images must not need root (ports >= 1024, writable paths on volumes)
HEALTH_CHECK_PATH = "/healthz"
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"

# Spot gives a two-minute interruption notice: tasks must stop and targets drain well inside it.
SPOT_NOTICE_SECONDS = 120
CONTAINER_STOP_TIMEOUT_SECONDS = 30
DEREGISTRATION_DELAY_SECONDS = 30
HEALTH_CHECK_GRACE_SECONDS = 60
ASG_HEALTH_CHECK_GRACE_SECONDS = 300

# Target tracking: scale out before saturation.
CPU_TARGET_PERCENT = 60.0
MEMORY_TARGET_PERCENT = 75.0
ALB_REQUESTS_PER_TARGET = 1000.0

# Fargate task sizes: CPU units -> allowed memory (MiB) (Amazon ECS Developer Guide, "Task CPU and memory").
FARGATE_SIZES: Mapping[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}
_ARM_FAMILY = re.compile(r"^[a-z]+\d+[a-z]*g")
_SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|API_?KEY", re.IGNORECASE)


class ComputeMode(StrEnum):
    """Which compute runs the application."""

    ECS_AND_EC2_FLEET = "ECS_AND_EC2_FLEET"
    """The ECS microservices plus the EC2 Auto Scaling fleet for the streaming web tier (prod)."""
    ECS_ONLY = "ECS_ONLY"
    """The ECS microservices only; the ALB's streaming paths fall through to the frontend (dev)."""


class CognitoMfa(StrEnum):
    OFF = "OFF"
    OPTIONAL = "OPTIONAL"
    """Users may enrol a TOTP app; advanced security can still demand it for risky sign-ins."""
    ON = "ON"
    """Every user must enrol a TOTP app at first sign-in."""


@dataclass(frozen=True)
class ServiceSize:
    cpu: int
    memory: int


@dataclass(frozen=True)
class CapacityStrategy:
    """FARGATE ``base`` tasks first, then the remaining tasks split by weight between FARGATE and FARGATE_SPOT."""

    fargate_base: int = 1
    fargate_weight: int = 1
    fargate_spot_weight: int = 1


def is_arm_instance_type(instance_type: str) -> bool:
    """Graviton families carry a ``g`` after the generation digit (t4g, m7g, c7gn, r8g)."""
    return bool(_ARM_FAMILY.match(instance_type.split(".", 1)[0]))


def fargate_memory_options(cpu: int) -> tuple[int, ...]:
    return FARGATE_SIZES.get(cpu, ())


@dataclass(frozen=True)
class LogSettings:
    """Where the parts' log groups are encrypted and how long they keep logs."""

    kms_key_arn: pulumi.Input[str]
    """KMS key of every log group (its policy must admit logs.<region>.amazonaws.com)."""
    retention_days: int = 365
    """Default: 365 days; shorter saves storage but loses the audit trail sooner."""


@dataclass(frozen=True)
class DataAccess:
    """The data tier as the workloads see it: the client security group, what their roles are scoped to and
    the non-secret settings their containers get. A resource left ``None`` leaves out every grant that needs it."""

    client_security_group_id: pulumi.Input[str]
    """The data tier's client group; the fleet and the services that use PostgreSQL/Redis join it."""
    video_table_arn: pulumi.Input[str] | None = None
    """Default: None; the video-catalogue grants are left out."""
    session_table_arn: pulumi.Input[str] | None = None
    """Default: None; the session-table grants are left out."""
    uploads_bucket_arn: pulumi.Input[str] | None = None
    """Default: None; no service may presign uploads."""
    renditions_bucket_arn: pulumi.Input[str] | None = None
    """Default: None; nothing may read renditions (and the fleet's user data names no bucket)."""
    media_key_arn: pulumi.Input[str] | None = None
    """Default: None; no grant on the media key (objects under it cannot be read or written)."""
    data_key_arn: pulumi.Input[str] | None = None
    """Key of the DynamoDB tables. DynamoDB uses it with the caller's permissions ("How Amazon DynamoDB uses AWS
    KMS"), so every table grant needs it. Default: None; no table key grant (table calls then fail unless the
    tables use an AWS owned key)."""
    redis_replication_group_arn: pulumi.Input[str] | None = None
    """Redis with IAM authentication: ``elasticache:Connect`` needs the replication group and the user
    (ElastiCache User Guide, "Authenticating with IAM"). Default: None; no Redis grant."""
    redis_user_arn: pulumi.Input[str] | None = None
    """The IAM-authenticated Redis user the services connect as. Default: None; no Redis grant."""
    db_user_arn: pulumi.Input[str] | None = None
    """``arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user>``: the database user the services
    connect as with IAM authentication (``rds-db:connect``). Default: None; no database grant."""
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Non-secret settings (table names, endpoints) given to every service that uses the data tier. Default: none.
    Names that look like secrets are rejected: secrets come from Secrets Manager."""

    def problems(self) -> list[str]:
        return [
            f"DataAccess.environment: got {name!r}; allowed: non-secret settings only "
            "(pass secrets through Secrets Manager)"
            for name in self.environment
            if _SECRET_NAME.search(name)
        ]


class DataResource(StrEnum):
    """A data-tier resource a workload's role can be granted (a field of ``DataAccess``)."""

    VIDEO_TABLE = "video_table_arn"
    SESSION_TABLE = "session_table_arn"
    UPLOADS_BUCKET = "uploads_bucket_arn"
    RENDITIONS_BUCKET = "renditions_bucket_arn"
    MEDIA_KEY = "media_key_arn"
    DATA_KEY = "data_key_arn"
    REDIS_GROUP = "redis_replication_group_arn"
    REDIS_USER = "redis_user_arn"
    DB_USER = "db_user_arn"


class GrantScope(StrEnum):
    """Which ARNs of the resource a grant covers."""

    TABLE_AND_INDEXES = "TABLE_AND_INDEXES"
    """The table and every index of it."""
    OBJECTS = "OBJECTS"
    """Every object of the bucket (``<arn>/*``)."""
    KEY_THROUGH_S3 = "KEY_THROUGH_S3"
    """The key, only when S3 in this region uses it on the caller's behalf (``kms:ViaService``)."""
    KEY_THROUGH_DYNAMODB = "KEY_THROUGH_DYNAMODB"
    """The key, only when DynamoDB in this region uses it on the caller's behalf (``kms:ViaService``)."""
    RESOURCE = "RESOURCE"
    """Exactly the resource's ARN (a replication group, a user, a database user)."""


@dataclass(frozen=True, kw_only=True)
class Grant:
    """One identity-policy statement on one data resource."""

    sid: str
    actions: str | tuple[str, ...]
    """One action (rendered as a string) or several (rendered as a list)."""
    resource: DataResource
    scope: GrantScope

    def statement_of(self, arn_and_region: list[str]) -> dict[str, Any]:
        """The statement for ``[resource ARN, region]`` (the shape ``Output.all(arn, region)`` resolves to)."""
        return self.statement(*arn_and_region)

    def statement(self, arn: str, region: str) -> dict[str, Any]:
        actions: str | list[str] = self.actions if isinstance(self.actions, str) else list(self.actions)
        out: dict[str, Any] = {"Sid": self.sid, "Effect": "Allow", "Action": actions}
        if self.scope is GrantScope.TABLE_AND_INDEXES:
            out["Resource"] = [arn, f"{arn}/index/*"]
        elif self.scope is GrantScope.OBJECTS:
            out["Resource"] = f"{arn}/*"
        elif self.scope is GrantScope.RESOURCE:
            out["Resource"] = arn
        else:
            service = "s3" if self.scope is GrantScope.KEY_THROUGH_S3 else "dynamodb"
            out["Resource"] = arn
            out["Condition"] = {"StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com"}}
        return out


def grant_statements(
    grants: Sequence[Grant], data: DataAccess | None, region: pulumi.Input[str]
) -> list[pulumi.Output[dict[str, Any]]]:
    """The statements of ``grants`` whose resource ``data`` provides, in order."""
    out: list[pulumi.Output[dict[str, Any]]] = []
    for grant in grants:
        arn = getattr(data, grant.resource.value) if data is not None else None
        if arn is not None:
            out.append(pulumi.Output.all(arn, region).apply(grant.statement_of))
    return out


def service_role(
    component: StreamingComponent,
    resource_name: str,
    service: str,
    statements: pulumi.Input[list[dict[str, Any]]] | None,
    *,
    source_account_condition: bool = True,
    new_policy: bool = False,
) -> aws.iam.Role:
    """A role ``service`` may assume, with an inline policy of ``statements`` (if any).

    ``source_account_condition``: the trust requires ``aws:SourceAccount`` to be this account (the confused-deputy
    guard). Default: on. Turn it off only for services that do not send the key when they assume the role: a
    condition on a key missing from the request fails, and the service gets no credentials (IAM User Guide,
    "AWS global condition context keys": aws:SourceAccount is present only when a service principal acts on a
    resource on the owner's behalf). ``new_policy``: the inline policy was added after the role moved (see
    ``StreamingComponent.child``'s ``new``). Default: off."""
    trust = component.account.apply(
        lambda account: policy_document(
            [
                service_trust_statement(
                    service,
                    {"StringEquals": {"aws:SourceAccount": account}} if source_account_condition else None,
                )
            ]
        )
    )
    role = aws.iam.Role(
        resource_name, assume_role_policy=trust, tags=component.tags(resource_name), opts=component.child()
    )
    if statements is not None:
        aws.iam.RolePolicy(
            resource_name,
            role=role.id,
            policy=pulumi.Output.from_input(statements).apply(policy_document),
            opts=component.child(new=new_policy),
        )
    return role


def attach_managed(component: StreamingComponent, resource_name: str, role: aws.iam.Role, policy: str) -> None:
    aws.iam.RolePolicyAttachment(
        resource_name,
        role=role.name,
        policy_arn=component.partition.apply(lambda p: f"arn:{p}:iam::aws:policy/{policy}"),
        opts=component.child(),
    )


def log_group(
    component: StreamingComponent, resource_name: str, group_name: str, logs: LogSettings, *, new: bool = False
) -> aws.cloudwatch.LogGroup:
    """A log group under ``logs``' key and retention; ``new`` as for ``StreamingComponent.child``."""
    return component.log_group(
        resource_name,
        kms_key_arn=logs.kms_key_arn,
        retention_days=logs.retention_days,
        group_name=group_name,
        new=new,
    )


def target_group(
    component: StreamingComponent, resource_name: str, vpc_id: pulumi.Input[str], protocol: str, target_type: str
) -> aws.lb.TargetGroup:
    """A target group on ``CONTAINER_PORT`` that checks ``HEALTH_CHECK_PATH`` and drains inside a Spot notice."""
    return aws.lb.TargetGroup(
        resource_name,
        vpc_id=vpc_id,
        port=CONTAINER_PORT,
        protocol=protocol,
        target_type=target_type,
        deregistration_delay=DEREGISTRATION_DELAY_SECONDS,
        health_check={
            "enabled": True,
            "protocol": "HTTP",
            "path": HEALTH_CHECK_PATH,
            "port": "traffic-port",
            "matcher": "200",
            "healthy_threshold": 3,
            "unhealthy_threshold": 3,
            "interval": 15,
        },
        tags=component.tags(resource_name),
        opts=component.child(),
    )


def allow_port(
    component: StreamingComponent,
    source: str,
    target: str,
    source_group_id: pulumi.Input[str],
    target_group_id: pulumi.Input[str],
) -> None:
    """``CONTAINER_PORT`` from ``source``'s group to ``target``'s: an ingress rule on the target and the matching
    egress rule on the source (named ``<component>-<source>-to-<target>-in`` / ``-out``)."""
    for direction, rule_type, sg, peer in (
        ("in", aws.vpc.SecurityGroupIngressRule, target_group_id, source_group_id),
        ("out", aws.vpc.SecurityGroupEgressRule, source_group_id, target_group_id),
    ):
        rule_type(
            f"{component._name}-{source}-to-{target}-{direction}",
            security_group_id=sg,
            referenced_security_group_id=peer,
            ip_protocol="tcp",
            from_port=CONTAINER_PORT,
            to_port=CONTAINER_PORT,
            description=f"{CONTAINER_PORT} {source} to {target}",  # EC2 description charset has no ">"
            opts=component.child(),
        )


def https_out(component: StreamingComponent, role: str, group_id: pulumi.Input[str]) -> None:
    """AWS APIs (ECR, Secrets Manager, Logs, STS, S3, DynamoDB) through the NAT gateways or the VPC endpoints."""
    aws.vpc.SecurityGroupEgressRule(
        f"{component._name}-{role}-https-out",
        security_group_id=group_id,
        cidr_ipv4="0.0.0.0/0",
        ip_protocol="tcp",
        from_port=443,
        to_port=443,
        description="HTTPS to AWS APIs and image registries",
        opts=component.child(),
    )


class AppPart(StreamingComponent):
    """A part of the application tier. ``moved_from``: the resource its children were parented to before it
    existed (AppTier up to 0.1); each child that existed in 0.1 then carries ``Alias(parent=moved_from)`` so a
    stack that deployed 0.1 keeps them instead of replacing them, and each child added since is built with
    ``child(new=True)`` (no alias). Default: None, no aliases (a new stack)."""


def raise_problems(args_name: str, problems: list[str]) -> None:
    if problems:
        raise ValueError(f"invalid {args_name}:\n" + "\n".join(f"  - {p}" for p in problems))
