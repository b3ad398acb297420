"""Read the stack's config once and validate it into frozen, typed settings.

Every project key is declared in ``KEYS`` (type, default, description); a test
keeps ``Pulumi.yaml`` and the README's config reference in step with it.
``parse`` is pure: it takes the raw strings the CLI hands the program plus the
AZs the region offers, and either returns ``Settings`` or raises one
``ConfigError`` that lists every problem, each naming the key, the value it got
and what is allowed. ``__main__`` calls ``load`` before registering anything.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import pulumi
from streaming_platform.app.tier import (
    CPU_TARGET_PERCENT,
    FARGATE_SIZES,
    MEMORY_TARGET_PERCENT,
    SERVICE_NAMES,
    CapacityStrategy,
    CognitoMfa,
    ComputeMode,
    FleetOptions,
    IdentityOptions,
    PrivateApiOptions,
    ServiceSize,
    ServicesOptions,
    fargate_memory_options,
    is_arm_instance_type,
)
from streaming_platform.edge.distribution import (
    ONE_DAY_SECONDS,
    ONE_YEAR_SECONDS,
    WCU_BUDGET,
    PriceClass,
    web_acl_rules,
)
from streaming_platform.media.pipeline import LAYER_ARN, TranscodeBackend
from streaming_platform.network.cidr_plan import (
    DEFAULT_PREFIX_LENGTHS,
    MAX_SUBNET_PREFIX,
    MIN_SUBNET_PREFIX,
    Tier,
    az_block_prefix,
    max_azs,
)
from streaming_platform.network.multi_az import NatGatewayStrategy
from streaming_platform.observability.alarms import DEFAULT_THRESHOLDS, EMAIL, AlarmThresholds

PROJECT = "streaming"


class Environment(StrEnum):
    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


_REQUIRED = object()


@dataclass(frozen=True)
class ConfigKey:
    """One project config key, as declared in Pulumi.yaml."""

    name: str
    type: str  # string | integer | boolean | array (the CLI's config types)
    description: str
    default: Any = _REQUIRED
    items: str | None = None  # item type when type == "array"

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED

    @property
    def full_name(self) -> str:
        return f"{PROJECT}:{self.name}"


# Alarm thresholds (components/observability.py): key, AlarmThresholds field, lowest, highest, meaning.
# Their defaults are AlarmThresholds' own, so the component and the stack cannot disagree.
ALARM_THRESHOLD_KEYS: tuple[tuple[str, str, int, int, str], ...] = (
    (
        "cloudfront5xxRateAlarmPercent",
        "cloudfront_5xx_rate_percent",
        1,
        100,
        "CloudFront 5xxErrorRate (% of requests, 5-minute average) that alarms, 1 to 100.",
    ),
    ("alb5xxAlarmCount", "alb_5xx_count", 1, 100000, "5xx returned by the ALB itself in 5 minutes that alarm."),
    (
        "albTarget5xxAlarmCount",
        "alb_target_5xx_count",
        1,
        100000,
        "5xx returned by the ALB's targets in 5 minutes that alarm.",
    ),
    (
        "albP99ResponseTimeAlarmMs",
        "alb_p99_response_time_ms",
        10,
        60000,
        "p99 ALB TargetResponseTime over 5 minutes (ms) that alarms, 10 to 60000.",
    ),
    (
        "albUnhealthyHostsAlarmCount",
        "alb_unhealthy_hosts",
        1,
        1000,
        "Unhealthy targets in one ALB target group, for 5 minutes, that alarm.",
    ),
    (
        "ecsCpuAlarmPercent",
        "ecs_cpu_percent",
        1,
        100,
        f"ECS service CPU (%) for 15 minutes that alarms; above the {CPU_TARGET_PERCENT:g} % scaling target.",
    ),
    (
        "ecsMemoryAlarmPercent",
        "ecs_memory_percent",
        1,
        100,
        f"ECS service memory (%) for 15 minutes that alarms; above the {MEMORY_TARGET_PERCENT:g} % scaling target.",
    ),
    ("dbCpuAlarmPercent", "db_cpu_percent", 1, 100, "RDS instance CPU (%) for 15 minutes that alarms."),
    (
        "dbFreeableMemoryAlarmMb",
        "db_freeable_memory_mb",
        1,
        1048576,
        "Alarm when an RDS instance's FreeableMemory stays below this many MiB for 15 minutes.",
    ),
    (
        "dbFreeStorageAlarmGb",
        "db_free_storage_gb",
        1,
        65536,
        "Alarm when an RDS instance's FreeStorageSpace is below this many GiB; below dbAllocatedStorageGb.",
    ),
    (
        "dbReplicaLagAlarmSeconds",
        "db_replica_lag_seconds",
        1,
        86400,
        "RDS read replica ReplicaLag (s) for 5 minutes that alarms.",
    ),
    (
        "cacheCpuAlarmPercent",
        "cache_cpu_percent",
        1,
        100,
        "ElastiCache node CPUUtilization and EngineCPUUtilization (%) for 15 minutes that alarm.",
    ),
    ("cacheEvictionsAlarmCount", "cache_evictions", 1, 10000000, "Keys one cache node evicts in 5 minutes that alarm."),
    (
        "cacheReplicationLagAlarmSeconds",
        "cache_replication_lag_seconds",
        1,
        3600,
        "ElastiCache replica ReplicationLag (s) for 5 minutes that alarms.",
    ),
    (
        "dynamodbThrottleAlarmCount",
        "dynamodb_throttled_requests",
        1,
        1000000,
        "Read or write throttle events of one DynamoDB table in 5 minutes that alarm.",
    ),
    ("lambdaErrorAlarmCount", "lambda_errors", 1, 100000, "Errors of one Lambda function in 5 minutes that alarm."),
    (
        "lambdaThrottleAlarmCount",
        "lambda_throttles",
        1,
        100000,
        "Throttled invocations of one Lambda function in 5 minutes that alarm.",
    ),
)

KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(
        "environment",
        "string",
        "Environment class: dev, staging or prod. prod refuses settings that weaken redundancy "
        "(fewer than 3 AZs, fewer NAT gateways than AZs, an ASG minimum below one instance per AZ).",
    ),
    ConfigKey(
        "azCount",
        "integer",
        "How many Availability Zones to span, 2 to 6 and at most what the region offers; "
        "the first N zones the region lists are used.",
        2,
    ),
    ConfigKey(
        "vpcCidr",
        "string",
        "IPv4 CIDR of the VPC: an RFC 1918 range from /16 to /24, large enough for one AZ block "
        "per AZ (see the subnet prefix lengths).",
        "10.0.0.0/16",
    ),
    ConfigKey(
        "publicSubnetPrefixLength",
        "integer",
        "Prefix length of each public subnet (load balancers, NAT gateways).",
        DEFAULT_PREFIX_LENGTHS[Tier.PUBLIC],
    ),
    ConfigKey(
        "appSubnetPrefixLength",
        "integer",
        "Prefix length of each private-app subnet (EC2 fleet, ECS tasks, Lambda ENIs).",
        DEFAULT_PREFIX_LENGTHS[Tier.APP],
    ),
    ConfigKey(
        "dataSubnetPrefixLength",
        "integer",
        "Prefix length of each private-data subnet (RDS, ElastiCache); these have no internet route.",
        DEFAULT_PREFIX_LENGTHS[Tier.DATA],
    ),
    ConfigKey(
        "peerCidrs",
        "array",
        "CIDRs of networks this VPC must be routable with (other environments, on-premises, the DR "
        "region). They may not overlap the VPC or each other.",
        [],
        items="string",
    ),
    ConfigKey(
        "natGatewayStrategy",
        "string",
        "ONE_PER_AZ keeps egress up when an AZ fails; SINGLE saves cost but loses egress for every "
        "AZ when its AZ fails; NONE leaves private subnets without internet egress.",
        "ONE_PER_AZ",
    ),
    ConfigKey(
        "interfaceEndpoints",
        "array",
        "AWS services to reach through interface VPC endpoints in the private-app subnets "
        "(for example ecr.api, ecr.dkr, logs, secretsmanager). S3 and DynamoDB always get gateway "
        "endpoints.",
        [],
        items="string",
    ),
    ConfigKey(
        "flowLogRetentionDays",
        "integer",
        "Days to keep VPC flow logs; one of the retention periods CloudWatch Logs accepts.",
        365,
    ),
    ConfigKey("instanceType", "string", "EC2 instance type of the streaming web fleet.", "t3.large"),
    ConfigKey("asgMinSize", "integer", "Minimum instances in the EC2 Auto Scaling group.", 2),
    ConfigKey("asgDesiredCapacity", "integer", "Desired instances in the EC2 Auto Scaling group.", 2),
    ConfigKey("asgMaxSize", "integer", "Maximum instances in the EC2 Auto Scaling group.", 6),
    # --- application tier (components/app.py) ---
    ConfigKey(
        "computeMode",
        "string",
        "ECS_AND_EC2_FLEET runs the ECS microservices and the EC2 Auto Scaling streaming fleet; ECS_ONLY runs the "
        "microservices only (the fleet, its launch template and scaling policies are not created).",
        "ECS_AND_EC2_FLEET",
    ),
    ConfigKey(
        "asgExtraInstanceTypes",
        "array",
        "Instance types the fleet's mixed instances policy may launch besides instanceType (more Spot pools); "
        "same CPU architecture, each once. At least one when computeMode runs the fleet.",
        [],
        items="string",
    ),
    ConfigKey(
        "asgOnDemandBaseCapacity",
        "integer",
        "On-demand instances the fleet keeps before any Spot, 0 to asgMaxSize; at least 1 when environment is prod.",
        1,
    ),
    ConfigKey(
        "asgOnDemandPercentageAboveBase",
        "integer",
        "Percentage of on-demand instances above the base, 0 to 100 (0: the rest is Spot).",
        0,
    ),
    ConfigKey(
        "ecsServiceImages",
        "array",
        "One SERVICE=IMAGE entry per ECS service (frontend, api, video, user, comment, notification); images "
        "pinned by a tag other than latest or by an @sha256 digest.",
        items="string",
    ),
    ConfigKey(
        "ecsTaskCpu",
        "integer",
        "Default Fargate CPU units of a task: 256, 512, 1024, 2048, 4096, 8192 or 16384.",
        256,
    ),
    ConfigKey(
        "ecsTaskMemory",
        "integer",
        "Default Fargate memory (MiB) of a task; a size Fargate offers for ecsTaskCpu (256 CPU: 512, 1024 or 2048).",
        512,
    ),
    ConfigKey(
        "ecsServiceSizes",
        "array",
        "Per-service overrides of the task size as SERVICE=CPU/MEMORY, for example api=512/1024; each a Fargate "
        "size, each service at most once.",
        [],
        items="string",
    ),
    ConfigKey(
        "ecsFargateBase",
        "integer",
        "Tasks per service that always run on on-demand FARGATE, 0 to 100; at least 1 when environment is prod.",
        1,
    ),
    ConfigKey(
        "ecsFargateWeight",
        "integer",
        "Relative share of on-demand FARGATE for tasks above the base, 0 to 1000.",
        1,
    ),
    ConfigKey(
        "ecsFargateSpotWeight",
        "integer",
        "Relative share of FARGATE_SPOT (x86_64 only) for tasks above the base, 0 to 1000; ecsFargateWeight + "
        "ecsFargateSpotWeight must be above 0.",
        1,
    ),
    ConfigKey(
        "ecsMinTasks",
        "integer",
        "Autoscaling minimum (and initial count) of each ECS service, 1 to 100; at least azCount when environment "
        "is prod.",
        2,
    ),
    ConfigKey("ecsMaxTasks", "integer", "Autoscaling maximum of each ECS service, ecsMinTasks to 100.", 6),
    ConfigKey(
        "apiThrottleRateLimit",
        "integer",
        "Steady-state requests per second the REST API stage admits, 1 to 10000.",
        100,
    ),
    ConfigKey("apiThrottleBurstLimit", "integer", "Burst of requests the REST API stage admits, 1 to 5000.", 200),
    ConfigKey(
        "cognitoMfa",
        "string",
        "Cognito MFA with TOTP apps: OFF, OPTIONAL or ON; not OFF when environment is prod.",
        "ON",
    ),
    ConfigKey(
        "cognitoCallbackUrls",
        "array",
        "OAuth callback URLs of the web client (https://..., or http://localhost[:port]/...); empty for "
        "https://<domainName>/auth/callback.",
        [],
        items="string",
    ),
    ConfigKey(
        "appLogRetentionDays",
        "integer",
        "Days to keep the application tier's logs (ECS services, API access logs, WAF); one of the retention "
        "periods CloudWatch Logs accepts.",
        365,
    ),
    ConfigKey(
        "hostedZoneId",
        "string",
        "Id of an existing Route 53 public hosted zone for domainName to adopt; empty to create the zone "
        "(then delegate to its name servers).",
        "",
    ),
    ConfigKey("cacheNodeType", "string", "ElastiCache node type.", "cache.t4g.small"),
    ConfigKey("dbInstanceClass", "string", "RDS PostgreSQL instance class.", "db.t4g.medium"),
    ConfigKey(
        "dbEngineMajorVersion",
        "string",
        "PostgreSQL major version (14 to 17); AWS picks the newest minor version and upgrades minors "
        "automatically. The parameter group family follows it.",
        "16",
    ),
    ConfigKey(
        "dbMultiAz",
        "boolean",
        "Run the PostgreSQL primary with a synchronous standby in another AZ; required when environment is prod.",
        True,
    ),
    ConfigKey("dbAllocatedStorageGb", "integer", "Initial gp3 storage of PostgreSQL, 20 to 65536 GB.", 50),
    ConfigKey(
        "dbMaxAllocatedStorageGb",
        "integer",
        "Storage autoscaling ceiling of PostgreSQL, at least dbAllocatedStorageGb and at most 65536 GB.",
        200,
    ),
    ConfigKey(
        "dbBackupRetentionDays",
        "integer",
        "Days of PostgreSQL automated backups, 1 to 35; at least 7 when environment is prod.",
        7,
    ),
    ConfigKey(
        "dbReadReplicaCount",
        "integer",
        "PostgreSQL read replicas, 0 to 5, placed in the AZs other than the primary's preferred (first) AZ.",
        0,
    ),
    ConfigKey(
        "cacheNumNodes",
        "integer",
        "ElastiCache nodes (one primary, the rest replicas), 2 to 6, spread over the AZs; at least one per AZ "
        "when environment is prod.",
        2,
    ),
    ConfigKey(
        "cacheSnapshotRetentionDays",
        "integer",
        "Days of ElastiCache snapshots, 0 to 35; at least 1 when environment is prod.",
        7,
    ),
    ConfigKey(
        "dataLogRetentionDays",
        "integer",
        "Days to keep the data tier's logs (PostgreSQL logs, Redis slow log); one of the retention periods "
        "CloudWatch Logs accepts.",
        365,
    ),
    ConfigKey(
        "drRegion",
        "string",
        "Region the uploads bucket replicates to, encrypted with a KMS key in that region; empty for no "
        "replication. Required when environment is prod, and different from aws:region.",
        "",
    ),
    ConfigKey(
        "dynamodbReplicaRegions",
        "array",
        "Regions holding global-table replicas of the video metadata table, each with its own KMS key; "
        "none by default. Each differs from aws:region.",
        [],
        items="string",
    ),
    ConfigKey(
        "rawToGlacierIrDays",
        "integer",
        "Days before raw uploads move to S3 Glacier Instant Retrieval, 1 to 3650.",
        30,
    ),
    ConfigKey(
        "logBucketExpirationDays",
        "integer",
        "Days the access-log bucket keeps logs, 1 to 3650.",
        365,
    ),
    ConfigKey(
        "corsAllowedOrigins",
        "array",
        "Origins (https://host[:port], or http://localhost[:port]) allowed to PUT presigned uploads from a "
        "browser; none by default.",
        [],
        items="string",
    ),
    ConfigKey("domainName", "string", "Public DNS name viewers use for the site, for example video.example.com."),
    # --- edge (components/edge.py) ---
    ConfigKey(
        "edgePriceClass",
        "string",
        "CloudFront price class: PriceClass_100 (North America, Europe, Israel), PriceClass_200 or PriceClass_All.",
        "PriceClass_100",
    ),
    ConfigKey(
        "edgeSegmentDurationSeconds",
        "integer",
        "Target duration of the HLS/DASH segments the transcoder writes, 1 to 60 s; bounds edgeManifestTtlSeconds.",
        6,
    ),
    ConfigKey(
        "edgeManifestTtlSeconds",
        "integer",
        "Seconds CloudFront caches *.m3u8 / *.mpd manifests, 1 to half of edgeSegmentDurationSeconds.",
        2,
    ),
    ConfigKey(
        "edgeSegmentTtlSeconds",
        "integer",
        "Seconds segments (*.ts, *.m4s, *.mp4) are cached, immutable, 86400 (1 day) to 31536000 (1 year).",
        ONE_YEAR_SECONDS,
    ),
    ConfigKey(
        "edgeErrorCachingSeconds",
        "integer",
        "Seconds CloudFront caches 4xx/5xx responses, 0 to 60.",
        5,
    ),
    ConfigKey(
        "edgeOriginShieldRegion",
        "string",
        "Region of a CloudFront Origin Shield layer in front of the origins (usually aws:region); empty for none.",
        "",
    ),
    ConfigKey(
        "edgeSignedUrlPublicKey",
        "string",
        "PEM public key (-----BEGIN PUBLIC KEY-----) of a trusted key group: media paths then require CloudFront "
        "signed URLs or cookies; empty for public media.",
        "",
    ),
    ConfigKey(
        "edgeWafRateLimit",
        "integer",
        "Requests per 5 minutes per viewer IP before the CloudFront web ACL blocks, 10 to 2000000000.",
        2000,
    ),
    ConfigKey(
        "edgeWafAnonymousIpList",
        "boolean",
        "Add the AWS managed AnonymousIpList rule group (VPNs, Tor, hosting providers) to the CloudFront web ACL.",
        False,
    ),
    ConfigKey(
        "edgeWafGeoBlockCountries",
        "array",
        "ISO 3166-1 alpha-2 country codes (upper case) the CloudFront web ACL blocks; none by default.",
        [],
        items="string",
    ),
    ConfigKey(
        "edgeShieldAdvanced",
        "boolean",
        "Protect the distribution with AWS Shield Advanced (the account must already subscribe).",
        False,
    ),
    ConfigKey(
        "edgeOriginStandbyDnsName",
        "string",
        "DNS name of a standby origin (for example an ALB in the DR region) for the SECONDARY failover record of "
        "origin.<domainName>; empty for none (CloudFront then serves the static maintenance page). Set together "
        "with edgeOriginStandbyZoneId.",
        "",
    ),
    ConfigKey(
        "edgeOriginStandbyZoneId",
        "string",
        "Route 53 hosted zone id of edgeOriginStandbyDnsName's alias target (for an ALB, its region's ELB zone id).",
        "",
    ),
    ConfigKey(
        "transcodeBackend",
        "string",
        "Who transcodes uploads: mediaconvert (AWS Elemental MediaConvert; any length or size) or ffmpeg (the "
        "function itself with an ffmpeg layer; cheap for short clips, bounded by 15 minutes and 10 GB of /tmp).",
        "mediaconvert",
    ),
    ConfigKey(
        "ffmpegLayerArn",
        "string",
        "Lambda layer version ARN with bin/ffmpeg (x86_64), for example "
        "arn:aws:lambda:us-east-2:111122223333:layer:ffmpeg:1; required when transcodeBackend is ffmpeg.",
        "",
    ),
    ConfigKey("uploadPrefix", "string", "Key prefix of uploads that trigger transcoding, ending in '/'.", "uploads/"),
    ConfigKey(
        "uploadSuffixes",
        "array",
        "Key suffixes (case-sensitive, starting with '.') that trigger transcoding; one notification rule each.",
        [".mp4", ".mov", ".mkv", ".webm"],
        items="string",
    ),
    ConfigKey(
        "maxUploadSizeMb",
        "integer",
        "Uploads larger than this end FAILED without transcoding, 1 to 102400 MB; at most 3072 with the ffmpeg "
        "backend (the source and its renditions must fit in 10 GB of /tmp).",
        5120,
    ),
    ConfigKey("transcodeBatchSize", "integer", "SQS messages per transcoder invocation, 1 to 10.", 1),
    ConfigKey(
        "transcodeMaxConcurrency",
        "integer",
        "Maximum concurrent transcoder invocations the SQS event source starts, 2 to 1000.",
        10,
    ),
    ConfigKey(
        "transcodeReservedConcurrency",
        "integer",
        "Concurrency reserved for the transcoder, from transcodeMaxConcurrency to 1000 (less would throttle the "
        "poller and return messages to the queue early).",
        10,
    ),
    ConfigKey(
        "transcodeTimeoutSeconds",
        "integer",
        "Transcoder function timeout, 60 to 900 s; the queue's visibility timeout is 6 times this.",
        900,
    ),
    ConfigKey("transcodeMemoryMb", "integer", "Transcoder function memory, 128 to 10240 MB.", 3008),
    ConfigKey(
        "transcodeMaxReceiveCount",
        "integer",
        "Receives of a failing upload message before it moves to the dead-letter queue, 1 to 100.",
        5,
    ),
    ConfigKey(
        "dlqDepthAlarmThreshold",
        "integer",
        "Alarm when the transcode dead-letter queue holds at least this many messages, 1 or more.",
        1,
    ),
    ConfigKey(
        "oldestUploadAgeAlarmSeconds",
        "integer",
        "Alarm when the oldest upload has waited this long in the queue, 60 to 345600 s (the queue's retention).",
        3600,
    ),
    # --- observability (components/observability.py) ---
    ConfigKey(
        "alarmEmails",
        "array",
        "Email addresses subscribed to the alarm topics (the stack's region and us-east-1), each once; every "
        "address must confirm the subscription from the mail AWS sends.",
        [],
        items="string",
    ),
    *(
        ConfigKey(key, "integer", text, getattr(DEFAULT_THRESHOLDS, attr))
        for key, attr, _, _, text in ALARM_THRESHOLD_KEYS
    ),
)

KEYS_BY_NAME = {k.name: k for k in KEYS}

# Retention periods CloudWatch Logs accepts (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

_PRIVATE_RANGES = tuple(ipaddress.IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_INSTANCE_TYPE = re.compile(
    r"^(?P<family>[a-z][a-z0-9-]*\d[a-z0-9-]*)\."
    r"(?P<size>nano|micro|small|medium|large|metal(-\d+xl)?|\d*xlarge)$"
)
_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_ENDPOINT_SERVICE = re.compile(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9-]+)*$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_ORIGIN = re.compile(r"^(https://[a-z0-9.-]+|http://localhost)(:\d{1,5})?$")
_CALLBACK_URL = re.compile(r"^(https://[a-z0-9.-]+|http://localhost)(:\d{1,5})?(/[A-Za-z0-9._~/-]*)?$")
_HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_PUBLIC_KEY_PEM = re.compile(r"^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+\n-----END PUBLIC KEY-----$")
# registry[:port]/path:tag (a tag other than "latest") or registry/path@sha256:<64 hex digits>
_IMAGE = re.compile(
    r"^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
    r"(:(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$"
)
POSTGRES_MAJOR_VERSIONS = ("14", "15", "16", "17")


class ConfigError(pulumi.RunError):
    """Invalid stack configuration; ``problems`` holds one line per problem."""

    def __init__(self, stack: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"invalid configuration for stack {stack!r} ({len(self.problems)} problem"
            f"{'s' if len(self.problems) != 1 else ''}); nothing was registered:\n{lines}"
        )


@dataclass(frozen=True)
class NetworkSettings:
    availability_zones: tuple[str, ...]
    vpc_cidr: str
    subnet_prefix_lengths: Mapping[Tier, int]
    nat_gateway_strategy: NatGatewayStrategy
    interface_endpoints: tuple[str, ...]
    flow_log_retention_days: int
    peer_cidrs: tuple[str, ...]


@dataclass(frozen=True)
class ComputeSettings:
    """The EC2 fleet's size, under the names of the matching AppTierArgs fields."""

    instance_type: str
    asg_min_size: int
    asg_desired_capacity: int
    asg_max_size: int


