"""Database: RDS PostgreSQL, a Multi-AZ primary and optional read replicas, reachable only from the client group.

TLS is forced (``rds.force_ssl``), IAM database authentication is on, the master password is managed by RDS in
Secrets Manager under the data key, and every instance exports its PostgreSQL and upgrade logs into encrypted
log groups with retention, created before the instance (otherwise RDS creates unencrypted, never-expiring ones).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent, reject_invalid
from streaming_platform.data.common import POSTGRES_PORT, client_security_group, final_snapshot_name
from streaming_platform.iam import policy_document

# PostgreSQL users: the master user (password in Secrets Manager, for administration only) and the user the
# services connect as with IAM authentication (rds-db:connect); the app user is created in the database with
# `CREATE USER streaming_app; GRANT rds_iam TO streaming_app;` (RDS User Guide, "Creating a database account
# using IAM authentication").
DB_MASTER_USER, DB_APP_USER = "streaming_admin", "streaming_app"

RDS_LOG_EXPORTS = ("postgresql", "upgrade")
# UTC; maintenance starts after the backup window ends.
DB_BACKUP_WINDOW, DB_MAINTENANCE_WINDOW = "03:00-04:00", "sun:04:30-sun:05:30"


@dataclass(frozen=True)
class DatabaseOptions:
    """Size, engine, availability and backups of PostgreSQL."""

    db_multi_az: bool = True
    """A synchronous standby in another AZ. Default: on; off pins the primary to the first AZ and a zone outage
    takes the database down until a restore."""
    db_instance_class: str = "db.t4g.medium"
    """Default: db.t4g.medium (burstable Graviton); replicas use the same class."""
    db_engine_major_version: str = "16"
    """PostgreSQL major version only; AWS picks the newest minor and ``auto_minor_version_upgrade`` keeps it
    current. Default: 16. The parameter group family follows it (``postgres16``)."""
    db_allocated_storage_gb: int = 50
    """Initial gp3 storage. Default: 50 GB."""
    db_max_allocated_storage_gb: int = 200
    """Storage autoscaling ceiling. Default: 200 GB; storage grows up to it without a change here."""
    db_backup_retention_days: int = 7
    """Days of automated backups (point-in-time recovery window). Default: 7."""
    db_replica_availability_zones: Sequence[str] = ()
    """One read replica per entry, in that AZ (by name; one of ``availability_zones``). Replica *i* is named
    ``<name>-postgres-replica-<i+1>`` and stays in its AZ when AZs are added. Append to add one; to remove the last,
    unprotect it (``pulumi state unprotect``), turn off its deletion protection (``aws rds modify-db-instance
    --no-deletion-protection``) and drop it: it is deleted, not left running outside the stack (replicas are
    protected but never retained). Default: none; reads go to the primary."""


@dataclass
class DatabaseArgs:
    """Inputs of Database: where it runs, its keys, and its options."""

    vpc_id: pulumi.Input[str]
    """VPC of the database's security group."""
    data_subnet_ids: Sequence[pulumi.Input[str]]
    """Private-data subnets, one per AZ in the order of ``availability_zones``; the subnet group spans them all."""
    availability_zones: Sequence[str]
    """AZ names in subnet order. The first is the preferred AZ of the primary."""
    client_security_group_id: pulumi.Input[str]
    """The tier's client group: the only source PostgreSQL admits, and the group given the matching egress rule."""
    data_key_arn: pulumi.Input[str]
    """KMS key of storage, Performance Insights and the managed master secret."""
    logs_key_arn: pulumi.Input[str]
    """KMS key of the exported log groups."""
    log_retention_days: int = 365
    """Retention of the exported PostgreSQL logs. Default: one year."""
    options: DatabaseOptions = field(default_factory=DatabaseOptions)
    """Default: ``DatabaseOptions()``, a Multi-AZ db.t4g.medium with a week of backups and no replicas."""
    resource_prefix: str = "streaming"
    """Prefix of the instance identifiers (``<prefix>-postgres``) and so of their log groups. Default:
    ``streaming``; identifiers are unique per account and region."""
    protect: bool = False
    """Protect the instances, retain the primary and the log groups, turn on deletion protection and take a final
    snapshot. Default: off (dev can be torn down; automated backups are deleted with the instance)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every child, with ``Name`` added. Default: none."""


