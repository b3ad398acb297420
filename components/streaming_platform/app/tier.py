"""AppTier: the application tier behind the edge.

- An internet-facing ALB in the public subnets of every AZ: TLS 1.3 policy, HTTP only redirects, a
  REGIONAL WAF, access logs, and listener rules that forward only requests carrying the edge's secret
  ``X-Origin-Verify`` header (everything else gets a fixed 403). Its security group admits 443 from
  CloudFront's origin-facing managed prefix list only.
- Optionally (``ComputeMode.ECS_AND_EC2_FLEET``) the streaming web tier: an Auto Scaling EC2 fleet in the
  private-app subnets of every AZ, from a launch template with IMDSv2, an encrypted gp3 root volume under
  the tier's own ``compute`` KMS key, no public IP, no SSH; mixed on-demand/Spot instances.
- ECS Fargate microservices (frontend, api, video, user, comment, notification) in the private-app subnets,
  with Service Connect for service-to-service calls, FARGATE + FARGATE_SPOT capacity, circuit-breaker
  rollback and target-tracking autoscaling.
- A REST API (API Gateway) with a Cognito user-pool authorizer, throttling, KMS-encrypted access logs and
  the same REGIONAL WAF, reaching the services privately through a VPC Link to an internal NLB.
- A Cognito user pool, its web client (authorization code + PKCE, no secret) and hosted domain.

The component never reads stack config; everything arrives in ``AppTierArgs``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from streaming_platform.edge.zone import PublicZone
from streaming_platform.iam import account_admin_statement, policy_document

ASSETS = Path(__file__).resolve().parent / "assets"

# Service names, in registration order. Config keys that size or image the services use these names.
FRONTEND, API, VIDEO, USER, COMMENT, NOTIFICATION = "frontend", "api", "video", "user", "comment", "notification"
SERVICE_NAMES: tuple[str, ...] = (FRONTEND, API, VIDEO, USER, COMMENT, NOTIFICATION)

CONTAINER_PORT = 8080  # every container and the fleet's nginx listen here; Service Connect aliases use it too
CONTAINER_USER = "10001:10001"  # non-root; images must not need root (ports >= 1024, writable paths on volumes)
HEALTH_CHECK_PATH = "/healthz"
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"
ALB_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
API_DOMAIN_TLS_POLICY = "TLS_1_2"
CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
AL2023_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"

# Spot gives a two-minute interruption notice: tasks must stop and targets drain well inside it.
SPOT_NOTICE_SECONDS = 120
CONTAINER_STOP_TIMEOUT_SECONDS = 30
DEREGISTRATION_DELAY_SECONDS = 30
HEALTH_CHECK_GRACE_SECONDS = 60
ASG_HEALTH_CHECK_GRACE_SECONDS = 300
ROOT_VOLUME_GB = 30

# Target tracking: scale out before saturation.
CPU_TARGET_PERCENT = 60.0
MEMORY_TARGET_PERCENT = 75.0
ALB_REQUESTS_PER_TARGET = 1000.0

# Fargate task sizes: CPU units -> allowed memory (MiB).
FARGATE_SIZES: Mapping[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}

# Regions that opened before August 2022 deliver ALB access logs as an ELB account of the region; newer
# regions use the log-delivery service principal. (Elastic Load Balancing User Guide, "Enable access logs".)
ELB_LOG_DELIVERY_ACCOUNTS: Mapping[str, str] = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-south-1": "718504428378",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-south-1": "635631232127",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}
ALB_LOG_PREFIX = "alb"
_SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|API_?KEY", re.IGNORECASE)
_ARM_FAMILY = re.compile(r"^[a-z]+\d+[a-z]*g")


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


@dataclass(frozen=True)
class _Service:
    name: str
    alb_paths: tuple[str, ...]
    """Path patterns the public ALB forwards here (with the origin header); () = not behind the ALB."""
    api_path: str | None
    """API Gateway resource this service serves: "" = the root proxy, "videos" = /videos and /videos/{proxy+};
    None = not behind API Gateway."""
    nlb_port: int | None
    callers: tuple[str, ...]
    """Services that call this one through Service Connect; only their security groups are admitted."""
    data_access: bool
    secrets: tuple[str, ...]
    """Container environment names filled from the session-signing secret in Secrets Manager."""


SERVICES: tuple[_Service, ...] = (
    _Service(FRONTEND, ("/*",), None, None, (), False, ()),
    _Service(API, ("/api/*",), "", 8080, (), True, ("SESSION_SIGNING_KEY",)),
    _Service(VIDEO, (), "videos", 8081, (API,), True, ()),
    _Service(USER, (), "users", 8082, (API,), True, ("SESSION_SIGNING_KEY",)),
    _Service(COMMENT, (), "comments", 8083, (API,), True, ()),
    _Service(NOTIFICATION, (), None, None, (API, VIDEO, USER, COMMENT), True, ()),
)
FLEET_PATHS = ("/stream/*", "/watch/*")
assert tuple(s.name for s in SERVICES) == SERVICE_NAMES


def is_arm_instance_type(instance_type: str) -> bool:
    """Graviton families carry a ``g`` after the generation digit (t4g, m7g, c7gn, r8g)."""
    return bool(_ARM_FAMILY.match(instance_type.split(".", 1)[0]))


def fargate_memory_options(cpu: int) -> tuple[int, ...]:
    return FARGATE_SIZES.get(cpu, ())


def validate_args(args: AppTierArgs) -> list[str]:
    """Every contradiction in ``args``, each naming the argument, the value and what is allowed."""
    problems = []
    azs = list(args.availability_zones)
    if len(azs) < 2 or len(args.public_subnet_ids) != len(azs) or len(args.app_subnet_ids) != len(azs):
        problems.append(
            f"AppTierArgs.availability_zones: got {azs} for {len(args.public_subnet_ids)} public and "
            f"{len(args.app_subnet_ids)} app subnets; allowed: at least 2 AZs, one subnet of each tier per AZ"
        )
    missing = [s for s in SERVICE_NAMES if s not in args.service_images]
    extra = [s for s in args.service_images if s not in SERVICE_NAMES]
    if missing or extra:
        problems.append(
            f"AppTierArgs.service_images: got {sorted(args.service_images)}; "
            f"allowed: exactly {', '.join(SERVICE_NAMES)}"
        )
    for svc, size in args.service_sizes.items():
        if svc not in SERVICE_NAMES or size.memory not in fargate_memory_options(size.cpu):
            problems.append(
                f"AppTierArgs.service_sizes[{svc!r}]: got {size.cpu} CPU / {size.memory} MiB; allowed: a service of "
                f"{', '.join(SERVICE_NAMES)} with a Fargate size (cpu {', '.join(map(str, FARGATE_SIZES))})"
            )
    cap = args.capacity
    if min(cap.fargate_base, cap.fargate_weight, cap.fargate_spot_weight) < 0 or (
        cap.fargate_weight + cap.fargate_spot_weight == 0
    ):
        problems.append(f"AppTierArgs.capacity: got {cap}; allowed: non-negative values with a weight above 0")
    if cap.fargate_spot_weight and args.cpu_architecture != "X86_64":
        problems.append(
            f"AppTierArgs.cpu_architecture: got {args.cpu_architecture!r} with fargate_spot_weight "
            f"{cap.fargate_spot_weight}; allowed: X86_64 (Fargate Spot has no ARM64 capacity)"
        )
    if not 1 <= args.service_min_tasks <= args.service_max_tasks:
        problems.append(
            f"AppTierArgs.service_min_tasks/service_max_tasks: got {args.service_min_tasks}/{args.service_max_tasks}; "
            "allowed: 1 <= min <= max"
        )
    for env_name in args.service_environment:
        if _SECRET_NAME.search(env_name):
            problems.append(
                f"AppTierArgs.service_environment: got {env_name!r}; allowed: non-secret settings only "
                "(pass secrets through Secrets Manager)"
            )
    if args.compute_mode is ComputeMode.ECS_AND_EC2_FLEET:
        types = [args.instance_type, *args.fleet_extra_instance_types]
        if len(set(types)) != len(types) or len({is_arm_instance_type(t) for t in types}) != 1:
            problems.append(
                f"AppTierArgs.fleet_extra_instance_types: got {list(args.fleet_extra_instance_types)} with "
                f"instance_type {args.instance_type!r}; allowed: other instance types of the same CPU architecture"
            )
        if not 0 <= args.asg_min_size <= args.asg_desired_capacity <= args.asg_max_size:
            problems.append(
                f"AppTierArgs.asg_*: got min {args.asg_min_size}, desired {args.asg_desired_capacity}, max "
                f"{args.asg_max_size}; allowed: min <= desired <= max"
            )
        if not 0 <= args.fleet_on_demand_percentage_above_base <= 100:
            problems.append(
                f"AppTierArgs.fleet_on_demand_percentage_above_base: got "
                f"{args.fleet_on_demand_percentage_above_base}; allowed: 0 to 100"
            )
    if args.min_password_length < 12:
        problems.append(f"AppTierArgs.min_password_length: got {args.min_password_length}; allowed: at least 12")
    return problems


@dataclass
class AppTierArgs:
    """Inputs of AppTier. Ids and ARNs from other components are Inputs; everything else is a plain setting."""

    vpc_id: pulumi.Input[str]
    public_subnet_ids: Sequence[pulumi.Input[str]]
    """One public subnet per AZ, in the order of ``availability_zones``: the ALB spans all of them."""
    app_subnet_ids: Sequence[pulumi.Input[str]]
    """One private-app subnet per AZ: the fleet, the tasks and the internal NLB span all of them."""
    availability_zones: Sequence[str]

    zone: PublicZone
    """The site's zone: the tier's regional certificate (``origin.<domain>``, ``api.<domain>``) is validated in
    it and both names are alias records in it."""
    origin_verify_secret: pulumi.Input[str]
    """Value the edge sends in ``X-Origin-Verify``; listener rules forward only requests that carry it."""

    service_images: Mapping[str, str]
    """Container image per service (every name in ``SERVICE_NAMES``), pinned by tag or digest."""

    data_client_security_group_id: pulumi.Input[str]
    """The data tier's client group; the fleet and the services that use PostgreSQL/Redis join it."""
    log_kms_key_arn: pulumi.Input[str]
    """KMS key of every log group here (its policy must admit logs.<region>.amazonaws.com)."""
    access_log_bucket: pulumi.Input[str]
    """Bucket (SSE-S3) for ALB access logs, under the ``alb/`` prefix; its policy must already grant delivery
    (see ``alb_access_log_statements``)."""
    access_log_dependencies: Sequence[pulumi.Resource] = ()
    """Resources the ALB waits for, typically the log bucket's policy: ELB checks delivery permission when
    access logging is turned on. Default: none."""
    publish_origin_record: bool = True
    """Write ``origin.<domain>`` as a simple A alias to the ALB. Default: on. Off when another component owns the
    name (``OriginFailover`` writes failover records with a health check)."""

    video_table_arn: pulumi.Input[str] | None = None
    session_table_arn: pulumi.Input[str] | None = None
    uploads_bucket_arn: pulumi.Input[str] | None = None
    renditions_bucket_arn: pulumi.Input[str] | None = None
    media_key_arn: pulumi.Input[str] | None = None
    """Data the services' task roles are scoped to. Default: None, and the grant that needs it is left out."""
    service_environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Non-secret settings (table names, endpoints) given to every service that uses the data tier. Names that
    look like secrets are rejected: secrets come from Secrets Manager."""

    resource_prefix: str = "streaming"
    """Prefix of fixed physical names (log groups, task families, Cognito domain, WAF log group)."""
    compute_mode: ComputeMode = ComputeMode.ECS_AND_EC2_FLEET
    """Default: the ECS services and the EC2 streaming fleet. ECS_ONLY drops the fleet, its launch template,
    key grants and scaling policies."""

    instance_type: str = "t3.large"
    fleet_extra_instance_types: Sequence[str] = ("t3a.large", "m6i.large", "m5.large")
    """Further types the fleet's mixed instances policy may launch, so Spot can draw on several pools. Same CPU
    architecture as ``instance_type``."""
    asg_min_size: int = 2
    asg_desired_capacity: int = 2
    """Initial capacity only: target tracking owns it afterwards (``ignore_changes``)."""
    asg_max_size: int = 6
    fleet_on_demand_base: int = 1
    """On-demand instances before any Spot. Default: 1."""
    fleet_on_demand_percentage_above_base: int = 0
    """Share of on-demand above the base. Default: 0 (Spot, price-capacity-optimized, capacity rebalance)."""

    service_sizes: Mapping[str, ServiceSize] = field(default_factory=dict)
    """CPU/memory per service. Default for a service not listed: ``default_service_size``."""
    default_service_size: ServiceSize = ServiceSize(256, 512)
    capacity: CapacityStrategy = CapacityStrategy()
    """Default: one FARGATE task per service, the rest split evenly with FARGATE_SPOT."""
    cpu_architecture: str = "X86_64"
    """Task CPU architecture. Fargate Spot only runs X86_64, so ARM64 requires ``fargate_spot_weight`` 0."""
    service_min_tasks: int = 2
    service_max_tasks: int = 6
    """Autoscaling bounds per service; ``desired_count`` starts at the minimum and is then owned by autoscaling."""

    log_retention_days: int = 365
    api_throttle_rate_limit: int = 100
    api_throttle_burst_limit: int = 200
    """Stage-wide steady-state requests per second and burst of the REST API."""
    waf_rate_limit: int = 2000
    """Requests per 5 minutes per client IP (X-Forwarded-For, as set by CloudFront) before WAF blocks."""

    cognito_mfa: CognitoMfa = CognitoMfa.ON
    advanced_security_enforced: bool = True
    """Cognito threat protection (Plus tier) in ENFORCED mode. Default: on. Off uses the Essentials tier."""
    min_password_length: int = 12
    callback_urls: Sequence[str] = ()
    """OAuth callback URLs of the web client. Default: ``https://<domain>/auth/callback``."""
    logout_urls: Sequence[str] = ()
    """Default: ``https://<domain>/``."""
    auth_domain_prefix: str | None = None
    """Cognito hosted-UI domain prefix (globally unique). Default: ``<resource_prefix>-auth``."""

    protect: bool = False
    """Protect and retain the stateful children (compute key, user pool, log groups, session secret), turn on
    ALB/NLB and user-pool deletion protection, and advanced security. Default: off (dev can be torn down)."""
    tags: Mapping[str, str] = field(default_factory=dict)