@dataclass(frozen=True)
class DataSettings:
    """Plain settings of streaming_platform.data.tier.DataTierArgs, under the same field names."""

    cache_node_type: str
    db_instance_class: str
    db_engine_major_version: str = "16"
    db_multi_az: bool = True
    db_allocated_storage_gb: int = 50
    db_max_allocated_storage_gb: int = 200
    db_backup_retention_days: int = 7
    db_read_replica_count: int = 0
    cache_num_nodes: int = 2
    cache_snapshot_retention_days: int = 7
    log_retention_days: int = 365
    dr_region: str | None = None
    dynamodb_replica_regions: tuple[str, ...] = ()
    raw_to_glacier_ir_days: int = 30
    log_bucket_expiration_days: int = 365
    cors_allowed_origins: tuple[str, ...] = ()


@dataclass(frozen=True)
class MediaSettings:
    """Plain settings of streaming_platform.media.pipeline.MediaPipelineArgs, under the same field names."""

    backend: TranscodeBackend = TranscodeBackend.MEDIACONVERT
    ffmpeg_layer_arn: str | None = None
    upload_prefix: str = "uploads/"
    upload_suffixes: tuple[str, ...] = (".mp4", ".mov", ".mkv", ".webm")
    max_upload_bytes: int = 5120 * 1024 * 1024
    batch_size: int = 1
    maximum_concurrency: int = 10
    reserved_concurrency: int = 10
    function_timeout_seconds: int = 900
    function_memory_mb: int = 3008
    max_receive_count: int = 5
    dlq_depth_alarm_threshold: int = 1
    oldest_message_age_alarm_seconds: int = 3600


