"""DataTier: the platform's stateful stores, each encrypted with a customer-managed KMS key, composed of five parts.

- ``DataKeys``: a KMS key per data class (and in the DR and DynamoDB replica regions).
- ``Tables``: DynamoDB ``videos`` and ``sessions``.
- ``Cache``: ElastiCache Redis with IAM authentication, one node per AZ.
- ``Database``: RDS PostgreSQL, a Multi-AZ primary plus read replicas.
- ``Buckets``: S3 uploads, renditions and logs, replicated to the DR region.

DataTier itself owns what the parts share: the client security group (clients of Redis and PostgreSQL join
it) and the S3 replication role (the media key's policy and the buckets' replication both name it). Each part
is a child named like the tier, so every AWS resource keeps the logical name it had in 0.1; the parts'
children carry ``Alias(parent=<this DataTier>)`` so a stack deployed with 0.1 keeps them.

The buckets' policies are not created here: ``BucketPolicies`` (data/bucket_policies.py) takes the buckets
this component exposes (``bucket_ids``, ``bucket_arns``, ``bucket_regions``) and every tier's statements as
arguments, and creates exactly one ``aws.s3.BucketPolicy`` per bucket.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent, reject_invalid
from streaming_platform.data.buckets import (
    LOG_DELIVERY_TAG,
    BucketOptions,
    BucketReplication,
    Buckets,
    BucketsArgs,
    ReplicationRule,
)
from streaming_platform.data.cache import Cache, CacheArgs, CacheOptions
from streaming_platform.data.common import LOGS, POSTGRES_PORT, REDIS_PORT, RENDITIONS, REPLICATED_BUCKETS, UPLOADS
from streaming_platform.data.database import Database, DatabaseArgs, DatabaseOptions
from streaming_platform.data.keys import DataKeys, DataKeysArgs
from streaming_platform.data.tables import Tables, TablesArgs
from streaming_platform.iam import policy_document

__all__ = [
    "LOGS",
    "LOG_DELIVERY_TAG",
    "POSTGRES_PORT",
    "REDIS_PORT",
    "RENDITIONS",
    "REPLICATED_BUCKETS",
    "UPLOADS",
    "BucketOptions",
    "CacheOptions",
    "DataTier",
    "DataTierArgs",
    "DatabaseOptions",
    "validate_args",
]


@dataclass
class DataTierArgs:
    """Inputs of DataTier: the network, the shared settings, then one options object per store."""

    vpc_id: pulumi.Input[str]
    """VPC the security groups belong to."""
    data_subnet_ids: Sequence[pulumi.Input[str]]
    """Private-data subnet ids, one per AZ in the order of ``availability_zones``."""
    availability_zones: Sequence[str]
    """AZ names, in subnet order (at least two). The first is the preferred AZ of the PostgreSQL primary."""
    resource_prefix: str = "streaming"
    """Prefix of the physical names that must be fixed (RDS identifiers, their log groups, KMS aliases,
    ElastiCache users). Default: ``streaming``; make it unique per account and region, for example
    ``streaming-prod``."""
    protect: bool = False
    """Protect and retain every stateful resource (keys, tables, cache, databases, buckets, log groups),
    turn on deletion protection and take final snapshots. Default: off (dev can be torn down, and buckets
    are created with ``force_destroy``)."""
    database: DatabaseOptions = field(default_factory=DatabaseOptions)
    """Default: ``DatabaseOptions()``, a Multi-AZ db.t4g.medium with no read replicas."""
    cache: CacheOptions = field(default_factory=CacheOptions)
    """Default: ``CacheOptions()``, two cache.t4g.small Redis nodes."""
    buckets: BucketOptions = field(default_factory=BucketOptions)
    """Default: ``BucketOptions()``, raw uploads to Glacier IR after 30 days, logs kept a year, no CORS."""
    log_retention_days: int = 365
    """Retention of the Redis slow log and the PostgreSQL log groups. Default: one year."""
    dr_region: str | None = None
    """Region the uploads and renditions buckets replicate to (``uploads-dr``, ``renditions-dr``), with a KMS key
    there that CloudFront may decrypt with. Default: no replication (a region outage loses access to media)."""
    dynamodb_replica_regions: Sequence[str] = ()
    """Global-table replicas of the video metadata table, each encrypted with a data key the component
    creates in that region. Default: none."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every child that takes tags, merged under each child's Name tag. Default: none."""


