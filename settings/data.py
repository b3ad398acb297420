"""Data tier keys (DataTier): PostgreSQL, Redis, DynamoDB replicas, bucket lifecycles, CORS, DR region."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Annotated, Any

from streaming_platform.data.tier import BucketOptions, CacheOptions, DatabaseOptions, DataTierArgs

from settings import aws_values
from settings._base import Reader, TierModel, arg_default, distinct, each, key, rule
from settings.network import ZONE_ID, RetentionDays

POSTGRES_MAJOR_VERSIONS = ("14", "15", "16", "17")
MAX_READ_REPLICAS = 5  # kept from dbReadReplicaCount's range (RDS allows up to 15 per source instance)
_ORIGIN = re.compile(r"(https://[a-z0-9.-]+|http://localhost)(:\d{1,5})?")
REGION_TEXT = "an AWS region name such as us-east-2 (one that botocore's endpoint data lists)"


# Which options object (or DataTierArgs itself) owns each field, and so its default.
_OWNERS: tuple[type, ...] = (DatabaseOptions, CacheOptions, BucketOptions, DataTierArgs)


def _owner(name: str) -> type:
    (owner,) = [o for o in _OWNERS if name in {f.name for f in dataclasses.fields(o)}]
    return owner


def _d(name: str) -> Any:
    return arg_default(_owner(name), name)


def _optional_region(v: str) -> bool:
    return v == "" or aws_values.is_region(v)


class DataSettings(TierModel):
    """Plain settings of DataTierArgs, under the same field names; defaults are the component's own."""

    cache_node_type: Annotated[
        str,
        rule(
            lambda v: aws_values.is_instance_type(v, "cache."),
            "an ElastiCache node type such as cache.t4g.small (cache. and an EC2 instance type botocore lists)",
        ),
    ] = key(_d("cache_node_type"), alias="cacheNodeType", description="ElastiCache node type.")
    db_instance_class: Annotated[
        str,
        rule(
            lambda v: aws_values.is_instance_type(v, "db."),
            "an RDS instance class such as db.t4g.medium (db. and an EC2 instance type botocore lists)",
        ),
    ] = key(_d("db_instance_class"), alias="dbInstanceClass", description="RDS PostgreSQL instance class.")
    db_engine_major_version: Annotated[
        str,
        rule(
            lambda v: v in POSTGRES_MAJOR_VERSIONS,
            "a PostgreSQL major version without minor or patch: " + " | ".join(POSTGRES_MAJOR_VERSIONS),
        ),
    ] = key(
        _d("db_engine_major_version"),
        alias="dbEngineMajorVersion",
        description=(
            "PostgreSQL major version (14 to 17); AWS picks the newest minor version and upgrades minors "
            "automatically. The parameter group family follows it."
        ),
    )
    db_multi_az: bool = key(
        _d("db_multi_az"),
        alias="dbMultiAz",
        description=(
            "Run the PostgreSQL primary with a synchronous standby in another AZ; required when environment is prod."
        ),
    )
    db_allocated_storage_gb: int = key(
        _d("db_allocated_storage_gb"),
        alias="dbAllocatedStorageGb",
        ge=20,
        le=65536,
        description="Initial gp3 storage of PostgreSQL, 20 to 65536 GB.",
    )
    db_max_allocated_storage_gb: int = key(
        _d("db_max_allocated_storage_gb"),
        alias="dbMaxAllocatedStorageGb",
        ge=20,
        le=65536,
        description=("Storage autoscaling ceiling of PostgreSQL, at least dbAllocatedStorageGb and at most 65536 GB."),
    )
    db_backup_retention_days: int = key(
        _d("db_backup_retention_days"),
        alias="dbBackupRetentionDays",
        ge=1,
        le=35,
        description="Days of PostgreSQL automated backups, 1 to 35; at least 7 when environment is prod.",
    )
    db_read_replica_zone_ids: Annotated[
        tuple[str, ...],
        each(lambda v: bool(ZONE_ID.fullmatch(v)), "zone ids such as usw2-az2"),
        rule(lambda v: len(v) <= MAX_READ_REPLICAS, f"at most {MAX_READ_REPLICAS} replicas"),
    ] = key(
        (),
        alias="dbReadReplicaZoneIds",
        description=(
            "One PostgreSQL read replica per entry, at most 5, each in the AZ of that zone ID (one of the stack's "
            "AZs); replica N keeps its AZ when AZs are added. Append to add a replica, drop the last to remove one "
            "(replicas are protected in prod but not retained). None by default."
        ),
    )
    cache_num_nodes: int = key(
        _d("cache_num_nodes"),
        alias="cacheNumNodes",
        ge=2,
        le=6,
        description=(
            "ElastiCache nodes (one primary, the rest replicas), 2 to 6 (automatic failover needs 2), spread over the "
            "AZs at creation only: the provider ignores preferred_cache_cluster_azs on update (pulumi-aws "
            'elasticache.ReplicationGroup: "Ignored when updating"), so nodes added later land where ElastiCache '
            "chooses. At least one per AZ when environment is prod."
        ),
    )
    cache_snapshot_retention_days: int = key(
        _d("cache_snapshot_retention_days"),
        alias="cacheSnapshotRetentionDays",
        ge=0,
        le=35,
        description="Days of ElastiCache snapshots, 0 to 35; at least 1 when environment is prod.",
    )
    log_retention_days: RetentionDays = key(
        _d("log_retention_days"),
        alias="dataLogRetentionDays",
        description=(
            "Days to keep the data tier's logs (PostgreSQL logs, Redis slow log); one of the retention periods "
            "CloudWatch Logs accepts. The transcoder's logs have their own key, transcodeLogRetentionDays."
        ),
    )
    dr_region: Annotated[str, rule(_optional_region, REGION_TEXT + ", or empty for no replication")] = key(
        "",
        alias="drRegion",
        description=(
            "Region the uploads bucket replicates to, encrypted with a KMS key in that region; empty for no "
            "replication. Required when environment is prod, and different from aws:region."
        ),
    )
    dynamodb_replica_regions: Annotated[
        tuple[str, ...], each(aws_values.is_region, REGION_TEXT), rule(distinct, "each region once")
    ] = key(
        tuple(_d("dynamodb_replica_regions")),
        alias="dynamodbReplicaRegions",
        description=(
            "Regions holding global-table replicas of the video metadata table, each with its own KMS key; none by "
            "default. Each differs from aws:region."
        ),
    )
    raw_to_glacier_ir_days: int = key(
        _d("raw_to_glacier_ir_days"),
        alias="rawToGlacierIrDays",
        ge=1,
        le=3650,
        description="Days before raw uploads move to S3 Glacier Instant Retrieval, 1 to 3650.",
    )
    log_bucket_expiration_days: int = key(
        _d("log_bucket_expiration_days"),
        alias="logBucketExpirationDays",
        ge=1,
        le=3650,
        description="Days the access-log bucket keeps logs, 1 to 3650.",
    )
    cors_allowed_origins: Annotated[
        tuple[str, ...],
        each(
            lambda v: bool(_ORIGIN.fullmatch(v)),
            "origins such as https://video.example.com or http://localhost:3000 (no path, no wildcard)",
        ),
    ] = key(
        tuple(_d("cors_allowed_origins")),
        alias="corsAllowedOrigins",
        description=(
            "Origins (https://host[:port], or http://localhost[:port]) allowed to PUT presigned uploads from a "
            "browser; none by default."
        ),
    )

    def to_args(self, *, zone_names: Mapping[str, str], **wiring: Any) -> DataTierArgs:
        """``zone_names``: zone ID -> AZ name of the stack's AZs (``Settings.zone_names``)."""
        plain = self.model_dump()
        plain["dr_region"] = self.dr_region or None
        plain["db_replica_availability_zones"] = tuple(zone_names[z] for z in plain.pop("db_read_replica_zone_ids"))

        def group(owner: type) -> dict[str, Any]:
            return {k: v for k, v in plain.items() if _owner(k) is owner}

        return DataTierArgs(
            **wiring,
            **group(DataTierArgs),
            database=DatabaseOptions(**group(DatabaseOptions)),
            cache=CacheOptions(**group(CacheOptions)),
            buckets=BucketOptions(**group(BucketOptions)),
        )