@dataclass(frozen=True)
class ObservabilitySettings:
    """Where alarms are mailed and when they fire (streaming_platform.observability.alarms)."""

    alarm_emails: tuple[str, ...] = ()
    thresholds: AlarmThresholds = DEFAULT_THRESHOLDS


@dataclass(frozen=True)
class EdgeSettings:
    """Plain settings of streaming_platform.edge.distribution.StreamingEdgeArgs, under the same field names."""

    price_class: PriceClass = PriceClass.P100
    segment_duration_seconds: int = 6
    manifest_ttl_seconds: int = 2
    segment_ttl_seconds: int = ONE_YEAR_SECONDS
    error_caching_seconds: int = 5
    origin_shield_region: str | None = None
    signed_urls_public_key_pem: str | None = None
    waf_rate_limit: int = 2000
    waf_anonymous_ip_list: bool = False
    waf_geo_block_countries: tuple[str, ...] = ()
    shield_advanced: bool = False
    origin_standby_dns_name: str | None = None
    origin_standby_zone_id: str | None = None


@dataclass(frozen=True)
class AppSettings:
    """Plain settings of streaming_platform.app.tier.AppTierArgs (the fleet sizes are in ComputeSettings)."""

    compute_mode: ComputeMode
    hosted_zone_id: str | None
    fleet_extra_instance_types: tuple[str, ...]
    fleet_on_demand_base: int
    fleet_on_demand_percentage_above_base: int
    service_images: Mapping[str, str]
    default_service_size: ServiceSize
    service_sizes: Mapping[str, ServiceSize]
    capacity: CapacityStrategy
    service_min_tasks: int
    service_max_tasks: int
    api_throttle_rate_limit: int
    api_throttle_burst_limit: int
    cognito_mfa: CognitoMfa
    callback_urls: tuple[str, ...]
    log_retention_days: int

    def tier_args(self, compute: ComputeSettings, *, advanced_security_enforced: bool) -> dict[str, Any]:
        """AppTierArgs' compute mode and per-part options, built from these settings and the fleet's sizes
        (the zone id goes to PublicZoneArgs, the log retention to AppTierArgs.logs)."""
        return {
            "compute_mode": self.compute_mode,
            "fleet": FleetOptions(
                **asdict(compute),
                fleet_extra_instance_types=self.fleet_extra_instance_types,
                fleet_on_demand_base=self.fleet_on_demand_base,
                fleet_on_demand_percentage_above_base=self.fleet_on_demand_percentage_above_base,
            ),
            "services": ServicesOptions(
                service_images=self.service_images,
                service_sizes=self.service_sizes,
                default_service_size=self.default_service_size,
                capacity=self.capacity,
                service_min_tasks=self.service_min_tasks,
                service_max_tasks=self.service_max_tasks,
            ),
            "private_api": PrivateApiOptions(
                api_throttle_rate_limit=self.api_throttle_rate_limit,
                api_throttle_burst_limit=self.api_throttle_burst_limit,
            ),
            "identity": IdentityOptions(
                cognito_mfa=self.cognito_mfa,
                callback_urls=self.callback_urls,
                advanced_security_enforced=advanced_security_enforced,
            ),
        }


