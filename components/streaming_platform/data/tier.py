"""DataTier: the platform's stateful stores, each encrypted with a customer-managed KMS key.

KMS keys per data class, DynamoDB tables, an ElastiCache Redis replication group, RDS PostgreSQL
(Multi-AZ primary plus read replicas) and S3 buckets for uploads, renditions and logs, with
optional cross-region replication of the uploads bucket. Clients reach Redis and PostgreSQL only
by joining the component's client security group.

The buckets' policies are not created here: ``BucketPolicies`` (data/bucket_policies.py) takes the
buckets this component exposes (``bucket_ids``, ``bucket_arns``, ``bucket_regions``) and every tier's
statements as arguments, and creates exactly one ``aws.s3.BucketPolicy`` per bucket.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent
from streaming_platform.iam import account_admin_statement, cloudwatch_logs_statement, policy_document

# Roles of the buckets this component creates; keys of ``DataTier.bucket_names`` and ``bucket_arns``.
UPLOADS, RENDITIONS, LOGS = "uploads", "renditions", "logs"
# Buckets replicated to the DR region when ``dr_region`` is set; the replica's key is f"{role}-dr".
# Renditions replicate too: the edge's origin group fails over to the replica while the region is down.
REPLICATED_BUCKETS: tuple[str, ...] = (UPLOADS, RENDITIONS)

# Tag the policy pack reads to allow SSE-S3 (instead of SSE-KMS) on the access-log bucket only.
LOG_DELIVERY_TAG = ("LogDelivery", "sse-s3")

# S3 Intelligent-Tiering never tiers objects under 128 KiB but bills monitoring for them, so
# HLS manifests and small segments stay in STANDARD.
INTELLIGENT_TIERING_MIN_OBJECT_BYTES = 131072

REDIS_PORT, POSTGRES_PORT = 6379, 5432
# PostgreSQL users: the master user (password in Secrets Manager, for administration only) and the user the
# services connect as with IAM authentication (rds-db:connect); the app user is created in the database with
# `CREATE USER streaming_app; GRANT rds_iam TO streaming_app;` (RDS User Guide, "Creating a database account
# using IAM authentication").
DB_MASTER_USER, DB_APP_USER = "streaming_admin", "streaming_app"
REDIS_ENGINE_VERSION, REDIS_PARAMETER_FAMILY = "7.1", "redis7"
RDS_LOG_EXPORTS = ("postgresql", "upgrade")
# Windows in UTC; each store's maintenance starts after its backup window ends.
DB_BACKUP_WINDOW, DB_MAINTENANCE_WINDOW = "03:00-04:00", "sun:04:30-sun:05:30"
CACHE_SNAPSHOT_WINDOW, CACHE_MAINTENANCE_WINDOW = "05:00-06:00", "sun:06:30-sun:07:30"
ABORT_MULTIPART_DAYS = 7
NONCURRENT_VERSION_DAYS = 30


@dataclass
class DataTierArgs:
    """Inputs of DataTier. Network ids are Inputs; everything else is a plain setting."""

    vpc_id: pulumi.Input[str]
    """VPC the security groups belong to."""

    data_subnet_ids: Sequence[pulumi.Input[str]]
    """Private-data subnet ids, one per AZ in the order of ``availability_zones``."""

    availability_zones: Sequence[str]
    """AZ names, in subnet order. The first is the preferred AZ of the PostgreSQL primary."""

    resource_prefix: str = "streaming"
    """Prefix of the physical names that must be fixed (RDS identifiers, their log groups, KMS aliases,
    ElastiCache users). Make it unique per account and region, for example ``streaming-prod``."""

    protect: bool = False
    """Protect and retain every stateful resource (keys, tables, cache, databases, buckets, log groups),
    turn on deletion protection and take final snapshots. Default: off (dev can be torn down, and buckets
    are created with ``force_destroy``)."""

    db_multi_az: bool = True
    """PostgreSQL primary with a synchronous standby in another AZ. Default: on. When off, the primary is
    pinned to the first AZ."""

    db_instance_class: str = "db.t4g.medium"
    db_engine_major_version: str = "16"
    """PostgreSQL major version only; AWS picks the newest minor and ``auto_minor_version_upgrade`` keeps it
    current. Default: 16. The parameter group family follows it (``postgres16``)."""

    db_allocated_storage_gb: int = 50
    db_max_allocated_storage_gb: int = 200
    """Storage autoscaling ceiling. Default: 200 GB."""

    db_backup_retention_days: int = 7
    db_read_replica_count: int = 0
    """Read replicas, placed round-robin in the AZs other than the preferred primary AZ. Default: none."""

    cache_node_type: str = "cache.t4g.small"
    cache_num_nodes: int = 2
    """Redis nodes (one primary, the rest replicas), spread round-robin over the AZs. At least 2 for
    automatic failover. Default: 2."""

    cache_snapshot_retention_days: int = 7
    log_retention_days: int = 365
    """Retention of the Redis slow log and the PostgreSQL log groups. Default: one year."""

    dr_region: str | None = None
    """Region the uploads and renditions buckets replicate to (``uploads-dr``, ``renditions-dr``), with a KMS key
    there that CloudFront may decrypt with. Default: no replication."""

    dynamodb_replica_regions: Sequence[str] = ()
    """Global-table replicas of the video metadata table, each encrypted with a data key the component
    creates in that region. Default: none."""

    raw_to_glacier_ir_days: int = 30
    """Days before raw uploads move to Glacier Instant Retrieval. Default: 30."""

    log_bucket_expiration_days: int = 365
    """Days the log bucket keeps access logs. Default: one year."""

    cors_allowed_origins: Sequence[str] = ()
    """Origins allowed to PUT to presigned upload URLs from a browser. Default: none (no CORS rule)."""

    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every child that takes tags, merged under each child's Name tag."""


