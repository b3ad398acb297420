"""Cache: ElastiCache Redis (cluster mode disabled) with IAM authentication, one node per AZ.

Clients reach it only from the tier's client security group, over TLS, as an ElastiCache user that
authenticates with IAM (``elasticache:Connect``); no AUTH token or password exists.

The AZ spread holds at creation only. ``preferred_cache_cluster_azs`` places the nodes when the group is
created, and the provider ignores it afterwards: the pulumi-aws ``elasticache.ReplicationGroup`` reference (and
terraform-provider-aws ``website/docs/r/elasticache_replication_group.html.markdown``) say of it "Ignored when
updating". Adding an AZ or a node later leaves ElastiCache to choose the new node's AZ, and a failover moves the
primary; re-spread a grown group by hand (ModifyReplicationGroup / IncreaseReplicaCount with
``ReplicaConfiguration.PreferredAvailabilityZones``, ElastiCache API Reference) or replace it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent, reject_invalid
from streaming_platform.data.common import REDIS_PORT, client_security_group, final_snapshot_name

REDIS_ENGINE_VERSION, REDIS_PARAMETER_FAMILY = "7.1", "redis7"
# UTC; maintenance starts after the snapshot window ends.
CACHE_SNAPSHOT_WINDOW, CACHE_MAINTENANCE_WINDOW = "05:00-06:00", "sun:06:30-sun:07:30"


@dataclass(frozen=True)
class CacheOptions:
    """Size and snapshots of the Redis group."""

    cache_node_type: str = "cache.t4g.small"
    """Default: cache.t4g.small; a burstable Graviton node, enough for sessions and hot metadata of a small site."""
    cache_num_nodes: int = 2
    """Redis nodes (one primary, the rest replicas), spread round-robin over the AZs at creation. Default: 2, the
    least automatic failover accepts; fewer nodes than AZs leaves an AZ without a node."""
    cache_snapshot_retention_days: int = 7
    """Daily snapshots kept. Default: 7; 0 turns snapshots off (and leaves no restore point)."""


@dataclass
class CacheArgs:
    """Inputs of Cache: where it runs, its keys, and its options."""

    vpc_id: pulumi.Input[str]
    """VPC of the group's security group."""
    data_subnet_ids: Sequence[pulumi.Input[str]]
    """Private-data subnets, one per AZ in the order of ``availability_zones``; the subnet group spans them all."""
    availability_zones: Sequence[str]
    """AZ names in subnet order; node *i* is placed in AZ *i mod n* at creation."""
    client_security_group_id: pulumi.Input[str]
    """The tier's client group: the only source Redis admits, and the group given the matching egress rule."""
    data_key_arn: pulumi.Input[str]
    """KMS key of the data at rest and of the snapshots."""
    logs_key_arn: pulumi.Input[str]
    """KMS key of the slow-log group."""
    log_retention_days: int = 365
    """Retention of the slow log. Default: one year."""
    options: CacheOptions = field(default_factory=CacheOptions)
    """Default: ``CacheOptions()``, two cache.t4g.small nodes keeping a week of snapshots."""
    resource_prefix: str = "streaming"
    """Prefix of the ElastiCache user and user-group ids (account-wide names). Default: ``streaming``."""
    protect: bool = False
    """Protect and retain the group and its log group, and take a final snapshot on delete. Default: off."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every child, with ``Name`` added. Default: none."""


def validate_cache_args(args: CacheArgs) -> list[str]:
    problems = []
    azs = list(args.availability_zones)
    if len(azs) < 2 or len(azs) != len(args.data_subnet_ids):
        problems.append(
            f"CacheArgs.availability_zones: got {azs} for {len(args.data_subnet_ids)} data subnets; "
            "allowed: at least 2 AZs, one data subnet per AZ"
        )
    if args.options.cache_num_nodes < 2:
        problems.append(f"CacheOptions.cache_num_nodes: got {args.options.cache_num_nodes}; allowed: at least 2")
    return problems