@dataclass(frozen=True)
class Settings:
    stack: str
    region: str
    environment: Environment
    domain_name: str
    network: NetworkSettings
    compute: ComputeSettings
    data: DataSettings
    app: AppSettings
    media: MediaSettings = field(default_factory=MediaSettings)
    edge: EdgeSettings = field(default_factory=lambda: EdgeSettings())
    observability: ObservabilitySettings = field(default_factory=ObservabilitySettings)
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_prod(self) -> bool:
        return self.environment is Environment.PROD


class _Reader:
    """Typed reads of raw config strings that collect problems instead of stopping at the first."""

    def __init__(self, raw: Mapping[str, str]) -> None:
        self.raw = raw
        self.problems: list[str] = []
        self.bad: set[str] = set()

    def problem(self, key: str, got: Any, allowed: str) -> None:
        name = key if ":" in key else KEYS_BY_NAME[key].full_name
        self.problems.append(f"{name}: got {got!r}; allowed: {allowed}")
        self.bad.add(key)

    def value(self, name: str) -> Any:
        key = KEYS_BY_NAME[name]
        text = self.raw.get(key.full_name)
        if text is None:
            if key.required:
                self.problem(name, None, f"a {key.type} (required: {key.description})")
            return key.default if not key.required else None
        if key.type == "string":
            return text
        if key.type == "integer":
            try:
                return int(text)
            except ValueError:
                self.problem(name, text, "an integer")
                return None
        if key.type == "boolean":
            if text.lower() in ("true", "false"):
                return text.lower() == "true"
            self.problem(name, text, "true or false")
            return None
        import json

        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if not isinstance(parsed, list) or not all(isinstance(i, str) for i in parsed):
            self.problem(name, text, f"a list of {key.items}s")
            return None
        return parsed

    def integer(self, name: str, low: int, high: int) -> Any:
        """Read an integer key and check it lies in low..high."""
        value = self.value(name)
        self.check(name, value, lambda v: low <= v <= high, f"an integer from {low} to {high}")
        return value

    def log_retention_days(self, name: str) -> Any:
        """Read a retention key and check it is a period CloudWatch Logs accepts."""
        value = self.value(name)
        self.check(name, value, lambda v: v in LOG_RETENTION_DAYS, "one of " + ", ".join(map(str, LOG_RETENTION_DAYS)))
        return value

    def check(self, name: str, value: Any, ok: Callable[[Any], bool], allowed: str) -> None:
        if value is not None and name not in self.bad and not ok(value):
            self.problem(name, value, allowed)