def alb_access_log_statements(bucket_arn: str, region: str, account: str, partition: str) -> list[dict[str, Any]]:
    """Bucket-policy statements that let Elastic Load Balancing write this account's ALB logs under ``alb/``."""
    elb_account = ELB_LOG_DELIVERY_ACCOUNTS.get(region)
    principal = (
        {"AWS": f"arn:{partition}:iam::{elb_account}:root"}
        if elb_account
        else {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    )
    return [
        {
            "Sid": "ElbWritesAccessLogs",
            "Effect": "Allow",
            "Principal": principal,
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/{ALB_LOG_PREFIX}/AWSLogs/{account}/*",
        }
    ]


def alb_access_log_policy(bucket_arn: pulumi.Input[str]) -> pulumi.Output[list[dict[str, Any]]]:
    """``alb_access_log_statements`` for this stack's region and account, as an Output."""
    return pulumi.Output.all(
        bucket_arn,
        aws.get_region_output().region,
        aws.get_caller_identity_output().account_id,
        aws.get_partition_output().partition,
    ).apply(lambda a: alb_access_log_statements(*a))


def _policy(statements: list[dict[str, Any]]) -> str:
    return policy_document(statements)  # same document shape as a key policy


class AppTier(pulumi.ComponentResource):
    """ALB + WAF, optional EC2 fleet, ECS Fargate services, REST API with Cognito, and the user pool."""

    alb_arn: pulumi.Output[str]
    alb_target_group_arn_suffixes: dict[str, pulumi.Output[str]]
    """ALB target groups by role (``fleet`` and the services behind the ALB), as CloudWatch dimensions."""
    alb_dns_name: pulumi.Output[str]
    alb_zone_id: pulumi.Output[str]
    alb_arn_suffix: pulumi.Output[str]
    https_listener_arn: pulumi.Output[str]
    http_listener_arn: pulumi.Output[str]
    origin_domain_name: str
    api_domain_name: str
    api_endpoint: str
    api_id: pulumi.Output[str]
    web_acl_arn: pulumi.Output[str]
    asg_name: pulumi.Output[str] | None
    cluster_name: pulumi.Output[str]
    service_names: dict[str, pulumi.Output[str]]
    user_pool_id: pulumi.Output[str]
    user_pool_client_id: pulumi.Output[str]
    user_pool_domain: pulumi.Output[str]
    compute_key_arn: pulumi.Output[str]
    security_group_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: AppTierArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:app:AppTier", name, None, opts)
        problems = validate_args(args)
        if problems:
            raise ValueError("invalid AppTierArgs:\n" + "\n".join(f"  - {p}" for p in problems))
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)
        self._stateful = pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        self._account = aws.get_caller_identity_output(opts=invoke).account_id
        self._partition = aws.get_partition_output(opts=invoke).partition
        self._region = aws.get_region_output(opts=invoke).region
        domain = args.zone.domain_name
        self.origin_domain_name = f"origin.{domain}"
        self.api_domain_name = f"api.{domain}"
        self.api_endpoint = f"https://{self.api_domain_name}/"
        fleet_on = args.compute_mode is ComputeMode.ECS_AND_EC2_FLEET

        self._compute_key = self._key()
        self.compute_key_arn = self._compute_key.arn
        certificate_arn = args.zone.certificate(
            f"{name}-regional-cert", [self.origin_domain_name, self.api_domain_name], parent=self, tags=args.tags
        )
        self._security_groups(fleet_on)
        self._waf()
        self._alb(certificate_arn)
        self._nlb()
        self.asg_name = self._fleet() if fleet_on else None
        self._cognito()
        self._ecs()
        self._api(certificate_arn)

        self.register_outputs(
            {
                "albArn": self.alb_arn,
                "albTargetGroupArnSuffixes": self.alb_target_group_arn_suffixes,
                "albDnsName": self.alb_dns_name,
                "albZoneId": self.alb_zone_id,
                "albArnSuffix": self.alb_arn_suffix,
                "httpsListenerArn": self.https_listener_arn,
                "httpListenerArn": self.http_listener_arn,
                "originDomainName": self.origin_domain_name,
                "apiDomainName": self.api_domain_name,
                "apiEndpoint": self.api_endpoint,
                "apiId": self.api_id,
                "webAclArn": self.web_acl_arn,
                "asgName": self.asg_name,
                "clusterName": self.cluster_name,
                "serviceNames": self.service_names,
                "userPoolId": self.user_pool_id,
                "userPoolClientId": self.user_pool_client_id,
                "userPoolDomain": self.user_pool_domain,
                "computeKeyArn": self.compute_key_arn,
                "securityGroupIds": self.security_group_ids,
            }
        )

    # ---- helpers -----------------------------------------------------------------------------------------

    def _tags(self, name_tag: str, **extra: str) -> dict[str, str]:
        return {**self._args.tags, "Name": name_tag, **extra}

    def _opts(self, stateful: bool = False, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions.merge(
            self._stateful if stateful else self._child, pulumi.ResourceOptions(**kwargs)
        )

    def _log_group(self, resource_name: str, group_name: str) -> aws.cloudwatch.LogGroup:
        return aws.cloudwatch.LogGroup(
            resource_name,
            name=group_name,
            retention_in_days=self._args.log_retention_days,
            kms_key_id=self._args.log_kms_key_arn,
            tags=self._tags(resource_name),
            opts=self._opts(True),
        )

    def _role(self, resource_name: str, service: str, statements: pulumi.Input[list[dict[str, Any]]] | None):
        trust = self._account.apply(
            lambda account: _policy(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": service},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                    }
                ]
            )
        )
        role = aws.iam.Role(resource_name, assume_role_policy=trust, tags=self._tags(resource_name), opts=self._child)
        if statements is not None:
            aws.iam.RolePolicy(
                resource_name,
                role=role.id,
                policy=pulumi.Output.from_input(statements).apply(_policy),
                opts=self._child,
            )
        return role

    def _managed(self, resource_name: str, role: aws.iam.Role, policy: str) -> None:
        aws.iam.RolePolicyAttachment(
            resource_name,
            role=role.name,
            policy_arn=self._partition.apply(lambda p: f"arn:{p}:iam::aws:policy/{policy}"),
            opts=self._child,
        )

    # ---- KMS: EBS volumes of the fleet, the session secret ------------------------------------------------

    def _key(self) -> aws.kms.Key:
        def statements(a: list[str]) -> str:
            partition, account = a
            asg_role = (
                f"arn:{partition}:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/"
                "AWSServiceRoleForAutoScaling"
            )
            return policy_document(
                [
                    account_admin_statement(partition, account),
                    {
                        "Sid": "AutoScalingUsesKeyForFleetVolumes",
                        "Effect": "Allow",
                        "Principal": {"AWS": asg_role},
                        "Action": [
                            "kms:Encrypt",
                            "kms:Decrypt",
                            "kms:ReEncrypt*",
                            "kms:GenerateDataKey*",
                            "kms:DescribeKey",
                        ],
                        "Resource": "*",
                    },
                    {
                        "Sid": "AutoScalingGrantsEbsForFleetVolumes",
                        "Effect": "Allow",
                        "Principal": {"AWS": asg_role},
                        "Action": "kms:CreateGrant",
                        "Resource": "*",
                        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
                    },
                ]
            )

        key = aws.kms.Key(
            f"{self._name}-compute-key",
            description=f"{self._name}: fleet EBS volumes and the application's secrets",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(self._partition, self._account).apply(statements),
            tags=self._tags(f"{self._name}-compute", DataClass="compute"),
            opts=self._opts(True),
        )
        aws.kms.Alias(
            f"{self._name}-compute-alias",
            name=f"alias/{self._args.resource_prefix}-compute",
            target_key_id=key.key_id,
            opts=self._child,
        )
        return key

    # ---- security groups ----------------------------------------------------------------------------------

    def _security_groups(self, fleet_on: bool) -> None:
        name, args = self._name, self._args
        groups = {
            "alb": "Public ALB: HTTPS from CloudFront's origin-facing prefix list only",
            "nlb": "Internal NLB behind the API Gateway VPC Link (PrivateLink traffic is not filtered inbound)",
            **({"fleet": "Streaming web fleet: 8080 from the ALB only"} if fleet_on else {}),
            **{s.name: f"ECS service {s.name}: {CONTAINER_PORT} from its load balancers and callers" for s in SERVICES},
        }
        self._sgs = {
            role: aws.ec2.SecurityGroup(
                f"{name}-{role}-sg",
                vpc_id=args.vpc_id,
                description=description,
                tags=self._tags(f"{name}-{role}"),
                opts=self._child,
            )
            for role, description in groups.items()
        }
        self.security_group_ids = {role: sg.id for role, sg in self._sgs.items()}
        prefix_list = aws.ec2.get_managed_prefix_list_output(
            name=CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        # The prefix list counts as its max entries (~55) against the rules-per-group quota: keep this group small.
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-alb-https-from-cloudfront",
            security_group_id=self._sgs["alb"].id,
            prefix_list_id=prefix_list.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS from CloudFront origin-facing servers",
            opts=self._child,
        )

        def allow(source: str, target: str) -> None:
            for direction, rule_type, sg, peer in (
                ("in", aws.vpc.SecurityGroupIngressRule, target, source),
                ("out", aws.vpc.SecurityGroupEgressRule, source, target),
            ):
                rule_type(
                    f"{name}-{source}-to-{target}-{direction}",
                    security_group_id=self._sgs[sg].id,
                    referenced_security_group_id=self._sgs[peer].id,
                    ip_protocol="tcp",
                    from_port=CONTAINER_PORT,
                    to_port=CONTAINER_PORT,
                    description=f"{CONTAINER_PORT} {source} -> {target}",
                    opts=self._child,
                )

        if fleet_on:
            allow("alb", "fleet")
        for s in SERVICES:
            if s.alb_paths:
                allow("alb", s.name)
            if s.api_path is not None:
                allow("nlb", s.name)
            for caller in s.callers:
                allow(caller, s.name)
        # AWS APIs (ECR, Secrets Manager, Logs, STS, S3, DynamoDB) through the NAT gateways or the VPC endpoints.
        for role in [*(["fleet"] if fleet_on else []), *SERVICE_NAMES]:
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-{role}-https-out",
                security_group_id=self._sgs[role].id,
                cidr_ipv4="0.0.0.0/0",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                description="HTTPS to AWS APIs and image registries",
                opts=self._child,
            )

    # ---- WAF (one REGIONAL web ACL for the ALB and the API stage) -----------------------------------------

    def _waf(self) -> None:
        name, args = self._name, self._args
        prefix = args.resource_prefix

        def visibility(metric: str) -> Any:
            return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}

        def managed(priority: int, group: str) -> Any:
            return {
                "name": group,
                "priority": priority,
                "override_action": {"none": {}},
                "statement": {"managed_rule_group_statement": {"vendor_name": "AWS", "name": group}},
                "visibility_config": visibility(f"{prefix}-{group}"),
            }

        acl = aws.wafv2.WebAcl(
            f"{name}-waf",
            scope="REGIONAL",
            description=f"{name}: ALB and REST API",
            default_action={"allow": {}},
            rules=[
                managed(1, "AWSManagedRulesCommonRuleSet"),
                managed(2, "AWSManagedRulesKnownBadInputsRuleSet"),
                {
                    "name": "rate-limit-per-client-ip",
                    "priority": 3,
                    "action": {"block": {}},
                    "statement": {
                        "rate_based_statement": {
                            "limit": args.waf_rate_limit,
                            # Behind CloudFront the source address is an edge server; CloudFront appends the
                            # viewer's address to X-Forwarded-For.
                            "aggregate_key_type": "FORWARDED_IP",
                            "forwarded_ip_config": {"header_name": "X-Forwarded-For", "fallback_behavior": "MATCH"},
                        }
                    },
                    "visibility_config": visibility(f"{prefix}-rate-limit"),
                },
            ],
            visibility_config=visibility(f"{prefix}-regional-waf"),
            tags=self._tags(f"{name}-waf"),
            opts=self._child,
        )
        self._web_acl = acl
        self.web_acl_arn = acl.arn
        # WAF only logs to groups named aws-waf-logs-*.
        log_group = self._log_group(f"{name}-waf-logs", f"aws-waf-logs-{prefix}-regional")
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-waf-logging",
            resource_arn=acl.arn,
            log_destination_configs=[log_group.arn],
            # The origin secret and the users' tokens never reach the logs.
            redacted_fields=[
                {"single_header": {"name": ORIGIN_VERIFY_HEADER.lower()}},
                {"single_header": {"name": "authorization"}},
            ],
            opts=self._child,
        )

    # ---- ALB ----------------------------------------------------------------------------------------------

    def _target_group(self, resource_name: str, protocol: str, target_type: str, port: int) -> aws.lb.TargetGroup:
        return aws.lb.TargetGroup(
            resource_name,
            vpc_id=self._args.vpc_id,
            port=port,
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
            tags=self._tags(resource_name),
            opts=self._child,
        )

    def _alb(self, certificate_arn: pulumi.Output[str]) -> None:
        name, args = self._name, self._args
        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            subnets=list(args.public_subnet_ids),
            security_groups=[self._sgs["alb"].id],
            drop_invalid_header_fields=True,
            desync_mitigation_mode="strictest",
            enable_deletion_protection=args.protect,
            access_logs={"bucket": args.access_log_bucket, "prefix": ALB_LOG_PREFIX, "enabled": True},
            tags=self._tags(f"{name}-alb"),
            opts=self._opts(depends_on=list(args.access_log_dependencies)),
        )
        self._alb_resource = alb
        self.alb_arn, self.alb_dns_name = alb.arn, alb.dns_name
        self.alb_zone_id, self.alb_arn_suffix = alb.zone_id, alb.arn_suffix
        aws.wafv2.WebAclAssociation(
            f"{name}-alb-waf", resource_arn=alb.arn, web_acl_arn=self._web_acl.arn, opts=self._child
        )
        https = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=alb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=ALB_TLS_POLICY,
            certificate_arn=certificate_arn,
            # Anything without the edge's secret header (a direct hit on the ALB) is refused.
            default_actions=[
                {
                    "type": "fixed-response",
                    "fixed_response": {"content_type": "text/plain", "message_body": "Forbidden", "status_code": "403"},
                }
            ],
            tags=self._tags(f"{name}-https"),
            opts=self._child,
        )
        http = aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}
            ],
            tags=self._tags(f"{name}-http"),
            opts=self._child,
        )
        self.https_listener_arn, self.http_listener_arn = https.arn, http.arn
        self._https_listener = https
        self._alb_target_groups: dict[str, aws.lb.TargetGroup] = {}
        self._alb_rules: list[aws.lb.ListenerRule] = []
        routes: list[tuple[str, tuple[str, ...], str]] = []
        if args.compute_mode is ComputeMode.ECS_AND_EC2_FLEET:
            routes.append(("fleet", FLEET_PATHS, "instance"))
        # Most specific first; the frontend's "/*" is the last rule.
        routes += [(s.name, s.alb_paths, "ip") for s in SERVICES if s.alb_paths and s.alb_paths != ("/*",)]
        routes += [(s.name, s.alb_paths, "ip") for s in SERVICES if s.alb_paths == ("/*",)]
        for priority, (target, paths, target_type) in enumerate(routes, start=1):
            tg = self._target_group(f"{name}-{target}-tg", "HTTP", target_type, CONTAINER_PORT)
            self._alb_target_groups[target] = tg
            self._alb_rules.append(
                aws.lb.ListenerRule(
                    f"{name}-{target}-rule",
                    listener_arn=https.arn,
                    priority=priority * 10,
                    conditions=[
                        {
                            "http_header": {
                                "http_header_name": ORIGIN_VERIFY_HEADER,
                                "values": [args.origin_verify_secret],
                            }
                        },
                        {"path_pattern": {"values": list(paths)}},
                    ],
                    actions=[{"type": "forward", "target_group_arn": tg.arn}],
                    tags=self._tags(f"{name}-{target}-rule"),
                    opts=self._child,
                )
            )
        self.alb_target_group_arn_suffixes = {role: tg.arn_suffix for role, tg in self._alb_target_groups.items()}
        if args.publish_origin_record:
            args.zone.alias(f"{name}-origin-record", self.origin_domain_name, alb.dns_name, alb.zone_id, parent=self)

    # ---- internal NLB behind the API Gateway VPC Link ----------------------------------------------------

    def _nlb(self) -> None:
        name, args = self._name, self._args
        nlb = aws.lb.LoadBalancer(
            f"{name}-nlb",
            load_balancer_type="network",
            internal=True,
            subnets=list(args.app_subnet_ids),
            security_groups=[self._sgs["nlb"].id],
            # VPC Link traffic arrives over PrivateLink; the group then only governs the NLB's egress to tasks.
            enforce_security_group_inbound_rules_on_private_link_traffic="off",
            enable_cross_zone_load_balancing=True,
            enable_deletion_protection=args.protect,
            tags=self._tags(f"{name}-nlb"),
            opts=self._child,
        )
        self._nlb_resource = nlb
        self._nlb_target_groups: dict[str, aws.lb.TargetGroup] = {}
        self._nlb_listeners: list[aws.lb.Listener] = []
        for s in SERVICES:
            if s.nlb_port is None:
                continue
            tg = self._target_group(f"{name}-{s.name}-nlb-tg", "TCP", "ip", CONTAINER_PORT)
            self._nlb_target_groups[s.name] = tg
            self._nlb_listeners.append(
                aws.lb.Listener(
                    f"{name}-{s.name}-nlb-listener",
                    load_balancer_arn=nlb.arn,
                    port=s.nlb_port,
                    protocol="TCP",
                    default_actions=[{"type": "forward", "target_group_arn": tg.arn}],
                    tags=self._tags(f"{name}-{s.name}-nlb-listener"),
                    opts=self._child,
                )
            )

    # ---- EC2 fleet ---------------------------------------------------------------------------------------

    def _fleet(self) -> pulumi.Output[str]:
        name, args = self._name, self._args
        statements: list[pulumi.Output[dict[str, Any]]] = []
        if args.renditions_bucket_arn is not None:
            statements.append(
                pulumi.Output.from_input(args.renditions_bucket_arn).apply(
                    lambda arn: {
                        "Sid": "ReadRenditions",
                        "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": f"{arn}/*",
                    }
                )
            )
            if args.media_key_arn is not None:
                statements.append(
                    pulumi.Output.all(args.media_key_arn, self._region).apply(
                        lambda a: {
                            "Sid": "DecryptRenditionsThroughS3",
                            "Effect": "Allow",
                            "Action": "kms:Decrypt",
                            "Resource": a[0],
                            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{a[1]}.amazonaws.com"}},
                        }
                    )
                )
        role = self._role(
            f"{name}-fleet-role", "ec2.amazonaws.com", pulumi.Output.all(*statements) if statements else None
        )
        self._managed(f"{name}-fleet-ssm", role, "AmazonSSMManagedInstanceCore")
        profile = aws.iam.InstanceProfile(
            f"{name}-fleet-profile", role=role.name, tags=self._tags(name), opts=self._child
        )
        arch = "arm64" if is_arm_instance_type(args.instance_type) else "x86_64"
        ami = aws.ssm.get_parameter_output(
            name=AL2023_AMI_PARAMETER.format(arch=arch), opts=pulumi.InvokeOutputOptions(parent=self)
        ).value
        user_data = pulumi.Output.all(self._region, args.renditions_bucket_arn or "").apply(
            lambda a: _user_data(
                {
                    "ENVIRONMENT": args.tags.get("Environment", ""),
                    "RENDITIONS_BUCKET": a[1].rsplit(":", 1)[-1],
                    "REGION": a[0],
                }
            )
        )
        template = aws.ec2.LaunchTemplate(
            f"{name}-fleet-lt",
            description=f"{name}: streaming web tier",
            image_id=ami,
            instance_type=args.instance_type,
            iam_instance_profile={"arn": profile.arn},
            network_interfaces=[
                {
                    "device_index": 0,
                    "associate_public_ip_address": "false",
                    "delete_on_termination": "true",
                    "security_groups": [self._sgs["fleet"].id, args.data_client_security_group_id],
                }
            ],
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                "http_put_response_hop_limit": 1,
                "instance_metadata_tags": "disabled",
            },
            block_device_mappings=[
                {
                    "device_name": "/dev/xvda",
                    "ebs": {
                        "volume_size": ROOT_VOLUME_GB,
                        "volume_type": "gp3",
                        "encrypted": "true",
                        "kms_key_id": self._compute_key.arn,
                        "delete_on_termination": "true",
                    },
                }
            ],
            monitoring={"enabled": True},
            user_data=user_data,
            update_default_version=True,
            tag_specifications=[
                {"resource_type": kind, "tags": self._tags(f"{name}-fleet")} for kind in ("instance", "volume")
            ],
            tags=self._tags(f"{name}-fleet-lt"),
            opts=self._child,
        )
        tg = self._alb_target_groups["fleet"]
        mixed: aws.autoscaling.GroupMixedInstancesPolicyArgsDict = {
            "instances_distribution": {
                "on_demand_base_capacity": args.fleet_on_demand_base,
                "on_demand_percentage_above_base_capacity": args.fleet_on_demand_percentage_above_base,
                "spot_allocation_strategy": "price-capacity-optimized",
            },
            "launch_template": {
                "launch_template_specification": {
                    "launch_template_id": template.id,
                    # A concrete version: a template change is a visible diff that starts an instance refresh.
                    "version": template.latest_version.apply(str),
                },
                "overrides": [{"instance_type": t} for t in (args.instance_type, *args.fleet_extra_instance_types)],
            },
        }
        refresh: aws.autoscaling.GroupInstanceRefreshArgsDict = {
            "strategy": "Rolling",
            "preferences": {"min_healthy_percentage": 90, "skip_matching": True, "auto_rollback": True},
        }
        asg_tags: list[aws.autoscaling.GroupTagArgsDict] = [
            {"key": k, "value": v, "propagate_at_launch": True} for k, v in self._tags(f"{name}-fleet").items()
        ]
        asg = aws.autoscaling.Group(
            f"{name}-fleet",
            vpc_zone_identifiers=list(args.app_subnet_ids),
            min_size=args.asg_min_size,
            max_size=args.asg_max_size,
            desired_capacity=args.asg_desired_capacity,
            health_check_type="ELB",
            health_check_grace_period=ASG_HEALTH_CHECK_GRACE_SECONDS,
            default_instance_warmup=ASG_HEALTH_CHECK_GRACE_SECONDS,
            target_group_arns=[tg.arn],
            capacity_rebalance=True,
            mixed_instances_policy=mixed,
            instance_refresh=refresh,
            enabled_metrics=[
                aws.autoscaling.Metric.GROUP_DESIRED_CAPACITY,
                aws.autoscaling.Metric.GROUP_IN_SERVICE_INSTANCES,
                aws.autoscaling.Metric.GROUP_TOTAL_INSTANCES,
            ],
            tags=asg_tags,
            opts=self._opts(ignore_changes=["desiredCapacity"], depends_on=self._alb_rules),
        )
        aws.autoscaling.Policy(
            f"{name}-fleet-cpu",
            autoscaling_group_name=asg.name,
            policy_type="TargetTrackingScaling",
            target_tracking_configuration={
                "predefined_metric_specification": {"predefined_metric_type": "ASGAverageCPUUtilization"},
                "target_value": CPU_TARGET_PERCENT,
            },
            opts=self._child,
        )
        aws.autoscaling.Policy(
            f"{name}-fleet-requests",
            autoscaling_group_name=asg.name,
            policy_type="TargetTrackingScaling",
            target_tracking_configuration={
                "predefined_metric_specification": {
                    "predefined_metric_type": "ALBRequestCountPerTarget",
                    "resource_label": pulumi.Output.concat(self._alb_resource.arn_suffix, "/", tg.arn_suffix),
                },
                "target_value": ALB_REQUESTS_PER_TARGET,
            },
            opts=self._child,
        )
        return asg.name

    # ---- Cognito ------------------------------------------------------------------------------------------

    def _cognito(self) -> None:
        name, args = self._name, self._args
        domain = args.zone.domain_name
        mfa_on = args.cognito_mfa is not CognitoMfa.OFF
        pool = aws.cognito.UserPool(
            f"{name}-users",
            name=f"{args.resource_prefix}-users",
            username_attributes=["email"],
            auto_verified_attributes=["email"],
            username_configuration={"case_sensitive": False},
            password_policy={
                "minimum_length": args.min_password_length,
                "require_lowercase": True,
                "require_uppercase": True,
                "require_numbers": True,
                "require_symbols": True,
                "temporary_password_validity_days": 3,
            },
            mfa_configuration=args.cognito_mfa.value,
            software_token_mfa_configuration={"enabled": True} if mfa_on else None,
            user_pool_tier="PLUS" if args.advanced_security_enforced else "ESSENTIALS",
            user_pool_add_ons={"advanced_security_mode": "ENFORCED"} if args.advanced_security_enforced else None,
            account_recovery_setting={"recovery_mechanisms": [{"name": "verified_email", "priority": 1}]},
            deletion_protection="ACTIVE" if args.protect else "INACTIVE",
            tags=self._tags(f"{name}-users"),
            opts=self._opts(True),
        )
        self._user_pool = pool
        client = aws.cognito.UserPoolClient(
            f"{name}-web-client",
            user_pool_id=pool.id,
            name=f"{args.resource_prefix}-web",
            # A browser app cannot keep a secret: a public client, authorization code flow with PKCE.
            generate_secret=False,
            allowed_oauth_flows_user_pool_client=True,
            allowed_oauth_flows=["code"],
            allowed_oauth_scopes=["openid", "email", "profile"],
            supported_identity_providers=["COGNITO"],
            callback_urls=list(args.callback_urls) or [f"https://{domain}/auth/callback"],
            logout_urls=list(args.logout_urls) or [f"https://{domain}/"],
            explicit_auth_flows=["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"],
            prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True,
            access_token_validity=60,
            id_token_validity=60,
            refresh_token_validity=30,
            token_validity_units={"access_token": "minutes", "id_token": "minutes", "refresh_token": "days"},
            opts=self._child,
        )
        hosted = aws.cognito.UserPoolDomain(
            f"{name}-auth-domain",
            domain=args.auth_domain_prefix or f"{args.resource_prefix}-auth",
            user_pool_id=pool.id,
            managed_login_version=2,
            opts=self._child,
        )
        self.user_pool_id, self.user_pool_client_id = pool.id, client.id
        self.user_pool_domain = hosted.domain

    # ---- ECS ----------------------------------------------------------------------------------------------

    def _session_secret(self) -> aws.secretsmanager.Secret:
        name, args = self._name, self._args
        secret = aws.secretsmanager.Secret(
            f"{name}-session-key",
            name_prefix=f"{args.resource_prefix}/session-signing-key-",
            description=f"{name}: signs the services' session cookies",
            kms_key_id=self._compute_key.arn,
            recovery_window_in_days=30 if args.protect else 0,
            tags=self._tags(f"{name}-session-key"),
            opts=self._opts(True),
        )
        value = random.RandomPassword(f"{name}-session-key", length=64, special=False, opts=self._child)
        aws.secretsmanager.SecretVersion(
            f"{name}-session-key", secret_id=secret.id, secret_string=value.result, opts=self._child
        )
        return secret

    def _task_statements(self, s: _Service) -> list[pulumi.Output[dict[str, Any]]]:
        args = self._args
        rw = [
            "dynamodb:GetItem",
            "dynamodb:Query",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:BatchGetItem",
        ]
        ro = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"]

        def table(sid: str, arn: pulumi.Input[str] | None, actions: list[str]) -> list[pulumi.Output[dict[str, Any]]]:
            if arn is None:
                return []
            return [
                pulumi.Output.from_input(arn).apply(
                    lambda a: {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": [a, f"{a}/index/*"]}
                )
            ]

        out: list[pulumi.Output[dict[str, Any]]] = []
        if s.name == API:
            out += table("VideoCatalogue", args.video_table_arn, rw) + table("Sessions", args.session_table_arn, rw)
        elif s.name == VIDEO:
            out += table("VideoCatalogue", args.video_table_arn, rw)
            if args.uploads_bucket_arn is not None and args.renditions_bucket_arn is not None:
                out.append(
                    pulumi.Output.all(args.uploads_bucket_arn, args.renditions_bucket_arn).apply(
                        lambda a: {
                            "Sid": "PresignUploads",
                            "Effect": "Allow",
                            "Action": "s3:PutObject",
                            "Resource": f"{a[0]}/*",
                        }
                    )
                )
                out.append(
                    pulumi.Output.from_input(args.renditions_bucket_arn).apply(
                        lambda a: {
                            "Sid": "ReadRenditions",
                            "Effect": "Allow",
                            "Action": "s3:GetObject",
                            "Resource": f"{a}/*",
                        }
                    )
                )
            if args.media_key_arn is not None:
                out.append(
                    pulumi.Output.all(args.media_key_arn, self._region).apply(
                        lambda a: {
                            "Sid": "MediaKeyThroughS3",
                            "Effect": "Allow",
                            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                            "Resource": a[0],
                            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{a[1]}.amazonaws.com"}},
                        }
                    )
                )
        elif s.name == USER:
            out += table("Sessions", args.session_table_arn, rw)
        elif s.name == COMMENT:
            out += table("VideoCatalogueRead", args.video_table_arn, ro)
        return out

    def _execution_statements(
        self, log_group: aws.cloudwatch.LogGroup, secret: aws.secretsmanager.Secret | None
    ) -> pulumi.Output[list[dict[str, Any]]]:
        def build(a: list[Any]) -> list[dict[str, Any]]:
            log_arn, partition, region, account, secret_arn, key_arn = a
            statements: list[dict[str, Any]] = [
                # GetAuthorizationToken has no resource-level permissions.
                {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
                {
                    "Sid": "PullImages",
                    "Effect": "Allow",
                    "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                    "Resource": f"arn:{partition}:ecr:{region}:{account}:repository/*",
                },
                {
                    "Sid": "WriteLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"{log_arn}:log-stream:*",
                },
            ]
            if secret_arn:
                statements += [
                    {
                        "Sid": "ReadSecrets",
                        "Effect": "Allow",
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": secret_arn,
                    },
                    {
                        "Sid": "DecryptSecrets",
                        "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": key_arn,
                        "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
                    },
                ]
            return statements

        return pulumi.Output.all(
            log_group.arn,
            self._partition,
            self._region,
            self._account,
            secret.arn if secret is not None else "",
            self._compute_key.arn if secret is not None else "",
        ).apply(build)

    def _container(
        self, s: _Service, image: str, log_group: aws.cloudwatch.LogGroup, secret: aws.secretsmanager.Secret | None
    ) -> pulumi.Output[str]:
        args = self._args
        env_inputs: dict[str, pulumi.Input[str]] = {"SERVICE_NAME": s.name, "PORT": str(CONTAINER_PORT)}
        if s.data_access:
            env_inputs.update(args.service_environment)
        keys = sorted(env_inputs)

        def render(a: list[Any]) -> str:
            region, group, secret_arn, *values = a
            definition = {
                "name": s.name,
                "image": image,
                "essential": True,
                "user": CONTAINER_USER,
                "readonlyRootFilesystem": True,
                "portMappings": [
                    {"name": "http", "containerPort": CONTAINER_PORT, "protocol": "tcp", "appProtocol": "http"}
                ],
                "environment": [{"name": k, "value": v} for k, v in zip(keys, values, strict=True)],
                "secrets": [{"name": n, "valueFrom": secret_arn} for n in s.secrets],
                "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}],
                "stopTimeout": CONTAINER_STOP_TIMEOUT_SECONDS,
                "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": group, "awslogs-region": region, "awslogs-stream-prefix": s.name},
                },
            }
            return json.dumps([definition])

        return pulumi.Output.all(
            self._region, log_group.name, secret.arn if secret is not None else "", *(env_inputs[k] for k in keys)
        ).apply(render)

    def _ecs(self) -> None:
        name, args = self._name, self._args
        namespace = aws.servicediscovery.HttpNamespace(
            f"{name}-services",
            name=f"{args.resource_prefix}.internal",
            description=f"{name}: Service Connect namespace of the ECS services",
            tags=self._tags(f"{name}-services"),
            opts=self._child,
        )
        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[{"name": "containerInsights", "value": "enhanced"}],
            service_connect_defaults={"namespace": namespace.arn},
            tags=self._tags(f"{name}-cluster"),
            opts=self._child,
        )
        self.cluster_name = cluster.name
        cap = args.capacity
        strategy: list[aws.ecs.ServiceCapacityProviderStrategyArgsDict] = []
        if cap.fargate_base or cap.fargate_weight:
            strategy.append({"capacity_provider": "FARGATE", "base": cap.fargate_base, "weight": cap.fargate_weight})
        if cap.fargate_spot_weight:
            strategy.append({"capacity_provider": "FARGATE_SPOT", "weight": cap.fargate_spot_weight})
        defaults: list[aws.ecs.ClusterCapacityProvidersDefaultCapacityProviderStrategyArgsDict] = [
            {"capacity_provider": d["capacity_provider"], "base": d.get("base", 0), "weight": d.get("weight", 0)}
            for d in strategy
        ]
        providers = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategies=defaults,
            opts=self._child,
        )
        secret = self._session_secret() if any(s.secrets for s in SERVICES) else None
        self.service_names = {}
        for s in SERVICES:
            size = args.service_sizes.get(s.name, args.default_service_size)
            log_group = self._log_group(f"{name}-{s.name}-logs", f"/ecs/{args.resource_prefix}/{s.name}")
            own_secret = secret if s.secrets else None
            execution_role = self._role(
                f"{name}-{s.name}-execution",
                "ecs-tasks.amazonaws.com",
                self._execution_statements(log_group, own_secret),
            )
            task_statements = self._task_statements(s)
            task_role = self._role(
                f"{name}-{s.name}-task",
                "ecs-tasks.amazonaws.com",
                pulumi.Output.all(*task_statements) if task_statements else None,
            )
            task = aws.ecs.TaskDefinition(
                f"{name}-{s.name}-task",
                family=f"{args.resource_prefix}-{s.name}",
                requires_compatibilities=["FARGATE"],
                network_mode="awsvpc",
                cpu=str(size.cpu),
                memory=str(size.memory),
                runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": args.cpu_architecture},
                execution_role_arn=execution_role.arn,
                task_role_arn=task_role.arn,
                volumes=[{"name": "tmp"}],  # Fargate task storage: the one writable path
                container_definitions=self._container(s, args.service_images[s.name], log_group, own_secret),
                tags=self._tags(f"{name}-{s.name}"),
                opts=self._child,
            )
            load_balancers: list[aws.ecs.ServiceLoadBalancerArgsDict] = []
            if s.name in self._alb_target_groups:
                load_balancers.append(
                    {
                        "target_group_arn": self._alb_target_groups[s.name].arn,
                        "container_name": s.name,
                        "container_port": CONTAINER_PORT,
                    }
                )
            if s.name in self._nlb_target_groups:
                load_balancers.append(
                    {
                        "target_group_arn": self._nlb_target_groups[s.name].arn,
                        "container_name": s.name,
                        "container_port": CONTAINER_PORT,
                    }
                )
            security_groups: list[pulumi.Input[str]] = [self._sgs[s.name].id]
            if s.data_access:
                security_groups.append(args.data_client_security_group_id)
            connect: aws.ecs.ServiceServiceConnectConfigurationArgsDict = {
                "enabled": True,
                "namespace": namespace.arn,
                "services": [
                    {
                        "port_name": "http",
                        "discovery_name": s.name,
                        "client_alias": [{"port": CONTAINER_PORT, "dns_name": s.name}],
                    }
                ],
                "log_configuration": {
                    "log_driver": "awslogs",
                    "options": pulumi.Output.all(self._region, log_group.name).apply(
                        lambda a: {
                            "awslogs-group": a[1],
                            "awslogs-region": a[0],
                            "awslogs-stream-prefix": "service-connect",
                        }
                    ),
                },
            }
            service = aws.ecs.Service(
                f"{name}-{s.name}",
                name=s.name,
                cluster=cluster.arn,
                task_definition=task.arn,
                desired_count=args.service_min_tasks,
                capacity_provider_strategies=strategy,
                network_configuration={
                    "subnets": list(args.app_subnet_ids),
                    "security_groups": security_groups,
                    "assign_public_ip": False,
                },
                load_balancers=load_balancers or None,
                health_check_grace_period_seconds=HEALTH_CHECK_GRACE_SECONDS if load_balancers else None,
                deployment_circuit_breaker={"enable": True, "rollback": True},
                deployment_minimum_healthy_percent=100,
                deployment_maximum_percent=200,
                availability_zone_rebalancing="ENABLED",
                enable_execute_command=False,
                propagate_tags="SERVICE",
                service_connect_configuration=connect,
                wait_for_steady_state=False,
                tags=self._tags(f"{name}-{s.name}"),
                opts=self._opts(
                    ignore_changes=["desiredCount"],
                    depends_on=[providers, *self._alb_rules, *self._nlb_listeners],
                ),
            )
            self.service_names[s.name] = service.name
            target = aws.appautoscaling.Target(
                f"{name}-{s.name}-scaling",
                service_namespace="ecs",
                scalable_dimension="ecs:service:DesiredCount",
                resource_id=pulumi.Output.concat("service/", cluster.name, "/", service.name),
                min_capacity=args.service_min_tasks,
                max_capacity=args.service_max_tasks,
                opts=self._child,
            )
            for metric, kind, value in (
                ("cpu", "ECSServiceAverageCPUUtilization", CPU_TARGET_PERCENT),
                ("memory", "ECSServiceAverageMemoryUtilization", MEMORY_TARGET_PERCENT),
            ):
                aws.appautoscaling.Policy(
                    f"{name}-{s.name}-{metric}",
                    policy_type="TargetTrackingScaling",
                    service_namespace=target.service_namespace,
                    scalable_dimension=target.scalable_dimension,
                    resource_id=target.resource_id,
                    target_tracking_scaling_policy_configuration={
                        "predefined_metric_specification": {"predefined_metric_type": kind},
                        "target_value": value,
                        "scale_in_cooldown": 300,
                        "scale_out_cooldown": 60,
                    },
                    opts=self._child,
                )

    # ---- API Gateway (REST) -------------------------------------------------------------------------------

    def _api(self, certificate_arn: pulumi.Output[str]) -> None:
        name, args = self._name, self._args
        # Access logging needs the account-level CloudWatch role of API Gateway (one per account and region).
        cw_role = self._role(f"{name}-apigw-cloudwatch", "apigateway.amazonaws.com", None)
        self._managed(f"{name}-apigw-cloudwatch", cw_role, "service-role/AmazonAPIGatewayPushToCloudWatchLogs")
        account = aws.apigateway.Account(f"{name}-apigw-account", cloudwatch_role_arn=cw_role.arn, opts=self._child)
        api = aws.apigateway.RestApi(
            f"{name}-api",
            name=f"{args.resource_prefix}-api",
            description=f"{name}: Cognito-authorized API in front of the ECS services",
            endpoint_configuration={"types": "REGIONAL"},
            # Reached only as api.<domain> (and through the edge); the execute-api hostname is off.
            disable_execute_api_endpoint=True,
            tags=self._tags(f"{name}-api"),
            opts=self._child,
        )
        self.api_id = api.id
        authorizer = aws.apigateway.Authorizer(
            f"{name}-cognito",
            rest_api=api.id,
            name="cognito",
            type="COGNITO_USER_POOLS",
            provider_arns=[self._user_pool.arn],
            identity_source="method.request.header.Authorization",
            opts=self._child,
        )
        vpc_link = aws.apigateway.VpcLink(
            f"{name}-vpc-link",
            name=f"{args.resource_prefix}-services",
            target_arn=self._nlb_resource.arn,
            tags=self._tags(f"{name}-vpc-link"),
            opts=self._child,
        )
        routed: list[pulumi.Resource] = []
        for s in SERVICES:
            if s.api_path is None or s.nlb_port is None:
                continue
            base: pulumi.Input[str] = api.root_resource_id
            targets: list[tuple[str, pulumi.Input[str], str, bool]] = []
            if s.api_path:
                section = aws.apigateway.Resource(
                    f"{name}-{s.name}-resource",
                    rest_api=api.id,
                    parent_id=api.root_resource_id,
                    path_part=s.api_path,
                    opts=self._child,
                )
                base = section.id
                targets.append((f"{name}-{s.name}-root", section.id, f"/{s.api_path}", False))
            proxy = aws.apigateway.Resource(
                f"{name}-{s.name}-proxy",
                rest_api=api.id,
                parent_id=base,
                path_part="{proxy+}",
                opts=self._child,
            )
            prefix = f"/{s.api_path}" if s.api_path else ""
            targets.append((f"{name}-{s.name}-proxy", proxy.id, f"{prefix}/{{proxy}}", True))
            for resource_name, resource_id, path, is_proxy in targets:
                method = aws.apigateway.Method(
                    resource_name,
                    rest_api=api.id,
                    resource_id=resource_id,
                    http_method="ANY",
                    authorization="COGNITO_USER_POOLS",
                    authorizer_id=authorizer.id,
                    request_parameters={"method.request.path.proxy": True} if is_proxy else None,
                    opts=self._child,
                )
                integration = aws.apigateway.Integration(
                    resource_name,
                    rest_api=api.id,
                    resource_id=resource_id,
                    http_method=method.http_method,
                    type="HTTP_PROXY",
                    integration_http_method="ANY",
                    connection_type="VPC_LINK",
                    connection_id=vpc_link.id,
                    uri=pulumi.Output.concat("http://", self._nlb_resource.dns_name, f":{s.nlb_port}{path}"),
                    request_parameters={"integration.request.path.proxy": "method.request.path.proxy"}
                    if is_proxy
                    else None,
                    timeout_milliseconds=29000,
                    opts=self._child,
                )
                routed += [method, integration]
        routes_digest = hashlib.sha256(
            json.dumps([(s.name, s.api_path, s.nlb_port) for s in SERVICES]).encode()
        ).hexdigest()
        deployment = aws.apigateway.Deployment(
            f"{name}-api-deployment",
            rest_api=api.id,
            triggers={"routes": routes_digest},
            opts=self._opts(depends_on=routed),
        )
        access_logs = self._log_group(f"{name}-api-access-logs", f"/aws/apigateway/{args.resource_prefix}-api")
        stage = aws.apigateway.Stage(
            f"{name}-api-stage",
            rest_api=api.id,
            deployment=deployment.id,
            stage_name="v1",
            xray_tracing_enabled=True,
            access_log_settings={
                "destination_arn": access_logs.arn,
                "format": json.dumps(
                    {
                        "requestId": "$context.requestId",
                        "ip": "$context.identity.sourceIp",
                        "user": "$context.authorizer.claims.sub",
                        "requestTime": "$context.requestTime",
                        "httpMethod": "$context.httpMethod",
                        "resourcePath": "$context.resourcePath",
                        "status": "$context.status",
                        "responseLength": "$context.responseLength",
                        "integrationLatency": "$context.integrationLatency",
                    }
                ),
            },
            tags=self._tags(f"{name}-api-stage"),
            opts=self._opts(depends_on=[account]),
        )
        aws.apigateway.MethodSettings(
            f"{name}-api-throttling",
            rest_api=api.id,
            stage_name=stage.stage_name,
            method_path="*/*",
            settings={
                "metrics_enabled": True,
                "logging_level": "ERROR",
                "data_trace_enabled": False,
                "throttling_rate_limit": args.api_throttle_rate_limit,
                "throttling_burst_limit": args.api_throttle_burst_limit,
            },
            opts=self._child,
        )
        aws.wafv2.WebAclAssociation(
            f"{name}-api-waf", resource_arn=stage.arn, web_acl_arn=self._web_acl.arn, opts=self._child
        )
        custom_domain = aws.apigateway.DomainName(
            f"{name}-api-domain",
            domain_name=self.api_domain_name,
            regional_certificate_arn=certificate_arn,
            endpoint_configuration={"types": "REGIONAL"},
            security_policy=API_DOMAIN_TLS_POLICY,
            tags=self._tags(f"{name}-api-domain"),
            opts=self._child,
        )
        aws.apigateway.BasePathMapping(
            f"{name}-api-mapping",
            rest_api=api.id,
            stage_name=stage.stage_name,
            domain_name=custom_domain.domain_name,
            opts=self._child,
        )
        args.zone.alias(
            f"{name}-api-record",
            self.api_domain_name,
            custom_domain.regional_domain_name,
            custom_domain.regional_zone_id,
            parent=self,
        )


def _user_data(values: Mapping[str, str]) -> str:
    script = (ASSETS / "fleet-user-data.sh").read_text()
    for key, value in values.items():
        script = script.replace(f"@@{key}@@", value)
    return base64.b64encode(script.encode()).decode()  # launch templates take user data base64-encoded