class Cache(StreamingComponent):
    """The Redis replication group, its users, parameters, subnets, security group and slow log."""

    security_group_id: pulumi.Output[str]
    primary_endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    user_group_id: pulumi.Output[str]
    iam_user_id: str
    """The user applications connect as (IAM authentication needs user id == user name)."""
    replication_group_id: pulumi.Output[str]
    replication_group_arn: pulumi.Output[str]
    iam_user_arn: pulumi.Output[str]
    """The IAM-authenticated user; ``elasticache:Connect`` needs it and the replication group."""
    member_cluster_ids: list[pulumi.Output[str]]
    """Node ids (``<group>-001`` ...), the ElastiCache metrics' CacheClusterId."""

    def __init__(
        self,
        name: str,
        args: CacheArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        moved_from: pulumi.Resource | None = None,
    ) -> None:
        problems = validate_cache_args(args)
        reject_invalid("CacheArgs", problems)
        super().__init__(
            "streaming:data:Cache", name, protect=args.protect, tags=args.tags, opts=opts, moved_from=moved_from
        )
        prefix, options, azs = args.resource_prefix, args.options, list(args.availability_zones)
        sg = client_security_group(
            self, "redis", REDIS_PORT, vpc_id=args.vpc_id, client_security_group_id=args.client_security_group_id
        )
        subnet_group = aws.elasticache.SubnetGroup(
            f"{name}-redis-subnets",
            description=f"{name}: Redis in every AZ's data subnet",
            subnet_ids=list(args.data_subnet_ids),
            tags=self.tags(f"{name}-redis-subnets"),
            opts=self.child(),
        )
        parameters = aws.elasticache.ParameterGroup(
            f"{name}-redis-params",
            family=REDIS_PARAMETER_FAMILY,
            description=f"{name}: Redis parameters",
            parameters=[{"name": "maxmemory-policy", "value": "volatile-lru"}],
            tags=self.tags(f"{name}-redis-params"),
            opts=self.child(),
        )
        # RBAC instead of an AUTH token: apps authenticate with IAM (elasticache:Connect on this user), so no
        # long-lived password exists. A user group must contain a user named "default"; ours is disabled.
        default_user = aws.elasticache.User(
            f"{name}-redis-default-user",
            user_id=f"{prefix}-default",
            user_name="default",
            engine="redis",
            access_string="off -@all",
            authentication_mode={"type": "no-password-required"},
            tags=self.tags(f"{name}-redis-default-user"),
            opts=self.child(),
        )
        self.iam_user_id = f"{prefix}-app"
        app_user = aws.elasticache.User(
            f"{name}-redis-app-user",
            user_id=self.iam_user_id,
            user_name=self.iam_user_id,
            engine="redis",
            access_string="on ~* +@all -@dangerous",
            authentication_mode={"type": "iam"},
            tags=self.tags(f"{name}-redis-app-user"),
            opts=self.child(),
        )
        user_group = aws.elasticache.UserGroup(
            f"{name}-redis-users",
            user_group_id=f"{prefix}-redis",
            engine="redis",
            user_ids=[default_user.user_id, app_user.user_id],
            tags=self.tags(f"{name}-redis-users"),
            opts=self.child(),
        )
        slow_log = self.log_group(
            f"{name}-redis-slow-log", kms_key_arn=args.logs_key_arn, retention_days=args.log_retention_days
        )
        # CreateReplicationGroup settings ModifyReplicationGroup cannot change (ElastiCache API Reference): a change
        # replaces the group, and so the final snapshot's id.
        final_snapshot = (
            final_snapshot_name(
                self,
                f"{name}-redis-final-snapshot",
                f"{prefix}-redis",
                {"kmsKeyId": args.data_key_arn, "subnetGroupName": subnet_group.name, "port": str(REDIS_PORT)},
            )
            if args.protect
            else None
        )
        group = aws.elasticache.ReplicationGroup(
            f"{name}-redis",
            description=f"{name}: sessions and hot metadata",
            engine="redis",
            engine_version=REDIS_ENGINE_VERSION,
            node_type=options.cache_node_type,
            port=REDIS_PORT,
            num_cache_clusters=options.cache_num_nodes,
            # At creation only (see the module docstring).
            preferred_cache_cluster_azs=[azs[i % len(azs)] for i in range(options.cache_num_nodes)],
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            at_rest_encryption_enabled=True,
            kms_key_id=args.data_key_arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            user_group_ids=[user_group.user_group_id],
            subnet_group_name=subnet_group.name,
            security_group_ids=[sg.id],
            parameter_group_name=parameters.name,
            snapshot_retention_limit=options.cache_snapshot_retention_days,
            snapshot_window=CACHE_SNAPSHOT_WINDOW,
            maintenance_window=CACHE_MAINTENANCE_WINDOW,
            final_snapshot_identifier=final_snapshot,
            auto_minor_version_upgrade=True,
            log_delivery_configurations=[
                {
                    "destination": slow_log.name,
                    "destination_type": "cloudwatch-logs",
                    "log_format": "json",
                    "log_type": "slow-log",
                }
            ],
            tags=self.tags(f"{name}-redis"),
            opts=self.stateful(),
        )
        self.security_group_id = sg.id
        self.primary_endpoint = group.primary_endpoint_address
        self.reader_endpoint = group.reader_endpoint_address
        self.user_group_id = user_group.user_group_id
        self.replication_group_id = group.id
        self.replication_group_arn, self.iam_user_arn = group.arn, app_user.arn
        # ElastiCache names the nodes of a cluster-mode-disabled group <group id>-001, -002, ...
        self.member_cluster_ids = [
            pulumi.Output.concat(group.id, f"-{n:03d}") for n in range(1, options.cache_num_nodes + 1)
        ]
        self.register_outputs(
            {
                "securityGroupId": self.security_group_id,
                "primaryEndpoint": self.primary_endpoint,
                "readerEndpoint": self.reader_endpoint,
                "userGroupId": self.user_group_id,
                "iamUserId": self.iam_user_id,
                "replicationGroupId": self.replication_group_id,
                "replicationGroupArn": self.replication_group_arn,
                "iamUserArn": self.iam_user_arn,
                "memberClusterIds": self.member_cluster_ids,
            }
        )