def _is_instance_type(value: str, prefix: str = "") -> bool:
    return value.startswith(prefix) and bool(_INSTANCE_TYPE.match(value[len(prefix) :]))


def _is_domain_name(value: str) -> bool:
    labels = value.rstrip(".").split(".")
    return (
        len(value) <= 253
        and len(labels) >= 2
        and all(_DNS_LABEL.match(label) for label in labels)
        and labels[-1].isalpha()
        and len(labels[-1]) >= 2
    )


def _private_network(text: str) -> ipaddress.IPv4Network | None:
    try:
        net = ipaddress.IPv4Network(text, strict=True)
    except ValueError:
        return None
    return net if any(net.subnet_of(r) for r in _PRIVATE_RANGES) else None


def parse(raw: Mapping[str, str], *, stack: str, region_azs: Sequence[str]) -> Settings:
    """Validate raw config (``project:key`` -> string) into Settings, or raise ConfigError with every problem."""
    r = _Reader(raw)
    region = raw.get("aws:region")
    if not region:
        r.problem("aws:region", region, "an AWS region name, for example us-west-2")

    env_text = r.value("environment")
    environments = [e.value for e in Environment]
    r.check("environment", env_text, lambda v: v in environments, " | ".join(environments))
    environment = Environment(env_text) if env_text in environments else None

    az_count = r.integer("azCount", 2, 6)
    r.check(
        "azCount",
        az_count,
        lambda v: v <= len(region_azs),
        f"at most {len(region_azs)}, the AZs {region or 'the region'} offers ({', '.join(region_azs)})",
    )

    prefixes: dict[Tier, int] = {}
    for tier, name in (
        (Tier.PUBLIC, "publicSubnetPrefixLength"),
        (Tier.APP, "appSubnetPrefixLength"),
        (Tier.DATA, "dataSubnetPrefixLength"),
    ):
        length = r.value(name)
        r.check(
            name,
            length,
            lambda v: MIN_SUBNET_PREFIX <= v <= MAX_SUBNET_PREFIX,
            f"an integer from {MIN_SUBNET_PREFIX} to {MAX_SUBNET_PREFIX} (the subnet sizes AWS accepts)",
        )
        if name not in r.bad and length is not None:
            prefixes[tier] = length

    vpc_text = r.value("vpcCidr")
    vpc = _private_network(vpc_text) if vpc_text is not None else None
    if vpc_text is not None and vpc is None:
        r.problem(
            "vpcCidr",
            vpc_text,
            "an IPv4 network inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 with no host bits set",
        )
    elif vpc is not None:
        r.check("vpcCidr", vpc, lambda v: 16 <= v.prefixlen <= 24, "a prefix length from /16 to /24")
        if len(prefixes) == len(Tier) and "vpcCidr" not in r.bad and "azCount" not in r.bad and az_count:
            fits = max_azs(str(vpc), prefixes)
            if fits < az_count:
                block = az_block_prefix(prefixes)
                needed = block - (az_count - 1).bit_length()
                r.problem(
                    "vpcCidr",
                    vpc_text,
                    f"a network of /{needed} or larger: {az_count} AZs need {az_count} blocks of /{block} "
                    f"for the public /{prefixes[Tier.PUBLIC]}, app /{prefixes[Tier.APP]} and "
                    f"data /{prefixes[Tier.DATA]} subnets, and {vpc_text} holds {fits}",
                )

    peer_texts = r.value("peerCidrs") or []
    peers: list[ipaddress.IPv4Network] = []
    for text in peer_texts:
        try:
            peer = ipaddress.IPv4Network(text, strict=True)
        except ValueError:
            r.problem("peerCidrs", text, "IPv4 networks in CIDR notation with no host bits set")
            continue
        if vpc is not None and peer.overlaps(vpc):
            r.problem("peerCidrs", text, f"a network that does not overlap vpcCidr {vpc}")
        for other in peers:
            if peer.overlaps(other):
                r.problem("peerCidrs", text, f"a network that does not overlap the other peer {other}")
        peers.append(peer)

    nat_text = r.value("natGatewayStrategy")
    strategies = [s.value for s in NatGatewayStrategy]
    r.check("natGatewayStrategy", nat_text, lambda v: v in strategies, " | ".join(strategies))
    nat = NatGatewayStrategy(nat_text) if nat_text in strategies else None

    endpoints = r.value("interfaceEndpoints") or []
    for service in endpoints:
        if not _ENDPOINT_SERVICE.match(service) or service in ("s3", "dynamodb"):
            r.problem(
                "interfaceEndpoints",
                service,
                "short AWS service names such as ecr.api or logs (s3 and dynamodb are gateway endpoints)",
            )
    if len(set(endpoints)) != len(endpoints):
        r.problem("interfaceEndpoints", endpoints, "each service once")

    retention = r.log_retention_days("flowLogRetentionDays")

    instance_type = r.value("instanceType")
    r.check("instanceType", instance_type, _is_instance_type, "an EC2 instance type such as t3.large or m7g.2xlarge")
    cache_node_type = r.value("cacheNodeType")
    r.check(
        "cacheNodeType",
        cache_node_type,
        lambda v: _is_instance_type(v, "cache."),
        "an ElastiCache node type such as cache.t4g.small or cache.r7g.large",
    )
    db_class = r.value("dbInstanceClass")
    r.check(
        "dbInstanceClass",
        db_class,
        lambda v: _is_instance_type(v, "db."),
        "an RDS instance class such as db.t4g.medium or db.r7g.large",
    )

    data = _parse_data(r, region)
    media = _parse_media(r)
    edge = _parse_edge(r, region)
    observability = _parse_observability(r, data)

    asg_min, asg_desired, asg_max = r.value("asgMinSize"), r.value("asgDesiredCapacity"), r.value("asgMaxSize")
    r.check("asgMinSize", asg_min, lambda v: v >= 0, "an integer of 0 or more")
    r.check("asgMaxSize", asg_max, lambda v: 1 <= v <= 500, "an integer from 1 to 500")
    capacity_known = None not in (asg_min, asg_desired, asg_max) and not {"asgMinSize", "asgMaxSize"} & r.bad
    if capacity_known and not asg_min <= asg_desired <= asg_max:
        r.problem(
            "asgDesiredCapacity",
            asg_desired,
            f"asgMinSize <= asgDesiredCapacity <= asgMaxSize, here {asg_min} <= {asg_desired} <= {asg_max}",
        )

    app = _parse_app(r, environment, az_count, instance_type, asg_max)

    domain = r.value("domainName")
    r.check(
        "domainName",
        domain,
        _is_domain_name,
        "a fully qualified DNS name in lower case, such as video.example.com (labels of 1-63 letters, "
        "digits or inner hyphens)",
    )

    if environment is Environment.PROD:
        r.check("azCount", az_count, lambda v: v >= 3, "at least 3 when environment is prod")
        r.check(
            "natGatewayStrategy",
            nat_text,
            lambda v: v == NatGatewayStrategy.ONE_PER_AZ.value,
            "ONE_PER_AZ when environment is prod (one NAT gateway per AZ)",
        )
        if az_count is not None and "azCount" not in r.bad:
            r.check(
                "asgMinSize",
                asg_min,
                lambda v: v >= az_count,
                f"at least {az_count} (one instance per AZ) when environment is prod",
            )
            r.check(
                "cacheNumNodes",
                data.get("cache_num_nodes"),
                lambda v: v >= az_count,
                f"at least {az_count} (one node per AZ) when environment is prod",
            )
        r.check("dbMultiAz", data.get("db_multi_az"), lambda v: v is True, "true when environment is prod")
        r.check(
            "dbBackupRetentionDays",
            data.get("db_backup_retention_days"),
            lambda v: v >= 7,
            "at least 7 when environment is prod",
        )
        r.check(
            "cacheSnapshotRetentionDays",
            data.get("cache_snapshot_retention_days"),
            lambda v: v >= 1,
            "at least 1 when environment is prod",
        )
        if "drRegion" not in r.bad and not data.get("dr_region"):
            r.problem("drRegion", data.get("dr_region") or "", "a region for S3 replication when environment is prod")

    if r.problems:
        raise ConfigError(stack, r.problems)

    assert environment is not None and nat is not None and region is not None and app is not None
    return Settings(
        stack=stack,
        region=region,
        environment=environment,
        domain_name=domain.rstrip("."),
        network=NetworkSettings(
            availability_zones=tuple(region_azs[:az_count]),
            vpc_cidr=vpc_text,
            subnet_prefix_lengths=prefixes,
            nat_gateway_strategy=nat,
            interface_endpoints=tuple(endpoints),
            flow_log_retention_days=retention,
            peer_cidrs=tuple(peer_texts),
        ),
        compute=ComputeSettings(instance_type, asg_min, asg_desired, asg_max),
        data=DataSettings(cache_node_type, db_class, **data),
        app=app,
        media=MediaSettings(**media),
        edge=EdgeSettings(**edge),
        observability=observability,
        tags={"Project": PROJECT, "Environment": environment.value, "Stack": stack},
    )


