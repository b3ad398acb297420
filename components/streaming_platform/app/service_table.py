"""The service table: one keyword-built record per ECS service, carrying everything that differs between
services (where it is reached, who calls it, what it reads and may touch). ``Services`` builds from it and
``AppTier`` derives the ALB and API routes from it; neither branches on a service's name."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from streaming_platform.app.common import DataResource, Grant, GrantScope

FRONTEND, API, VIDEO, USER, COMMENT, NOTIFICATION = "frontend", "api", "video", "user", "comment", "notification"
SESSION_SIGNING_KEY = "SESSION_SIGNING_KEY"

_READ_WRITE = (
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchGetItem",
)
_READ_ONLY = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem")
_VIDEOS_RW = Grant(
    sid="VideoCatalogue", actions=_READ_WRITE, resource=DataResource.VIDEO_TABLE, scope=GrantScope.TABLE_AND_INDEXES
)
_SESSIONS_RW = Grant(
    sid="Sessions", actions=_READ_WRITE, resource=DataResource.SESSION_TABLE, scope=GrantScope.TABLE_AND_INDEXES
)
# Both tables are encrypted with the data key, and DynamoDB uses it with the caller's permissions: every service
# with a table grant needs these ("How Amazon DynamoDB uses AWS KMS", authorizing use of a customer managed key).
_TABLE_KEY = Grant(
    sid="TableKeyThroughDynamoDB",
    actions=("kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
    resource=DataResource.DATA_KEY,
    scope=GrantScope.KEY_THROUGH_DYNAMODB,
)
# Redis and PostgreSQL authenticate with IAM: elasticache:Connect on the replication group and the user
# (ElastiCache User Guide, "Authenticating with IAM"), rds-db:connect on the database user (RDS User Guide,
# "Creating and using an IAM policy for IAM database access"). Every service that joins the data tier connects.
_DATA_STORES = (
    Grant(
        sid="RedisReplicationGroup",
        actions="elasticache:Connect",
        resource=DataResource.REDIS_GROUP,
        scope=GrantScope.RESOURCE,
    ),
    Grant(sid="RedisUser", actions="elasticache:Connect", resource=DataResource.REDIS_USER, scope=GrantScope.RESOURCE),
    Grant(sid="DatabaseUser", actions="rds-db:connect", resource=DataResource.DB_USER, scope=GrantScope.RESOURCE),
)


class Placement(StrEnum):
    """Which capacity a service's tasks run on."""

    STREAMING_FLEET = "STREAMING_FLEET"
    """The EC2 fleet's capacity provider when the tier runs one (``ComputeMode.ECS_AND_EC2_FLEET``): the
    viewer-facing services behind the ALB. Without a fleet (``ECS_ONLY``) they run like ``FARGATE``."""
    FARGATE = "FARGATE"
    """FARGATE and FARGATE_SPOT, split by the tier's ``CapacityStrategy``."""


@dataclass(frozen=True, kw_only=True)
class ApiRoute:
    """Where the REST API reaches a service: the internal NLB's ``nlb_port``, under ``path_part``."""

    nlb_port: int
    """The internal NLB's listener port for this service (unique per service)."""
    path_part: str | None = None
    """The API resource (``videos`` serves /videos and /videos/{proxy+}). Default: None, the API's root proxy
    (/{proxy+})."""


@dataclass(frozen=True, kw_only=True)
class Service:
    """One ECS service and everything that differs between services."""

    name: str
    """The service's name: ECS service name, Service Connect DNS name and the prefix of its children's names."""
    alb_paths: tuple[str, ...] = ()
    """Path patterns the public ALB forwards here (with the origin header). Default: (), not behind the ALB."""
    api: ApiRoute | None = None
    """Default: None, not behind API Gateway (no NLB listener, no API resource)."""
    callers: tuple[str, ...] = ()
    """Services that call this one through Service Connect; only their security groups are admitted.
    Default: none."""
    uses_data_tier: bool = False
    """Joins the data tier's client group and gets ``DataAccess.environment``. Default: off."""
    secrets: tuple[str, ...] = ()
    """Container environment names filled from the session-signing secret. Default: none (the execution role
    gets no Secrets Manager grant)."""
    grants: tuple[Grant, ...] = ()
    """The task role's statements on the data tier. Default: none (the task role has no inline policy)."""
    placement: Placement = Placement.FARGATE
    """Default: FARGATE (FARGATE and FARGATE_SPOT); STREAMING_FLEET runs the tasks on the EC2 fleet when there
    is one."""


