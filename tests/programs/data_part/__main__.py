"""Builds ONE part of the data tier alone, from fake inputs, for tests/test_data_parts.py.

Config: ``part:build`` names the part (keys | tables | cache | database | buckets); ``part:protect`` ("true")
builds it with protection on; ``part:replicated`` ("true") gives it its cross-region inputs (the replication role
and DR region for keys and buckets, replica regions for keys and tables, read replicas for the database).
"""

import pulumi
from streaming_platform.data.buckets import BucketOptions, BucketReplication, Buckets, BucketsArgs
from streaming_platform.data.cache import Cache, CacheArgs, CacheOptions
from streaming_platform.data.database import Database, DatabaseArgs, DatabaseOptions
from streaming_platform.data.keys import DataKeys, DataKeysArgs
from streaming_platform.data.tables import Tables, TablesArgs

config = pulumi.Config("part")
part = config.require("build")
protect = config.get_bool("protect") or False
replicated = config.get_bool("replicated") or False

KMS = "arn:aws:kms:us-east-2:111122223333:key/"
STORES = {
    "vpc_id": "vpc-0fake",
    "data_subnet_ids": ["subnet-data-a", "subnet-data-b", "subnet-data-c"],
    "availability_zones": ["us-east-2a", "us-east-2b", "us-east-2c"],
    "client_security_group_id": "sg-clients",
    "data_key_arn": KMS + "data",
    "logs_key_arn": KMS + "logs",
    "log_retention_days": 30,
    "resource_prefix": "t-prefix",
    "protect": protect,
    "tags": {"Environment": "test"},
}
ROLE_ARN = "arn:aws:iam::111122223333:role/replication"

if part == "keys":
    DataKeys(
        "t",
        DataKeysArgs(
            resource_prefix="t-prefix",
            replication_role_arn=ROLE_ARN if replicated else None,
            dr_region="us-west-2" if replicated else None,
            dynamodb_replica_regions=["eu-west-1"] if replicated else (),
            protect=protect,
            tags={"Environment": "test"},
        ),
    )
elif part == "tables":
    Tables(
        "t",
        TablesArgs(
            data_key_arn=KMS + "data",
            replica_key_arns={"eu-west-1": "arn:aws:kms:eu-west-1:111122223333:key/data"} if replicated else {},
            protect=protect,
        ),
    )
elif part == "cache":
    Cache("t", CacheArgs(options=CacheOptions(cache_num_nodes=3, cache_snapshot_retention_days=2), **STORES))
elif part == "database":
    replicas = ["us-east-2c", "us-east-2b"] if replicated else []
    options = DatabaseOptions(db_replica_availability_zones=replicas, db_engine_major_version="17")
    Database("t", DatabaseArgs(options=options, **STORES))
elif part == "buckets":
    Buckets(
        "t",
        BucketsArgs(
            media_key_arn=KMS + "media",
            replication=(
                BucketReplication(
                    dr_region="us-west-2",
                    role_arn=ROLE_ARN,
                    role_id="replication",
                    replica_key_arn="arn:aws:kms:us-west-2:111122223333:key/media",
                )
                if replicated
                else None
            ),
            options=BucketOptions(cors_allowed_origins=["https://video.example.com"] if replicated else ()),
            protect=protect,
        ),
    )
else:
    raise ValueError(f"part:build: got {part!r}; allowed: keys | tables | cache | database | buckets")