def _parse_data(r: _Reader, region: str | None) -> dict[str, Any]:
    """Read and check the data tier's keys; returns DataSettings fields (invalid ones are reported in r)."""
    major = r.value("dbEngineMajorVersion")
    r.check(
        "dbEngineMajorVersion",
        major,
        lambda v: v in POSTGRES_MAJOR_VERSIONS,
        "a PostgreSQL major version without minor or patch: " + " | ".join(POSTGRES_MAJOR_VERSIONS),
    )
    storage, max_storage = r.value("dbAllocatedStorageGb"), r.value("dbMaxAllocatedStorageGb")
    r.check("dbAllocatedStorageGb", storage, lambda v: 20 <= v <= 65536, "an integer from 20 to 65536")
    r.check("dbMaxAllocatedStorageGb", max_storage, lambda v: v <= 65536, "an integer of at most 65536")
    if storage is not None and "dbAllocatedStorageGb" not in r.bad:
        r.check(
            "dbMaxAllocatedStorageGb",
            max_storage,
            lambda v: v >= storage,
            f"at least dbAllocatedStorageGb ({storage})",
        )
    backups = r.integer("dbBackupRetentionDays", 1, 35)
    replicas = r.integer("dbReadReplicaCount", 0, 5)
    nodes = r.value("cacheNumNodes")
    r.check("cacheNumNodes", nodes, lambda v: 2 <= v <= 6, "an integer from 2 to 6 (automatic failover needs 2)")
    snapshots = r.integer("cacheSnapshotRetentionDays", 0, 35)
    log_days = r.log_retention_days("dataLogRetentionDays")
    dr_region = r.value("drRegion")
    r.check(
        "drRegion",
        dr_region,
        lambda v: v == "" or bool(_REGION.match(v)),
        "an AWS region name such as us-east-2, or empty for no replication",
    )
    r.check("drRegion", dr_region, lambda v: v != region, f"a region other than aws:region ({region})")
    replica_regions = r.value("dynamodbReplicaRegions") or []
    for replica in replica_regions:
        if not _REGION.match(replica) or replica == region:
            r.problem(
                "dynamodbReplicaRegions",
                replica,
                f"AWS region names such as us-east-2, other than aws:region ({region})",
            )
    if len(set(replica_regions)) != len(replica_regions):
        r.problem("dynamodbReplicaRegions", replica_regions, "each region once")
    glacier = r.integer("rawToGlacierIrDays", 1, 3650)
    log_expiry = r.integer("logBucketExpirationDays", 1, 3650)
    origins = r.value("corsAllowedOrigins") or []
    for origin in origins:
        if not _ORIGIN.match(origin):
            r.problem(
                "corsAllowedOrigins",
                origin,
                "origins such as https://video.example.com or http://localhost:3000 (no path, no wildcard)",
            )
    return {
        "db_engine_major_version": major,
        "db_multi_az": r.value("dbMultiAz"),
        "db_allocated_storage_gb": storage,
        "db_max_allocated_storage_gb": max_storage,
        "db_backup_retention_days": backups,
        "db_read_replica_count": replicas,
        "cache_num_nodes": nodes,
        "cache_snapshot_retention_days": snapshots,
        "log_retention_days": log_days,
        "dr_region": dr_region or None,
        "dynamodb_replica_regions": tuple(replica_regions),
        "raw_to_glacier_ir_days": glacier,
        "log_bucket_expiration_days": log_expiry,
        "cors_allowed_origins": tuple(origins),
    }


def _parse_media(r: _Reader) -> dict[str, Any]:
    """Read and check the media pipeline's keys; returns MediaSettings fields (invalid ones are reported in r)."""
    backends = [b.value for b in TranscodeBackend]
    backend_text = r.value("transcodeBackend")
    r.check("transcodeBackend", backend_text, lambda v: v in backends, " | ".join(backends))
    backend = TranscodeBackend(backend_text) if backend_text in backends else TranscodeBackend.MEDIACONVERT
    layer = r.value("ffmpegLayerArn")
    r.check(
        "ffmpegLayerArn",
        layer,
        lambda v: v == "" or bool(LAYER_ARN.match(v)),
        "a Lambda layer version ARN such as arn:aws:lambda:us-east-2:111122223333:layer:ffmpeg:1, or empty",
    )
    if backend is TranscodeBackend.FFMPEG and "ffmpegLayerArn" not in r.bad and not layer:
        r.problem("ffmpegLayerArn", layer, "a Lambda layer version ARN with bin/ffmpeg when transcodeBackend is ffmpeg")
    prefix = r.value("uploadPrefix")
    r.check(
        "uploadPrefix",
        prefix,
        lambda v: v.endswith("/") and not v.startswith("/") and len(v) <= 1024,
        "a key prefix ending in '/' and not starting with '/', such as uploads/",
    )
    suffixes = r.value("uploadSuffixes")
    r.check(
        "uploadSuffixes",
        suffixes,
        lambda v: bool(v) and len(set(v)) == len(v) and all(re.fullmatch(r"\.[A-Za-z0-9]{1,10}", s) for s in v),
        "one or more distinct suffixes such as .mp4 (a dot, then 1-10 letters or digits)",
    )
    size_mb = r.integer("maxUploadSizeMb", 1, 102400)
    if backend is TranscodeBackend.FFMPEG:
        r.check(
            "maxUploadSizeMb",
            size_mb,
            lambda v: v <= 3072,
            "at most 3072 when transcodeBackend is ffmpeg (source plus renditions must fit in 10 GB of /tmp); "
            "use mediaconvert for larger uploads",
        )
    batch = r.integer("transcodeBatchSize", 1, 10)
    concurrency = r.integer("transcodeMaxConcurrency", 2, 1000)
    reserved = r.integer("transcodeReservedConcurrency", 1, 1000)
    if concurrency is not None and "transcodeMaxConcurrency" not in r.bad:
        r.check(
            "transcodeReservedConcurrency",
            reserved,
            lambda v: v >= concurrency,
            f"at least transcodeMaxConcurrency ({concurrency})",
        )
    timeout = r.integer("transcodeTimeoutSeconds", 60, 900)
    memory = r.integer("transcodeMemoryMb", 128, 10240)
    receives = r.integer("transcodeMaxReceiveCount", 1, 100)
    dlq_depth = r.value("dlqDepthAlarmThreshold")
    r.check("dlqDepthAlarmThreshold", dlq_depth, lambda v: v >= 1, "an integer of 1 or more")
    age = r.integer("oldestUploadAgeAlarmSeconds", 60, 345600)
    return {
        "backend": backend,
        "ffmpeg_layer_arn": layer or None,
        "upload_prefix": prefix,
        "upload_suffixes": tuple(suffixes or ()),
        "max_upload_bytes": (size_mb or 0) * 1024 * 1024,
        "batch_size": batch,
        "maximum_concurrency": concurrency,
        "reserved_concurrency": reserved,
        "function_timeout_seconds": timeout,
        "function_memory_mb": memory,
        "max_receive_count": receives,
        "dlq_depth_alarm_threshold": dlq_depth,
        "oldest_message_age_alarm_seconds": age,
    }