_READ_RENDITIONS = Grant(
    sid="ReadRenditions",
    actions="s3:GetObject",
    resource=DataResource.RENDITIONS_BUCKET,
    scope=GrantScope.OBJECTS,
)

SERVICES: tuple[Service, ...] = (
    # The frontend serves every path the API does not, /stream/* and /watch/* included (the EC2 fleet's paths
    # before 0.3): it reads renditions and decrypts them only through S3, as the fleet's instance role did.
    Service(
        name=FRONTEND,
        alb_paths=("/*",),
        grants=(
            _READ_RENDITIONS,
            Grant(
                sid="DecryptRenditionsThroughS3",
                actions="kms:Decrypt",
                resource=DataResource.MEDIA_KEY,
                scope=GrantScope.KEY_THROUGH_S3,
            ),
        ),
        placement=Placement.STREAMING_FLEET,
    ),
    Service(
        # Reached only through the REST API (Cognito authorizer, stage throttling): CloudFront routes /api/* there,
        # not to the ALB.
        name=API,
        api=ApiRoute(nlb_port=8080),
        uses_data_tier=True,
        secrets=(SESSION_SIGNING_KEY,),
        grants=(_VIDEOS_RW, _SESSIONS_RW, _TABLE_KEY, *_DATA_STORES),
    ),
    Service(
        name=VIDEO,
        api=ApiRoute(nlb_port=8081, path_part="videos"),
        callers=(API,),
        uses_data_tier=True,
        grants=(
            _VIDEOS_RW,
            Grant(
                sid="PresignUploads",
                actions="s3:PutObject",
                resource=DataResource.UPLOADS_BUCKET,
                scope=GrantScope.OBJECTS,
            ),
            _READ_RENDITIONS,
            Grant(
                sid="MediaKeyThroughS3",
                actions=("kms:GenerateDataKey", "kms:Decrypt"),
                resource=DataResource.MEDIA_KEY,
                scope=GrantScope.KEY_THROUGH_S3,
            ),
            _TABLE_KEY,
            *_DATA_STORES,
        ),
    ),
    Service(
        name=USER,
        api=ApiRoute(nlb_port=8082, path_part="users"),
        callers=(API,),
        uses_data_tier=True,
        secrets=(SESSION_SIGNING_KEY,),
        grants=(_SESSIONS_RW, _TABLE_KEY, *_DATA_STORES),
    ),
    Service(
        name=COMMENT,
        api=ApiRoute(nlb_port=8083, path_part="comments"),
        callers=(API,),
        uses_data_tier=True,
        grants=(
            Grant(
                sid="VideoCatalogueRead",
                actions=_READ_ONLY,
                resource=DataResource.VIDEO_TABLE,
                scope=GrantScope.TABLE_AND_INDEXES,
            ),
            _TABLE_KEY,
            *_DATA_STORES,
        ),
    ),
    Service(name=NOTIFICATION, callers=(API, VIDEO, USER, COMMENT), uses_data_tier=True, grants=_DATA_STORES),
)
SERVICE_NAMES: tuple[str, ...] = tuple(s.name for s in SERVICES)
"""Service names, in registration order. Config keys that size or image the services use these names."""


def api_routes_digest(services: Sequence[Service] = SERVICES) -> str:
    """The REST API deployment's trigger: changes whenever a service's API route does. Hashes the same
    ``[name, path, port]`` triples as 0.1 did ("" = the root proxy, null = not routed), so existing stacks keep
    their deployment."""
    triples = [
        (s.name, None if s.api is None else (s.api.path_part or ""), None if s.api is None else s.api.nlb_port)
        for s in services
    ]
    return hashlib.sha256(json.dumps(triples).encode()).hexdigest()