class DataTier(StreamingComponent):
    """KMS keys, DynamoDB, ElastiCache Redis, RDS PostgreSQL and S3 for the streaming platform."""

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

    def __init__(self, name: str, args: DataTierArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:data:DataTier", name, protect=args.protect, tags=args.tags, opts=opts)
        azs = list(args.availability_zones)
        if len(azs) < 2 or len(azs) != len(args.data_subnet_ids):
            raise ValueError(
                f"DataTierArgs.availability_zones: got {azs} for {len(args.data_subnet_ids)} data subnets; "
                "allowed: at least 2 AZs, one data subnet per AZ"
            )
        if args.cache_num_nodes < 2:
            raise ValueError(f"DataTierArgs.cache_num_nodes: got {args.cache_num_nodes}; allowed: at least 2")
        self._name = name
        self._args = args
        self._azs = azs
        self._buckets: dict[str, aws.s3.Bucket] = {}
        self._bucket_regions: dict[str, str | None] = {}
        self._all_keys: dict[str, aws.kms.Key] = {}

        # The replication role comes first: the media key's policy names it.
        replication_role = self._replication_role() if args.dr_region else None

        self._keys = {
            "data": self._key("data", "RDS, DynamoDB, ElastiCache and Secrets Manager", []),
            "logs": self._key("logs", "CloudWatch Logs of the data tier", self._logs_statements()),
            "media": self._key("media", "S3 uploads and renditions", self._media_statements(replication_role)),
        }

        self._security_groups(args)
        self._dynamodb(args)
        self._redis(args)
        self._postgres(args)
        self._s3(args, replication_role)

        # By data class; keys in other regions (DR media, DynamoDB replicas) as f"{class}-{region}".
        self.key_arns = {suffix: key.arn for suffix, key in self._all_keys.items()}
        self.register_outputs(
            {
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
            }
        )

    # ---- naming helpers -------------------------------------------------------------------------------

    # ---- KMS --------------------------------------------------------------------------------------------

    def _admin_statement(self) -> pulumi.Output[dict[str, Any]]:
        return pulumi.Output.all(self.partition, self.account).apply(lambda a: account_admin_statement(*a))

    def _key(
        self,
        data_class: str,
        purpose: str,
        statements: Sequence[pulumi.Input[dict[str, Any]]],
        region: str | None = None,
    ) -> aws.kms.Key:
        suffix = f"{data_class}-{region}" if region else data_class
        policy = pulumi.Output.all(self._admin_statement(), *statements).apply(lambda s: policy_document(list(s)))
        key = aws.kms.Key(
            f"{self._name}-{suffix}-key",
            description=f"{self._name}: {purpose}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=policy,
            region=region,
            tags=self.tags(f"{self._name}-{suffix}", DataClass=data_class),
            opts=self.stateful(),
        )
        self._all_keys[suffix] = key
        aws.kms.Alias(
            f"{self._name}-{suffix}-alias",
            name=f"alias/{self._args.resource_prefix}-{data_class}",
            target_key_id=key.key_id,
            region=region,
            opts=self.child(),
        )
        return key

    def _logs_statements(self) -> list[pulumi.Output[dict[str, Any]]]:
        return [
            pulumi.Output.all(self.partition, self.account, self.region).apply(lambda a: cloudwatch_logs_statement(*a))
        ]

    def _cloudfront_decrypt_statement(self) -> pulumi.Output[dict[str, Any]]:
        return pulumi.Output.all(self.partition, self.account).apply(
            lambda a: {
                "Sid": "CloudFrontReadsThroughOriginAccessControl",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"ArnLike": {"aws:SourceArn": f"arn:{a[0]}:cloudfront::{a[1]}:distribution/*"}},
            }
        )

    def _media_statements(self, replication_role: aws.iam.Role | None) -> list[pulumi.Output[dict[str, Any]]]:
        statements = [self._cloudfront_decrypt_statement()]
        if replication_role is not None:
            statements.append(
                pulumi.Output.all(replication_role.arn, self.region).apply(
                    lambda a: {
                        "Sid": "S3ReplicationReadsSourceObjects",
                        "Effect": "Allow",
                        "Principal": {"AWS": a[0]},
                        "Action": "kms:Decrypt",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"kms:ViaService": f"s3.{a[1]}.amazonaws.com"}},
                    }
                )
            )
        return statements

    # ---- security groups --------------------------------------------------------------------------------

    def _security_groups(self, args: DataTierArgs) -> None:
        name = self._name
        clients = aws.ec2.SecurityGroup(
            f"{name}-clients",
            vpc_id=args.vpc_id,
            description="Members may reach PostgreSQL and Redis; app-tier resources join it",
            tags=self.tags(f"{name}-clients"),
            opts=self.child(),
        )
        self.client_security_group_id = clients.id
        self._store_sgs: dict[str, aws.ec2.SecurityGroup] = {}
        for store, port in (("postgres", POSTGRES_PORT), ("redis", REDIS_PORT)):
            sg = aws.ec2.SecurityGroup(
                f"{name}-{store}",
                vpc_id=args.vpc_id,
                description=f"{store} on {port} from the data-tier client group only",
                ingress=[
                    {
                        "protocol": "tcp",
                        "from_port": port,
                        "to_port": port,
                        "security_groups": [clients.id],
                        "description": f"{store} from {name}-clients",
                    }
                ],
                egress=[],
                tags=self.tags(f"{name}-{store}"),
                opts=self.child(),
            )
            self._store_sgs[store] = sg
            # Separate rule resources: inline rules on both groups would reference each other in a cycle.
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-clients-to-{store}",
                security_group_id=clients.id,
                referenced_security_group_id=sg.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"{store} in {name}-{store}",
                opts=self.child(),
            )

    # ---- DynamoDB ---------------------------------------------------------------------------------------

    def _dynamodb(self, args: DataTierArgs) -> None:
        name, data_key = self._name, self._keys["data"]
        replicas: list[aws.dynamodb.TableReplicaArgsDict] = []
        for region in args.dynamodb_replica_regions:
            replica_key = self._key("data", f"DynamoDB replica in {region}", [], region=region)
            replicas.append(
                {
                    "region_name": region,
                    "kms_key_arn": replica_key.arn,
                    "point_in_time_recovery": True,
                    "propagate_tags": True,
                    "deletion_protection_enabled": args.protect,
                }
            )
        # Videos: videoId is the item key. byOwner lists a channel's videos newest first. byUploadTime
        # lists recent uploads across owners: uploadDay (UTC date, "2026-11-22") partitions one day's
        # uploads, uploadedAt (ISO-8601) sorts them; a feed reads today's partition, then yesterday's.
        videos = aws.dynamodb.Table(
            f"{name}-videos",
            billing_mode="PAY_PER_REQUEST",
            hash_key="videoId",
            attributes=[
                {"name": "videoId", "type": "S"},
                {"name": "ownerId", "type": "S"},
                {"name": "uploadedAt", "type": "S"},
                {"name": "uploadDay", "type": "S"},
            ],
            global_secondary_indexes=[
                {
                    "name": "byOwner",
                    "key_schemas": [
                        {"attribute_name": "ownerId", "key_type": "HASH"},
                        {"attribute_name": "uploadedAt", "key_type": "RANGE"},
                    ],
                    "projection_type": "ALL",
                },
                {
                    "name": "byUploadTime",
                    "key_schemas": [
                        {"attribute_name": "uploadDay", "key_type": "HASH"},
                        {"attribute_name": "uploadedAt", "key_type": "RANGE"},
                    ],
                    "projection_type": "ALL",
                },
            ],
            server_side_encryption={"enabled": True, "kms_key_arn": data_key.arn},
            point_in_time_recovery={"enabled": True},
            deletion_protection_enabled=args.protect,
            stream_enabled=True,
            stream_view_type="NEW_AND_OLD_IMAGES",
            replicas=replicas or None,
            tags=self.tags(f"{name}-videos"),
            opts=self.stateful(),
        )
        sessions = aws.dynamodb.Table(
            f"{name}-sessions",
            billing_mode="PAY_PER_REQUEST",
            hash_key="sessionId",
            attributes=[{"name": "sessionId", "type": "S"}],
            ttl={"attribute_name": "expiresAt", "enabled": True},
            server_side_encryption={"enabled": True, "kms_key_arn": data_key.arn},
            point_in_time_recovery={"enabled": True},
            deletion_protection_enabled=args.protect,
            tags=self.tags(f"{name}-sessions"),
            opts=self.stateful(),
        )
        self.video_table_name, self.video_table_arn = videos.name, videos.arn
        self.video_table_stream_arn = videos.stream_arn
        self.session_table_name, self.session_table_arn = sessions.name, sessions.arn

    # ---- ElastiCache ------------------------------------------------------------------------------------

    def _log_group(self, resource_name: str, group_name: str | None = None) -> aws.cloudwatch.LogGroup:
        return aws.cloudwatch.LogGroup(
            resource_name,
            name=group_name,
            retention_in_days=self._args.log_retention_days,
            kms_key_id=self._keys["logs"].arn,
            tags=self.tags(resource_name),
            opts=self.stateful(),
        )

    def _redis(self, args: DataTierArgs) -> None:
        name, prefix = self._name, args.resource_prefix
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
        # IAM authentication requires user_id == user_name.
        self.redis_iam_user_id = f"{prefix}-app"
        app_user = aws.elasticache.User(
            f"{name}-redis-app-user",
            user_id=self.redis_iam_user_id,
            user_name=self.redis_iam_user_id,
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
        slow_log = self._log_group(f"{name}-redis-slow-log")
        group = aws.elasticache.ReplicationGroup(
            f"{name}-redis",
            description=f"{name}: sessions and hot metadata",
            engine="redis",
            engine_version=REDIS_ENGINE_VERSION,
            node_type=args.cache_node_type,
            port=REDIS_PORT,
            num_cache_clusters=args.cache_num_nodes,
            preferred_cache_cluster_azs=[self._azs[i % len(self._azs)] for i in range(args.cache_num_nodes)],
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            at_rest_encryption_enabled=True,
            kms_key_id=self._keys["data"].arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            user_group_ids=[user_group.user_group_id],
            subnet_group_name=subnet_group.name,
            security_group_ids=[self._store_sgs["redis"].id],
            parameter_group_name=parameters.name,
            snapshot_retention_limit=args.cache_snapshot_retention_days,
            snapshot_window=CACHE_SNAPSHOT_WINDOW,
            maintenance_window=CACHE_MAINTENANCE_WINDOW,
            final_snapshot_identifier=f"{prefix}-redis-final" if args.protect else None,
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
        self.redis_primary_endpoint = group.primary_endpoint_address
        self.redis_reader_endpoint = group.reader_endpoint_address
        self.redis_user_group_id = user_group.user_group_id
        self.redis_replication_group_id = group.id
        self.redis_replication_group_arn, self.redis_iam_user_arn = group.arn, app_user.arn
        # ElastiCache names the nodes of a cluster-mode-disabled group <group id>-001, -002, ...
        self.redis_member_cluster_ids = [
            pulumi.Output.concat(group.id, f"-{n:03d}") for n in range(1, args.cache_num_nodes + 1)
        ]

    # ---- RDS PostgreSQL ---------------------------------------------------------------------------------

    def _monitoring_role(self) -> aws.iam.Role:
        trust = self.account.apply(
            lambda account: policy_document(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "monitoring.rds.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                    }
                ]
            )
        )
        role = aws.iam.Role(
            f"{self._name}-rds-monitoring",
            assume_role_policy=trust,
            tags=self.tags(f"{self._name}-rds-monitoring"),
            opts=self.child(),
        )
        aws.iam.RolePolicyAttachment(
            f"{self._name}-rds-monitoring",
            role=role.name,
            policy_arn=self.partition.apply(
                lambda p: f"arn:{p}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
            ),
            opts=self.child(),
        )
        return role

    def _postgres(self, args: DataTierArgs) -> None:
        name, prefix = self._name, args.resource_prefix
        data_key = self._keys["data"]
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-postgres-subnets",
            description=f"{name}: PostgreSQL in every AZ's data subnet",
            subnet_ids=list(args.data_subnet_ids),
            tags=self.tags(f"{name}-postgres-subnets"),
            opts=self.child(),
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-postgres-params",
            family=f"postgres{args.db_engine_major_version}",
            description=f"{name}: PostgreSQL {args.db_engine_major_version}, TLS required",
            parameters=[{"name": "rds.force_ssl", "value": "1"}],
            tags=self.tags(f"{name}-postgres-params"),
            opts=self.child(),
        )
        monitoring_role = self._monitoring_role()
        common: dict[str, Any] = {
            "instance_class": args.db_instance_class,
            "storage_type": "gp3",
            "storage_encrypted": True,
            "max_allocated_storage": args.db_max_allocated_storage_gb,
            "parameter_group_name": parameters.name,
            "vpc_security_group_ids": [self._store_sgs["postgres"].id],
            "iam_database_authentication_enabled": True,
            "publicly_accessible": False,
            "auto_minor_version_upgrade": True,
            "copy_tags_to_snapshot": True,
            "deletion_protection": args.protect,
            "performance_insights_enabled": True,
            "performance_insights_kms_key_id": data_key.arn,
            "performance_insights_retention_period": 7,
            "monitoring_interval": 60,
            "monitoring_role_arn": monitoring_role.arn,
            "enabled_cloudwatch_logs_exports": list(RDS_LOG_EXPORTS),
            "maintenance_window": DB_MAINTENANCE_WINDOW,
        }

        def log_groups(identifier: str) -> list[pulumi.Resource]:
            # Created before the instance so RDS exports into encrypted groups with retention
            # instead of creating unencrypted, never-expiring ones.
            return [
                self._log_group(
                    f"{name}-{identifier.removeprefix(prefix + '-')}-{log}-logs",
                    f"/aws/rds/instance/{identifier}/{log}",
                )
                for log in RDS_LOG_EXPORTS
            ]

        # A Multi-AZ instance cannot be placed in an AZ (CreateDBInstance rejects AvailabilityZone with
        # MultiAZ), so the first AZ is only the preferred primary AZ: replicas avoid it, but a failover
        # can move the primary into a replica's AZ.
        self.db_preferred_primary_az = self._azs[0]
        primary_id = f"{prefix}-postgres"
        primary = aws.rds.Instance(
            f"{name}-postgres",
            identifier=primary_id,
            engine="postgres",
            engine_version=args.db_engine_major_version,
            allocated_storage=args.db_allocated_storage_gb,
            db_name="streaming",
            username=DB_MASTER_USER,
            kms_key_id=data_key.arn,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=data_key.arn,
            multi_az=args.db_multi_az,
            availability_zone=None if args.db_multi_az else self.db_preferred_primary_az,
            db_subnet_group_name=subnet_group.name,
            backup_retention_period=args.db_backup_retention_days,
            backup_window=DB_BACKUP_WINDOW,
            delete_automated_backups=not args.protect,
            skip_final_snapshot=not args.protect,
            final_snapshot_identifier=f"{primary_id}-final" if args.protect else None,
            tags=self.tags(primary_id, PreferredAz=self.db_preferred_primary_az),
            **common,
            opts=self.stateful(depends_on=log_groups(primary_id)),
        )
        # Replicas inherit the engine, version, master user and its managed secret from the source:
        # manage_master_user_password (which RDS rejects on a replica), username and db_subnet_group_name
        # are not set on them. A same-region replica is always encrypted with the source's key, and
        # CreateDBInstanceReadReplica must not be given a KmsKeyId for it, so kms_key_id is left unset too.
        others = self._azs[1:]
        replicas = []
        for i in range(args.db_read_replica_count):
            replica_id = f"{prefix}-postgres-replica-{i + 1}"
            replicas.append(
                aws.rds.Instance(
                    f"{name}-postgres-replica-{i + 1}",
                    identifier=replica_id,
                    replicate_source_db=primary.identifier,
                    availability_zone=others[i % len(others)],
                    multi_az=False,
                    backup_retention_period=0,
                    skip_final_snapshot=True,
                    tags=self.tags(replica_id),
                    **common,
                    opts=self.stateful(depends_on=log_groups(replica_id)),
                )
            )
        self.db_endpoint = primary.endpoint
        self.db_address = primary.address
        self.db_reader_endpoints = [r.endpoint for r in replicas]
        self.db_instance_id = primary.identifier
        self.db_app_user_name = DB_APP_USER
        self.db_app_user_arn = pulumi.Output.concat(
            "arn:",
            self.partition,
            ":rds-db:",
            self.region,
            ":",
            self.account,
            ":dbuser:",
            primary.resource_id,
            f"/{DB_APP_USER}",
        )
        self.db_replica_instance_ids = [r.identifier for r in replicas]
        self.db_master_secret_arn = primary.master_user_secrets.apply(
            lambda secrets: secrets[0].secret_arn if secrets else None
        )

    # ---- S3 ---------------------------------------------------------------------------------------------

    def _bucket(
        self,
        role: str,
        *,
        kms_key: aws.kms.Key | None,
        lifecycle_rules: list[aws.s3.BucketLifecycleConfigurationRuleArgsDict],
        region: str | None = None,
        ownership: str = "BucketOwnerEnforced",
        extra_tags: Mapping[str, str] | None = None,
    ) -> tuple[aws.s3.Bucket, aws.s3.BucketVersioning]:
        name, args = self._name, self._args
        resource = f"{name}-{role}"
        bucket = aws.s3.Bucket(
            resource,
            force_destroy=not args.protect,
            region=region,
            tags=self.tags(resource, BucketRole=role, **(extra_tags or {})),
            opts=self.stateful(),
        )
        self._buckets[role], self._bucket_regions[role] = bucket, region
        aws.s3.BucketPublicAccessBlock(
            resource,
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            region=region,
            opts=self.child(),
        )
        aws.s3.BucketOwnershipControls(
            resource, bucket=bucket.id, rule={"object_ownership": ownership}, region=region, opts=self.child()
        )
        encryption: aws.s3.BucketServerSideEncryptionConfigurationRuleArgsDict = (
            {
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": kms_key.arn,
                },
                "bucket_key_enabled": True,
            }
            if kms_key is not None
            else {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            resource, bucket=bucket.id, rules=[encryption], region=region, opts=self.child()
        )
        versioning = aws.s3.BucketVersioning(
            resource, bucket=bucket.id, versioning_configuration={"status": "Enabled"}, region=region, opts=self.child()
        )
        rules: list[aws.s3.BucketLifecycleConfigurationRuleArgsDict] = [
            {
                "id": "abort-incomplete-multipart-uploads",
                "status": "Enabled",
                "filter": {},
                "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_MULTIPART_DAYS},
            },
            {
                "id": "expire-noncurrent-versions",
                "status": "Enabled",
                "filter": {},
                "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_VERSION_DAYS},
            },
            *lifecycle_rules,
        ]
        aws.s3.BucketLifecycleConfiguration(
            resource, bucket=bucket.id, rules=rules, region=region, opts=self.child(depends_on=[versioning])
        )
        return bucket, versioning

    def _s3(self, args: DataTierArgs, replication_role: aws.iam.Role | None) -> None:
        media = self._keys["media"]
        raw_rules: list[aws.s3.BucketLifecycleConfigurationRuleArgsDict] = [
            {
                "id": "raw-to-glacier-ir",
                "status": "Enabled",
                "filter": {},
                "transitions": [{"days": args.raw_to_glacier_ir_days, "storage_class": "GLACIER_IR"}],
            }
        ]
        uploads, uploads_versioning = self._bucket(UPLOADS, kms_key=media, lifecycle_rules=raw_rules)
        renditions_rules: list[aws.s3.BucketLifecycleConfigurationRuleArgsDict] = [
            {
                "id": "renditions-to-intelligent-tiering",
                "status": "Enabled",
                "filter": {"object_size_greater_than": INTELLIGENT_TIERING_MIN_OBJECT_BYTES},
                "transitions": [{"days": 0, "storage_class": "INTELLIGENT_TIERING"}],
            }
        ]
        renditions, renditions_versioning = self._bucket(RENDITIONS, kms_key=media, lifecycle_rules=renditions_rules)
        # CloudFront standard logs and ALB access logs only deliver to SSE-S3 buckets, and CloudFront
        # standard logging writes through an ACL grant, so this bucket keeps ACLs (BucketOwnerPreferred).
        self._bucket(
            LOGS,
            kms_key=None,
            ownership="BucketOwnerPreferred",
            extra_tags=dict([LOG_DELIVERY_TAG]),
            lifecycle_rules=[
                {
                    "id": "expire-logs",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"days": args.log_bucket_expiration_days},
                }
            ],
        )
        if args.cors_allowed_origins:
            aws.s3.BucketCorsConfiguration(
                f"{self._name}-{UPLOADS}",
                bucket=uploads.id,
                cors_rules=[
                    {
                        "id": "browser-presigned-put",
                        "allowed_methods": ["PUT"],
                        "allowed_origins": list(args.cors_allowed_origins),
                        "allowed_headers": ["content-type", "content-md5", "x-amz-*"],
                        "expose_headers": ["ETag"],
                        "max_age_seconds": 3000,
                    }
                ],
                opts=self.child(),
            )
        if args.dr_region and replication_role is not None:
            sources = {
                UPLOADS: (uploads, uploads_versioning, raw_rules),
                RENDITIONS: (renditions, renditions_versioning, renditions_rules),
            }
            self._replication(args.dr_region, replication_role, {r: sources[r] for r in REPLICATED_BUCKETS})
        self.bucket_names = {role: b.bucket for role, b in self._buckets.items()}
        self.bucket_ids = {role: b.id for role, b in self._buckets.items()}
        self.bucket_arns = {role: b.arn for role, b in self._buckets.items()}
        self.bucket_regions = dict(self._bucket_regions)

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

    def _replication(
        self,
        dr_region: str,
        role: aws.iam.Role,
        sources: Mapping[
            str, tuple[aws.s3.Bucket, aws.s3.BucketVersioning, list[aws.s3.BucketLifecycleConfigurationRuleArgsDict]]
        ],
    ) -> None:
        name = self._name
        # CloudFront reads the renditions replica when the edge's origin group fails over.
        dr_key = self._key(
            "media", f"S3 replicas in {dr_region}", [self._cloudfront_decrypt_statement()], region=dr_region
        )
        statements: list[pulumi.Output[list[dict[str, Any]]]] = []
        for n, (role_name, (source, source_versioning, lifecycle_rules)) in enumerate(sources.items()):
            sfx = role_name.title() if n else ""  # Sids are unique per policy: the first source keeps plain names
            replica_role = f"{role_name}-dr"
            destination, destination_versioning = self._bucket(
                replica_role,
                kms_key=dr_key,
                region=dr_region,
                lifecycle_rules=lifecycle_rules,  # the replica ages like its source
            )
            aws.s3.BucketReplicationConfig(
                f"{name}-{role_name}-replication",
                bucket=source.id,
                role=role.arn,
                rules=[
                    {
                        "id": f"{role_name}-to-{dr_region}",
                        "status": "Enabled",
                        "priority": 1,
                        "filter": {},
                        "delete_marker_replication": {"status": "Enabled"},
                        "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
                        "destination": {
                            "bucket": destination.arn,
                            "storage_class": "STANDARD",
                            "encryption_configuration": {"replica_kms_key_id": dr_key.arn},
                        },
                    }
                ],
                opts=self.child(depends_on=[source_versioning, destination_versioning]),
            )
            statements.append(
                pulumi.Output.all(source.arn, destination.arn).apply(
                    lambda a, sfx=sfx: [  # type: ignore[misc]
                        {
                            "Sid": f"ReadReplicationConfiguration{sfx}",
                            "Effect": "Allow",
                            "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                            "Resource": a[0],
                        },
                        {
                            "Sid": f"ReadSourceObjectVersions{sfx}",
                            "Effect": "Allow",
                            "Action": [
                                "s3:GetObjectVersionForReplication",
                                "s3:GetObjectVersionAcl",
                                "s3:GetObjectVersionTagging",
                            ],
                            "Resource": f"{a[0]}/*",
                        },
                        {
                            "Sid": f"WriteReplicas{sfx}",
                            "Effect": "Allow",
                            "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                            "Resource": f"{a[1]}/*",
                        },
                    ]
                )
            )
        kms_statements = pulumi.Output.all(self._keys["media"].arn, dr_key.arn, self.region).apply(
            lambda a: [
                {
                    "Sid": "DecryptSourceObjects",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": a[0],
                    "Condition": {"StringLike": {"kms:ViaService": f"s3.{a[2]}.amazonaws.com"}},
                },
                {
                    # kms:Decrypt too: the replicas use S3 Bucket Keys, and S3 verifies the Bucket Key with the
                    # role's kms:Decrypt on the replica key (S3 User Guide, "Replicating encrypted objects",
                    # "Amazon S3 Bucket Keys and replication"); without it every replica is FAILED.
                    "Sid": "EncryptReplicas",
                    "Effect": "Allow",
                    "Action": ["kms:Encrypt", "kms:Decrypt"],
                    "Resource": a[1],
                    "Condition": {"StringLike": {"kms:ViaService": f"s3.{dr_region}.amazonaws.com"}},
                },
            ]
        )
        aws.iam.RolePolicy(
            f"{name}-replication",
            role=role.id,
            policy=pulumi.Output.all(*statements, kms_statements).apply(
                lambda groups: policy_document([s for group in groups for s in group])
            ),
            opts=self.child(),
        )