def _parse_observability(r: _Reader, data: Mapping[str, Any]) -> ObservabilitySettings:
    """Read and check the alarm emails and thresholds (invalid ones are reported in r)."""
    emails = r.value("alarmEmails") or []
    for email in emails:
        if not EMAIL.match(email):
            r.problem("alarmEmails", email, "email addresses such as oncall@example.com")
    if len({e.lower() for e in emails}) != len(emails):
        r.problem("alarmEmails", emails, "each address once")
    values: dict[str, Any] = {}
    for key, attr, low, high, _ in ALARM_THRESHOLD_KEYS:
        values[attr] = r.value(key)

        def in_range(v: int, lo: int = low, hi: int = high) -> bool:
            return lo <= v <= hi

        r.check(key, values[attr], in_range, f"an integer from {low} to {high}")
    for key, target in (("ecsCpuAlarmPercent", CPU_TARGET_PERCENT), ("ecsMemoryAlarmPercent", MEMORY_TARGET_PERCENT)):

        def above(v: int, t: float = target) -> bool:
            return v > t

        r.check(
            key,
            r.value(key),
            above,
            f"above the {target:g} % the services scale on (at or below it the alarm fires while scaling works)",
        )
    storage = data.get("db_allocated_storage_gb")
    if storage is not None and "dbAllocatedStorageGb" not in r.bad:
        r.check(
            "dbFreeStorageAlarmGb",
            values["db_free_storage_gb"],
            lambda v: v < storage,
            f"less than dbAllocatedStorageGb ({storage}), or a new database is in alarm from the start",
        )
    return ObservabilitySettings(alarm_emails=tuple(emails), thresholds=AlarmThresholds(**values))


def _parse_edge(r: _Reader, region: str | None) -> dict[str, Any]:
    """Read and check the edge's keys; returns EdgeSettings fields (invalid ones are reported in r)."""
    classes = [c.value for c in PriceClass]
    price = r.value("edgePriceClass")
    r.check("edgePriceClass", price, lambda v: v in classes, " | ".join(classes))
    segment = r.integer("edgeSegmentDurationSeconds", 1, 60)
    manifest = r.value("edgeManifestTtlSeconds")
    r.check("edgeManifestTtlSeconds", manifest, lambda v: v >= 1, "an integer of 1 or more")
    if segment is not None and "edgeSegmentDurationSeconds" not in r.bad:
        r.check(
            "edgeManifestTtlSeconds",
            manifest,
            lambda v: v <= segment / 2,
            f"at most half of edgeSegmentDurationSeconds ({segment} -> {segment / 2:g})",
        )
    segment_ttl = r.value("edgeSegmentTtlSeconds")
    r.check(
        "edgeSegmentTtlSeconds",
        segment_ttl,
        lambda v: ONE_DAY_SECONDS <= v <= ONE_YEAR_SECONDS,
        f"an integer from {ONE_DAY_SECONDS} (1 day) to {ONE_YEAR_SECONDS} (1 year)",
    )
    errors = r.integer("edgeErrorCachingSeconds", 0, 60)
    shield_region = r.value("edgeOriginShieldRegion")
    r.check(
        "edgeOriginShieldRegion",
        shield_region,
        lambda v: v == "" or bool(_REGION.match(v)),
        "an AWS region name such as us-west-2, or empty for no Origin Shield",
    )
    pem = r.value("edgeSignedUrlPublicKey")
    r.check(
        "edgeSignedUrlPublicKey",
        pem,
        lambda v: v == "" or bool(_PUBLIC_KEY_PEM.match(v.strip())),
        "a PEM public key (-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----), or empty",
    )
    rate = r.value("edgeWafRateLimit")
    r.check("edgeWafRateLimit", rate, lambda v: 10 <= v <= 2_000_000_000, "an integer from 10 to 2000000000")
    anonymous = r.value("edgeWafAnonymousIpList")
    countries = r.value("edgeWafGeoBlockCountries") or []
    for country in countries:
        if not re.fullmatch(r"[A-Z]{2}", country):
            r.problem("edgeWafGeoBlockCountries", country, "ISO 3166-1 alpha-2 country codes such as KP (upper case)")
    if len(set(countries)) != len(countries):
        r.problem("edgeWafGeoBlockCountries", countries, "each country once")
    try:  # the rule groups offered today fit the budget; this keeps a future option honest
        web_acl_rules("check", rate or 2000, bool(anonymous), countries)
    except ValueError as e:  # pragma: no cover
        r.problem("edgeWafAnonymousIpList", anonymous, f"rule groups within {WCU_BUDGET} WCU ({e})")
    shield = r.value("edgeShieldAdvanced")
    standby, standby_zone = r.value("edgeOriginStandbyDnsName"), r.value("edgeOriginStandbyZoneId")
    r.check(
        "edgeOriginStandbyDnsName",
        standby,
        lambda v: v == "" or _is_domain_name(v.lower()),
        "a DNS name such as dr-alb-123.us-east-2.elb.amazonaws.com, or empty",
    )
    r.check(
        "edgeOriginStandbyZoneId",
        standby_zone,
        lambda v: v == "" or bool(_HOSTED_ZONE_ID.match(v)),
        "a Route 53 hosted zone id such as Z3AADJGX6KTTL2, or empty",
    )
    if standby is not None and standby_zone is not None and bool(standby) != bool(standby_zone):
        r.problem(
            "edgeOriginStandbyZoneId",
            standby_zone,
            f"set together with edgeOriginStandbyDnsName (got {standby!r}): both or neither",
        )
    return {
        "price_class": PriceClass(price) if price in classes else PriceClass.P100,
        "segment_duration_seconds": segment,
        "manifest_ttl_seconds": manifest,
        "segment_ttl_seconds": segment_ttl,
        "error_caching_seconds": errors,
        "origin_shield_region": shield_region or None,
        "signed_urls_public_key_pem": pem.strip() if pem else None,
        "waf_rate_limit": rate,
        "waf_anonymous_ip_list": anonymous,
        "waf_geo_block_countries": tuple(countries),
        "shield_advanced": shield,
        "origin_standby_dns_name": standby or None,
        "origin_standby_zone_id": standby_zone or None,
    }


def _key_values(r: _Reader, name: str, entries: list[str], value_help: str) -> dict[str, str]:
    """SERVICE=VALUE entries of an array key, each service known and at most once (bad entries are reported)."""
    out: dict[str, str] = {}
    for entry in entries:
        service, sep, value = entry.partition("=")
        if not sep or service not in SERVICE_NAMES or not value:
            r.problem(name, entry, f"SERVICE={value_help} with SERVICE one of {', '.join(SERVICE_NAMES)}")
        elif service in out:
            r.problem(name, entry, f"each service once ({service} is given twice)")
        else:
            out[service] = value
    return out


def _fargate_sizes_text(cpu: int) -> str:
    options = fargate_memory_options(cpu)
    if len(options) <= 3:
        return ", ".join(map(str, options))
    return f"{options[0]} to {options[-1]} in steps of {options[1] - options[0]}"