def check(r: Reader, region: str | None, prod: bool, az_count: int | None) -> None:
    storage, ceiling = r.value("dbAllocatedStorageGb"), r.value("dbMaxAllocatedStorageGb")
    if r.ok("dbAllocatedStorageGb"):
        r.check(
            "dbMaxAllocatedStorageGb", ceiling, lambda v: v >= storage, f"at least dbAllocatedStorageGb ({storage})"
        )
    r.check("drRegion", r.value("drRegion"), lambda v: v != region, f"a region other than aws:region ({region})")
    for replica in r.value("dynamodbReplicaRegions") or ():
        if replica == region:
            r.problem("dynamodbReplicaRegions", replica, f"regions other than aws:region ({region})")
    if not prod:
        return
    if az_count is not None:
        r.check(
            "cacheNumNodes",
            r.value("cacheNumNodes"),
            lambda v: v >= az_count,
            f"at least {az_count} (one node per AZ) when environment is prod",
        )
    r.check("dbMultiAz", r.value("dbMultiAz"), lambda v: v is True, "true when environment is prod")
    r.check(
        "dbBackupRetentionDays",
        r.value("dbBackupRetentionDays"),
        lambda v: v >= 7,
        "at least 7 when environment is prod",
    )
    r.check(
        "cacheSnapshotRetentionDays",
        r.value("cacheSnapshotRetentionDays"),
        lambda v: v >= 1,
        "at least 1 when environment is prod",
    )
    if r.value("drRegion") == "":
        r.problem("drRegion", "", "a region for S3 replication when environment is prod")


def check_replica_zones(r: Reader, zone_names: Mapping[str, str]) -> None:
    """Every replica in one of the stack's AZs (``zone_names``: zone ID -> name; empty when the AZs are invalid)."""
    if not zone_names or not r.ok("dbReadReplicaZoneIds"):
        return
    zones = ", ".join(f"{z} ({n})" for z, n in zone_names.items())
    r.check(
        "dbReadReplicaZoneIds",
        list(r.value("dbReadReplicaZoneIds")),
        lambda v: all(z in zone_names for z in v),
        f"zone ids of the stack's AZs: {zones}",
    )