def validate_args(args: DataTierArgs) -> list[str]:
    """Every contradiction in ``args``, each naming the argument, the value and what is allowed."""
    azs = list(args.availability_zones)
    problems = []
    if len(azs) < 2 or len(azs) != len(args.data_subnet_ids):
        problems.append(
            f"DataTierArgs.availability_zones: got {azs} for {len(args.data_subnet_ids)} data subnets; "
            "allowed: at least 2 AZs, one data subnet per AZ"
        )
    outside = [az for az in args.database.db_replica_availability_zones if az not in azs]
    if outside:
        problems.append(
            f"DatabaseOptions.db_replica_availability_zones: got {list(args.database.db_replica_availability_zones)}; "
            f"allowed: AZs of availability_zones ({', '.join(azs)})"
        )
    if args.cache.cache_num_nodes < 2:
        problems.append(f"CacheOptions.cache_num_nodes: got {args.cache.cache_num_nodes}; allowed: at least 2")
    return problems


class DataTier(StreamingComponent):
    """DataKeys, Tables, Cache, Database and Buckets, plus the client security group and the replication role."""

    keys: DataKeys
    tables: Tables
    cache: Cache
    database: Database
    buckets: Buckets

    key_arns: dict[str, pulumi.Output[str]]
    client_security_group_id: pulumi.Output[str]
    video_table_name: pulumi.Output[str]
    video_table_arn: pulumi.Output[str]
    video_table_stream_arn: pulumi.Output[str]
    session_table_name: pulumi.Output[str]
    session_table_arn: pulumi.Output[str]
    redis_primary_endpoint: pulumi.Output[str]
    redis_reader_endpoint: pulumi.Output[str]
    redis_user_group_id: pulumi.Output[str]
    redis_iam_user_id: str
    redis_iam_user_arn: pulumi.Output[str]
    """The IAM-authenticated user; ``elasticache:Connect`` needs it and the replication group."""
    redis_replication_group_arn: pulumi.Output[str]
    db_app_user_name: str
    """The database user the services connect as with IAM authentication (``DB_APP_USER``)."""
    db_app_user_arn: pulumi.Output[str]
    """``rds-db:connect``'s resource for ``db_app_user_name`` on the primary."""
    db_endpoint: pulumi.Output[str]
    db_address: pulumi.Output[str]
    db_reader_endpoints: list[pulumi.Output[str]]
    db_instance_id: pulumi.Output[str]
    db_replica_instance_ids: list[pulumi.Output[str]]
    redis_replication_group_id: pulumi.Output[str]
    redis_member_cluster_ids: list[pulumi.Output[str]]
    """Node ids of the replication group (``<group>-001`` ...), the ElastiCache metrics' CacheClusterId."""
    db_master_secret_arn: pulumi.Output[str | None]
    db_preferred_primary_az: str
    bucket_names: dict[str, pulumi.Output[str]]
    bucket_ids: dict[str, pulumi.Output[str]]
    bucket_arns: dict[str, pulumi.Output[str]]
    bucket_regions: dict[str, str | None]
    """Region by role; None for buckets in the provider's region, the DR region for the replicas."""
    bucket_ownership_controls: dict[str, aws.s3.BucketOwnershipControls]
    """By bucket role, for ``depends_on``: CloudFront's standard logging needs the log bucket's ACLs enabled first."""
    replication_rules: list[ReplicationRule]
    """The DR replication rules (empty without ``dr_region``), for the replication alarms."""

    def __init__(self, name: str, args: DataTierArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = validate_args(args)
        reject_invalid("DataTierArgs", problems)
        super().__init__("streaming:data:DataTier", name, protect=args.protect, tags=args.tags, opts=opts)
        common: dict[str, Any] = {"protect": args.protect, "tags": args.tags}
        clients = aws.ec2.SecurityGroup(
            f"{name}-clients",
            vpc_id=args.vpc_id,
            description="Members may reach PostgreSQL and Redis; app-tier resources join it",
            tags=self.tags(f"{name}-clients"),
            opts=self.child(),
        )
        # The replication role comes before the keys: the media key's policy names it.
        replication_role = self._replication_role() if args.dr_region else None
        keys = DataKeys(
            name,
            DataKeysArgs(
                resource_prefix=args.resource_prefix,
                replication_role_arn=replication_role.arn if replication_role is not None else None,
                dr_region=args.dr_region,
                dynamodb_replica_regions=args.dynamodb_replica_regions,
                **common,
            ),
            **self._part(),
        )
        tables = Tables(
            name,
            TablesArgs(
                data_key_arn=keys.key_arns["data"],
                replica_key_arns={r: keys.key_arns[f"data-{r}"] for r in args.dynamodb_replica_regions},
                **common,
            ),
            **self._part(),
        )
        stores: dict[str, Any] = {
            "vpc_id": args.vpc_id,
            "data_subnet_ids": args.data_subnet_ids,
            "availability_zones": args.availability_zones,
            "client_security_group_id": clients.id,
            "data_key_arn": keys.key_arns["data"],
            "logs_key_arn": keys.key_arns["logs"],
            "log_retention_days": args.log_retention_days,
            "resource_prefix": args.resource_prefix,
            **common,
        }
        database = Database(name, DatabaseArgs(options=args.database, **stores), **self._part())
        cache = Cache(name, CacheArgs(options=args.cache, **stores), **self._part())
        buckets = Buckets(
            name,
            BucketsArgs(
                media_key_arn=keys.key_arns["media"],
                replication=(
                    BucketReplication(
                        dr_region=args.dr_region,
                        role_arn=replication_role.arn,
                        role_id=replication_role.id,
                        replica_key_arn=keys.key_arns[f"media-{args.dr_region}"],
                    )
                    if args.dr_region and replication_role is not None
                    else None
                ),
                options=args.buckets,
                **common,
            ),
            **self._part(),
        )

        self.keys, self.tables, self.cache, self.database, self.buckets = keys, tables, cache, database, buckets
        self.key_arns = keys.key_arns
        self.client_security_group_id = clients.id
        self.video_table_name, self.video_table_arn = tables.video_table_name, tables.video_table_arn
        self.video_table_stream_arn = tables.video_table_stream_arn
        self.session_table_name, self.session_table_arn = tables.session_table_name, tables.session_table_arn
        self.redis_primary_endpoint, self.redis_reader_endpoint = cache.primary_endpoint, cache.reader_endpoint
        self.redis_user_group_id, self.redis_iam_user_id = cache.user_group_id, cache.iam_user_id
        self.redis_replication_group_id = cache.replication_group_id
        self.redis_replication_group_arn, self.redis_iam_user_arn = cache.replication_group_arn, cache.iam_user_arn
        self.db_app_user_name, self.db_app_user_arn = database.app_user_name, database.app_user_arn
        self.redis_member_cluster_ids = cache.member_cluster_ids
        self.db_endpoint, self.db_address = database.endpoint, database.address
        self.db_reader_endpoints = database.reader_endpoints
        self.db_instance_id, self.db_replica_instance_ids = database.instance_id, database.replica_instance_ids
        self.db_master_secret_arn = database.master_secret_arn
        self.db_preferred_primary_az = database.preferred_primary_az
        self.bucket_names, self.bucket_ids = buckets.bucket_names, buckets.bucket_ids
        self.bucket_arns, self.bucket_regions = buckets.bucket_arns, buckets.bucket_regions
        self.replication_rules = buckets.replication_rules
        self.bucket_ownership_controls = buckets.bucket_ownership_controls
        self.register_outputs(
            {
                "keys": keys.urn,
                "tables": tables.urn,
                "cache": cache.urn,
                "database": database.urn,
                "buckets": buckets.urn,
                "keyArns": self.key_arns,
                "clientSecurityGroupId": self.client_security_group_id,
                "videoTableName": self.video_table_name,
                "videoTableArn": self.video_table_arn,
                "videoTableStreamArn": self.video_table_stream_arn,
                "sessionTableName": self.session_table_name,
                "sessionTableArn": self.session_table_arn,
                "redisPrimaryEndpoint": self.redis_primary_endpoint,
                "redisReaderEndpoint": self.redis_reader_endpoint,
                "redisUserGroupId": self.redis_user_group_id,
                "redisIamUserId": self.redis_iam_user_id,
                "redisIamUserArn": self.redis_iam_user_arn,
                "redisReplicationGroupArn": self.redis_replication_group_arn,
                "dbAppUserName": self.db_app_user_name,
                "dbAppUserArn": self.db_app_user_arn,
                "dbEndpoint": self.db_endpoint,
                "dbReaderEndpoints": self.db_reader_endpoints,
                "dbInstanceId": self.db_instance_id,
                "dbReplicaInstanceIds": self.db_replica_instance_ids,
                "redisReplicationGroupId": self.redis_replication_group_id,
                "redisMemberClusterIds": self.redis_member_cluster_ids,
                "dbMasterSecretArn": self.db_master_secret_arn,
                "dbPreferredPrimaryAz": self.db_preferred_primary_az,
                "bucketNames": self.bucket_names,
                "bucketIds": self.bucket_ids,
                "bucketArns": self.bucket_arns,
                "bucketRegions": self.bucket_regions,
                "bucketOwnershipControlIds": {role: c.id for role, c in self.bucket_ownership_controls.items()},
                "replicationRules": [
                    {"sourceBucket": r.source_bucket, "destinationBucket": r.destination_bucket, "ruleId": r.rule_id}
                    for r in self.replication_rules
                ],
            }
        )

    def _part(self) -> dict[str, Any]:
        """Where a part goes: a child of this tier whose children alias their 0.1 parent (this tier)."""
        return {"moved_from": self, "opts": self.child()}

    def _replication_role(self) -> aws.iam.Role:
        trust = self.account.apply(
            lambda account: policy_document(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "s3.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                    }
                ]
            )
        )
        return aws.iam.Role(
            f"{self._name}-replication",
            assume_role_policy=trust,
            tags=self.tags(f"{self._name}-replication"),
            opts=self.child(),
        )