def validate_database_args(args: DatabaseArgs) -> list[str]:
    azs = list(args.availability_zones)
    problems = []
    if len(azs) < 2 or len(azs) != len(args.data_subnet_ids):
        problems.append(
            f"DatabaseArgs.availability_zones: got {azs} for {len(args.data_subnet_ids)} data subnets; "
            "allowed: at least 2 AZs, one data subnet per AZ"
        )
    outside = [az for az in args.options.db_replica_availability_zones if az not in azs]
    if outside:
        problems.append(
            f"DatabaseOptions.db_replica_availability_zones: got {list(args.options.db_replica_availability_zones)}; "
            f"allowed: AZs of the database's subnets ({', '.join(azs)})"
        )
    return problems


class Database(StreamingComponent):
    """The PostgreSQL primary, its read replicas, their parameters, subnets, monitoring role and log groups."""

    security_group_id: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    address: pulumi.Output[str]
    reader_endpoints: list[pulumi.Output[str]]
    instance_id: pulumi.Output[str]
    replica_instance_ids: list[pulumi.Output[str]]
    app_user_name: str
    """The database user the services connect as with IAM authentication (``DB_APP_USER``)."""
    app_user_arn: pulumi.Output[str]
    """``rds-db:connect``'s resource for ``app_user_name`` on the primary."""
    master_secret_arn: pulumi.Output[str | None]
    preferred_primary_az: str

    def __init__(
        self,
        name: str,
        args: DatabaseArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        moved_from: pulumi.Resource | None = None,
    ) -> None:
        problems = validate_database_args(args)
        reject_invalid("DatabaseArgs", problems)
        super().__init__(
            "streaming:data:Database", name, protect=args.protect, tags=args.tags, opts=opts, moved_from=moved_from
        )
        prefix, options, azs = args.resource_prefix, args.options, list(args.availability_zones)
        sg = client_security_group(
            self, "postgres", POSTGRES_PORT, vpc_id=args.vpc_id, client_security_group_id=args.client_security_group_id
        )
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-postgres-subnets",
            description=f"{name}: PostgreSQL in every AZ's data subnet",
            subnet_ids=list(args.data_subnet_ids),
            tags=self.tags(f"{name}-postgres-subnets"),
            opts=self.child(),
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-postgres-params",
            family=f"postgres{options.db_engine_major_version}",
            description=f"{name}: PostgreSQL {options.db_engine_major_version}, TLS required",
            parameters=[{"name": "rds.force_ssl", "value": "1"}],
            tags=self.tags(f"{name}-postgres-params"),
            opts=self.child(),
        )
        monitoring_role, monitoring_policy = self._monitoring_role()
        common: dict[str, Any] = {
            "instance_class": options.db_instance_class,
            "storage_type": "gp3",
            "storage_encrypted": True,
            "max_allocated_storage": options.db_max_allocated_storage_gb,
            "parameter_group_name": parameters.name,
            "vpc_security_group_ids": [sg.id],
            "iam_database_authentication_enabled": True,
            "publicly_accessible": False,
            "auto_minor_version_upgrade": True,
            "copy_tags_to_snapshot": True,
            "deletion_protection": args.protect,
            "performance_insights_enabled": True,
            "performance_insights_kms_key_id": args.data_key_arn,
            "performance_insights_retention_period": 7,
            "monitoring_interval": 60,
            "monitoring_role_arn": monitoring_role.arn,
            "enabled_cloudwatch_logs_exports": list(RDS_LOG_EXPORTS),
            "maintenance_window": DB_MAINTENANCE_WINDOW,
        }

        def log_groups(identifier: str) -> list[pulumi.Resource]:
            # Created before the instance so RDS exports into encrypted groups with retention.
            return [
                self.log_group(
                    f"{name}-{identifier.removeprefix(prefix + '-')}-{log}-logs",
                    kms_key_arn=args.logs_key_arn,
                    retention_days=args.log_retention_days,
                    group_name=f"/aws/rds/instance/{identifier}/{log}",
                )
                for log in RDS_LOG_EXPORTS
            ]

        # A Multi-AZ instance cannot be placed in an AZ (CreateDBInstance rejects AvailabilityZone with
        # MultiAZ), so the first AZ is only the preferred primary AZ: replicas avoid it, but a failover
        # can move the primary into a replica's AZ.
        self.preferred_primary_az = azs[0]
        primary_id = f"{prefix}-postgres"
        primary = aws.rds.Instance(
            f"{name}-postgres",
            identifier=primary_id,
            engine="postgres",
            engine_version=options.db_engine_major_version,
            allocated_storage=options.db_allocated_storage_gb,
            db_name="streaming",
            username=DB_MASTER_USER,
            kms_key_id=args.data_key_arn,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.data_key_arn,
            multi_az=options.db_multi_az,
            availability_zone=None if options.db_multi_az else self.preferred_primary_az,
            db_subnet_group_name=subnet_group.name,
            backup_retention_period=options.db_backup_retention_days,
            backup_window=DB_BACKUP_WINDOW,
            delete_automated_backups=not args.protect,
            skip_final_snapshot=not args.protect,
            final_snapshot_identifier=(
                final_snapshot_name(
                    self,
                    f"{name}-postgres-final-snapshot",
                    primary_id,
                    # CreateDBInstance settings that only a new instance can change (ModifyDBInstance, RDS API
                    # Reference, has no parameter for them): a change replaces the instance, and so this id.
                    {
                        "identifier": primary_id,
                        "kmsKeyId": args.data_key_arn,
                        "dbName": "streaming",
                        "username": DB_MASTER_USER,
                        "availabilityZone": "" if options.db_multi_az else self.preferred_primary_az,
                    },
                )
                if args.protect
                else None
            ),
            tags=self.tags(primary_id, PreferredAz=self.preferred_primary_az),
            **common,
            # After the monitoring role holds its policy: RDS assumes MonitoringRoleArn when it creates the instance
            # (RDS User Guide, "Setting up and enabling Enhanced Monitoring": the role needs
            # AmazonRDSEnhancedMonitoringRole), and a role attached later leaves the create to race the attachment.
            opts=self.stateful(depends_on=[*log_groups(primary_id), monitoring_policy]),
        )
        # Replicas inherit the engine, version, master user and its managed secret from the source:
        # manage_master_user_password (which RDS rejects on a replica), username and db_subnet_group_name
        # are not set on them. A same-region replica is always encrypted with the source's key, and
        # CreateDBInstanceReadReplica must not be given a KmsKeyId for it, so kms_key_id is left unset too.
        # A replica is a copy: protected like the primary (deleting one is a deliberate unprotect away) but not
        # retained, so removing it from the program deletes it instead of leaving it running outside the stack.
        replicas = []
        for i, az in enumerate(options.db_replica_availability_zones):
            replica_id = f"{prefix}-postgres-replica-{i + 1}"
            replicas.append(
                aws.rds.Instance(
                    f"{name}-postgres-replica-{i + 1}",
                    identifier=replica_id,
                    replicate_source_db=primary.identifier,
                    availability_zone=az,
                    multi_az=False,
                    backup_retention_period=0,
                    skip_final_snapshot=True,
                    tags=self.tags(replica_id),
                    **common,
                    opts=self.stateful(retain=False, depends_on=[*log_groups(replica_id), monitoring_policy]),
                )
            )
        self.security_group_id = sg.id
        self.endpoint, self.address = primary.endpoint, primary.address
        self.reader_endpoints = [r.endpoint for r in replicas]
        self.instance_id = primary.identifier
        self.replica_instance_ids = [r.identifier for r in replicas]
        self.app_user_name = DB_APP_USER
        self.app_user_arn = pulumi.Output.concat(
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
        self.master_secret_arn = primary.master_user_secrets.apply(
            lambda secrets: secrets[0].secret_arn if secrets else None
        )
        self.register_outputs(
            {
                "securityGroupId": self.security_group_id,
                "endpoint": self.endpoint,
                "address": self.address,
                "readerEndpoints": self.reader_endpoints,
                "instanceId": self.instance_id,
                "replicaInstanceIds": self.replica_instance_ids,
                "appUserName": self.app_user_name,
                "appUserArn": self.app_user_arn,
                "masterSecretArn": self.master_secret_arn,
                "preferredPrimaryAz": self.preferred_primary_az,
            }
        )

    def _monitoring_role(self) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
        name = self._name
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
            f"{name}-rds-monitoring",
            assume_role_policy=trust,
            tags=self.tags(f"{name}-rds-monitoring"),
            opts=self.child(),
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-rds-monitoring",
            role=role.name,
            policy_arn=self.partition.apply(
                lambda p: f"arn:{p}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
            ),
            opts=self.child(),
        )
        return role, attachment