def _parse_app(
    r: _Reader, environment: Environment | None, az_count: int | None, instance_type: str | None, asg_max: int | None
) -> AppSettings | None:
    """Read and check the application tier's keys; None when any of them is invalid (reported in r)."""
    before = len(r.problems)
    prod = environment is Environment.PROD
    modes = [m.value for m in ComputeMode]
    mode_text = r.value("computeMode")
    r.check("computeMode", mode_text, lambda v: v in modes, " | ".join(modes))

    zone_id = r.value("hostedZoneId")
    r.check(
        "hostedZoneId",
        zone_id,
        lambda v: v == "" or bool(_HOSTED_ZONE_ID.match(v)),
        "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ, or empty to create the zone",
    )

    extra_types = r.value("asgExtraInstanceTypes") or []
    known_type = instance_type is not None and _is_instance_type(instance_type)
    for t in extra_types:
        if not _is_instance_type(t):
            r.problem("asgExtraInstanceTypes", t, "EC2 instance types such as t3a.large or m6i.large")
        elif known_type and t == instance_type:
            r.problem("asgExtraInstanceTypes", t, f"types other than instanceType ({instance_type})")
        elif known_type and is_arm_instance_type(t) != is_arm_instance_type(str(instance_type)):
            arch = "arm64" if is_arm_instance_type(str(instance_type)) else "x86_64"
            r.problem("asgExtraInstanceTypes", t, f"{arch} types, the architecture of instanceType ({instance_type})")
    if len(set(extra_types)) != len(extra_types):
        r.problem("asgExtraInstanceTypes", extra_types, "each instance type once")
    if mode_text == ComputeMode.ECS_AND_EC2_FLEET.value and "asgExtraInstanceTypes" not in r.bad and not extra_types:
        r.problem("asgExtraInstanceTypes", extra_types, "at least one type when computeMode is ECS_AND_EC2_FLEET")

    od_base = r.value("asgOnDemandBaseCapacity")
    r.check("asgOnDemandBaseCapacity", od_base, lambda v: v >= 0, "an integer of 0 or more")
    if asg_max is not None:
        r.check("asgOnDemandBaseCapacity", od_base, lambda v: v <= asg_max, f"at most asgMaxSize ({asg_max})")
    if prod:
        r.check("asgOnDemandBaseCapacity", od_base, lambda v: v >= 1, "at least 1 when environment is prod")
    od_pct = r.integer("asgOnDemandPercentageAboveBase", 0, 100)

    image_entries = r.value("ecsServiceImages")
    images = _key_values(r, "ecsServiceImages", image_entries or [], "IMAGE")
    for service, image in images.items():
        if not _IMAGE.match(image):
            r.problem(
                "ecsServiceImages",
                f"{service}={image}",
                "an image reference pinned by a tag other than latest or by @sha256:<digest>, such as "
                "ghcr.io/acme/api:1.4.2",
            )
    missing = [s for s in SERVICE_NAMES if s not in images]
    if image_entries is not None and "ecsServiceImages" not in r.bad and missing:
        r.problem("ecsServiceImages", image_entries, f"an entry for every service; missing: {', '.join(missing)}")

    cpu, memory = r.value("ecsTaskCpu"), r.value("ecsTaskMemory")
    cpus = ", ".join(map(str, FARGATE_SIZES))
    r.check("ecsTaskCpu", cpu, lambda v: v in FARGATE_SIZES, f"one of {cpus}")
    if "ecsTaskCpu" not in r.bad and cpu is not None:
        r.check(
            "ecsTaskMemory",
            memory,
            lambda v: v in fargate_memory_options(cpu),
            f"a memory size Fargate offers for {cpu} CPU units: {_fargate_sizes_text(cpu)}",
        )
    sizes: dict[str, ServiceSize] = {}
    for service, text in _key_values(r, "ecsServiceSizes", r.value("ecsServiceSizes") or [], "CPU/MEMORY").items():
        c, _, m = text.partition("/")
        if not (c.isdigit() and m.isdigit() and int(m) in fargate_memory_options(int(c))):
            r.problem(
                "ecsServiceSizes",
                f"{service}={text}",
                f"CPU/MEMORY of a Fargate size, CPU one of {cpus} (for example 512/1024)",
            )
        else:
            sizes[service] = ServiceSize(int(c), int(m))

    base, weight, spot = r.value("ecsFargateBase"), r.value("ecsFargateWeight"), r.value("ecsFargateSpotWeight")
    r.check("ecsFargateBase", base, lambda v: 0 <= v <= 100, "an integer from 0 to 100")
    r.check("ecsFargateWeight", weight, lambda v: 0 <= v <= 1000, "an integer from 0 to 1000")
    r.check("ecsFargateSpotWeight", spot, lambda v: 0 <= v <= 1000, "an integer from 0 to 1000")
    weights_ok = weight is not None and spot is not None and not {"ecsFargateWeight", "ecsFargateSpotWeight"} & r.bad
    if weights_ok and weight + spot == 0:
        r.problem("ecsFargateSpotWeight", spot, "above 0 when ecsFargateWeight is 0 (no capacity provider has weight)")
    if prod:
        r.check("ecsFargateBase", base, lambda v: v >= 1, "at least 1 when environment is prod")

    min_tasks, max_tasks = r.value("ecsMinTasks"), r.value("ecsMaxTasks")
    r.check("ecsMinTasks", min_tasks, lambda v: 1 <= v <= 100, "an integer from 1 to 100")
    if min_tasks is not None and "ecsMinTasks" not in r.bad:
        r.check(
            "ecsMaxTasks",
            max_tasks,
            lambda v: min_tasks <= v <= 100,
            f"an integer from ecsMinTasks ({min_tasks}) to 100",
        )
    if prod and az_count is not None and "azCount" not in r.bad:
        r.check(
            "ecsMinTasks",
            min_tasks,
            lambda v: v >= az_count,
            f"at least {az_count} (one task per AZ) when environment is prod",
        )

    rate, burst = r.value("apiThrottleRateLimit"), r.value("apiThrottleBurstLimit")
    r.check("apiThrottleRateLimit", rate, lambda v: 1 <= v <= 10000, "an integer from 1 to 10000")
    r.check("apiThrottleBurstLimit", burst, lambda v: 1 <= v <= 5000, "an integer from 1 to 5000")

    mfa_values = [m.value for m in CognitoMfa]
    mfa = r.value("cognitoMfa")
    r.check("cognitoMfa", mfa, lambda v: v in mfa_values, " | ".join(mfa_values))
    if prod:
        r.check("cognitoMfa", mfa, lambda v: v != CognitoMfa.OFF.value, "OPTIONAL or ON when environment is prod")
    callbacks = r.value("cognitoCallbackUrls") or []
    for url in callbacks:
        if not _CALLBACK_URL.match(url):
            r.problem(
                "cognitoCallbackUrls",
                url,
                "URLs such as https://video.example.com/auth/callback or http://localhost:3000/callback "
                "(no query, no fragment)",
            )
    log_days = r.log_retention_days("appLogRetentionDays")
    if len(r.problems) != before:
        return None
    return AppSettings(
        compute_mode=ComputeMode(mode_text),
        hosted_zone_id=zone_id or None,
        fleet_extra_instance_types=tuple(extra_types),
        fleet_on_demand_base=od_base,
        fleet_on_demand_percentage_above_base=od_pct,
        service_images=images,
        default_service_size=ServiceSize(cpu, memory),
        service_sizes=sizes,
        capacity=CapacityStrategy(base, weight, spot),
        service_min_tasks=min_tasks,
        service_max_tasks=max_tasks,
        api_throttle_rate_limit=rate,
        api_throttle_burst_limit=burst,
        cognito_mfa=CognitoMfa(mfa),
        callback_urls=tuple(callbacks),
        log_retention_days=log_days,
    )


def load() -> Settings:
    """Read this stack's config through the SDK and validate it; the only place the program reads config."""
    import pulumi_aws as aws

    project_config = pulumi.Config(PROJECT)
    raw = {k.full_name: v for k in KEYS if (v := project_config.get(k.name)) is not None}
    region = pulumi.Config("aws").get("region")
    if region:
        raw["aws:region"] = region
    zones = (
        aws.get_availability_zones(
            state="available", filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
        ).names
        if region
        else []
    )
    return parse(raw, stack=pulumi.get_stack(), region_azs=list(zones))
