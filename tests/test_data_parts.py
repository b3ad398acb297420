"""DataKeys, Tables, Cache, Database and Buckets, each built ALONE from fake inputs (tests/programs/data_part), in
seconds: exact counts, the security-relevant inputs, and each part's argument checks."""

from __future__ import annotations

import inspect
import json

import pulumi_aws as aws
import pytest
import yaml
from streaming_platform.data import cache
from streaming_platform.data.cache import CacheArgs, CacheOptions, validate_cache_args
from streaming_platform.data.database import DatabaseArgs, DatabaseOptions, validate_database_args

from offline.engine import PROJECT_DIR
from tests.app_parts import EGRESS, LOG_GROUP, SG, counts, one
from tests.data_parts import build
from tests.graph import dep

KEY, ALIAS, TABLE = "aws:kms/key:Key", "aws:kms/alias:Alias", "aws:dynamodb/table:Table"
REDIS, DB = "aws:elasticache/replicationGroup:ReplicationGroup", "aws:rds/instance:Instance"
BUCKET, REPLICATION = "aws:s3/bucket:Bucket", "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


def statements(policy: str) -> list[dict]:
    return json.loads(policy)["Statement"]


# ---- DataKeys -------------------------------------------------------------------------------------------------


def test_keys_alone_one_rotating_key_and_alias_per_data_class():
    rec = build("keys")
    assert counts(rec) == {"streaming:data:DataKeys": 1, KEY: 3, ALIAS: 3}
    for data_class in ("data", "logs", "media"):
        key = one(rec, KEY, f"t-{data_class}-key")
        assert (key.inputs["enableKeyRotation"], key.inputs["deletionWindowInDays"]) == (True, 30)
        alias = one(rec, ALIAS, f"t-{data_class}-alias")
        assert alias.inputs["name"] == f"alias/t-prefix-{data_class}"
        assert dep(rec, alias, "targetKeyId").urn == key.urn
    sids = {k: [s.get("Sid") for s in statements(one(rec, KEY, f"t-{k}-key").inputs["policy"])] for k in ("media",)}
    assert "S3ReplicationReadsSourceObjects" not in sids["media"]  # no replication role given


def test_keys_with_replication_add_the_dr_and_replica_region_keys_and_the_role_grant():
    rec = build("keys", replicated=True)
    assert counts(rec) == {"streaming:data:DataKeys": 1, KEY: 5, ALIAS: 5}
    assert one(rec, KEY, "t-media-us-west-2-key").inputs["region"] == "us-west-2"
    assert one(rec, KEY, "t-data-eu-west-1-key").inputs["region"] == "eu-west-1"
    (grant,) = [
        s
        for s in statements(one(rec, KEY, "t-media-key").inputs["policy"])
        if s["Sid"] == "S3ReplicationReadsSourceObjects"
    ]
    assert grant["Principal"] == {"AWS": "arn:aws:iam::111122223333:role/replication"}
    assert (grant["Action"], grant["Condition"]) == (
        "kms:Decrypt",
        {"StringEquals": {"kms:ViaService": "s3.us-east-2.amazonaws.com"}},
    )


@pytest.mark.parametrize("protect", [False, True])
def test_keys_are_protected_and_retained_only_when_asked(protect):
    rec = build("keys", protect=protect)
    assert {(k.protect, k.retain_on_delete) for k in rec.of_type(KEY)} == {(protect, protect)}
    assert {a.protect for a in rec.of_type(ALIAS)} == {False}


# ---- Tables ---------------------------------------------------------------------------------------------------


def test_tables_alone_encrypt_with_the_given_key_and_keep_point_in_time_recovery():
    rec = build("tables")
    assert counts(rec) == {"streaming:data:Tables": 1, TABLE: 2}
    for name in ("t-videos", "t-sessions"):
        t = one(rec, TABLE, name)
        assert t.inputs["serverSideEncryption"] == {
            "enabled": True,
            "kmsKeyArn": "arn:aws:kms:us-east-2:111122223333:key/data",
        }
        assert t.inputs["pointInTimeRecovery"] == {"enabled": True}
        assert t.inputs["deletionProtectionEnabled"] is False
    assert "replicas" not in one(rec, TABLE, "t-videos").inputs


def test_tables_replicas_use_their_regions_key_and_protection_follows_the_argument():
    rec = build("tables", replicated=True, protect=True)
    (replica,) = one(rec, TABLE, "t-videos").inputs["replicas"]
    assert replica == {
        "regionName": "eu-west-1",
        "kmsKeyArn": "arn:aws:kms:eu-west-1:111122223333:key/data",
        "pointInTimeRecovery": True,
        "propagateTags": True,
        "deletionProtectionEnabled": True,
    }
    assert {(t.protect, t.retain_on_delete, t.inputs["deletionProtectionEnabled"]) for t in rec.of_type(TABLE)} == {
        (True, True, True)
    }


# ---- Cache ----------------------------------------------------------------------------------------------------


def test_cache_alone_registers_exactly_its_children():
    assert counts(build("cache")) == {
        "streaming:data:Cache": 1,
        SG: 1,
        EGRESS: 1,
        "aws:elasticache/subnetGroup:SubnetGroup": 1,
        "aws:elasticache/parameterGroup:ParameterGroup": 1,
        "aws:elasticache/user:User": 2,
        "aws:elasticache/userGroup:UserGroup": 1,
        LOG_GROUP: 1,
        REDIS: 1,
    }


def test_cache_admits_redis_only_from_the_client_group_over_tls():
    rec = build("cache")
    sg = one(rec, SG, "t-redis")
    (ingress,) = sg.inputs["ingress"]
    assert (ingress["fromPort"], ingress["toPort"], ingress["securityGroups"]) == (6379, 6379, ["sg-clients"])
    assert sg.inputs["egress"] == []
    rule = one(rec, EGRESS, "t-clients-to-redis")
    assert (rule.inputs["securityGroupId"], rule.inputs["fromPort"]) == ("sg-clients", 6379)
    assert dep(rec, rule, "referencedSecurityGroupId").urn == sg.urn
    group = one(rec, REDIS, "t-redis")
    assert (group.inputs["transitEncryptionEnabled"], group.inputs["transitEncryptionMode"]) == (True, "required")
    assert (group.inputs["atRestEncryptionEnabled"], group.inputs["kmsKeyId"]) == (
        True,
        "arn:aws:kms:us-east-2:111122223333:key/data",
    )
    assert dep(rec, group, "securityGroupIds").urn == sg.urn


def test_cache_spreads_its_nodes_over_the_azs_and_authenticates_with_iam():
    rec = build("cache")
    group = one(rec, REDIS, "t-redis")
    assert group.inputs["numCacheClusters"] == 3
    assert group.inputs["preferredCacheClusterAzs"] == ["us-east-2a", "us-east-2b", "us-east-2c"]
    assert group.inputs["snapshotRetentionLimit"] == 2
    app = one(rec, "aws:elasticache/user:User", "t-redis-app-user")
    assert (app.inputs["userId"], app.inputs["userName"], app.inputs["authenticationMode"]) == (
        "t-prefix-app",
        "t-prefix-app",
        {"type": "iam"},
    )
    default = one(rec, "aws:elasticache/user:User", "t-redis-default-user")
    assert default.inputs["accessString"] == "off -@all"
    log = one(rec, LOG_GROUP, "t-redis-slow-log")
    assert (log.inputs["retentionInDays"], log.inputs["kmsKeyId"]) == (
        30,
        "arn:aws:kms:us-east-2:111122223333:key/logs",
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"availability_zones": ["us-east-2a"]}, "CacheArgs.availability_zones: got ['us-east-2a'] for 3 data subnets"),
        ({"options": CacheOptions(cache_num_nodes=1)}, "CacheOptions.cache_num_nodes: got 1; allowed: at least 2"),
    ],
)
def test_cache_rejects_contradictory_arguments(changes, expected):
    args = {
        "vpc_id": "vpc",
        "data_subnet_ids": ["a", "b", "c"],
        "availability_zones": ["us-east-2a", "us-east-2b", "us-east-2c"],
        "client_security_group_id": "sg",
        "data_key_arn": "k",
        "logs_key_arn": "l",
    }
    (problem,) = validate_cache_args(CacheArgs(**{**args, **changes}))
    assert problem.startswith(expected)


# ---- Database -------------------------------------------------------------------------------------------------


def test_database_alone_registers_exactly_its_children():
    assert counts(build("database")) == {
        "streaming:data:Database": 1,
        SG: 1,
        EGRESS: 1,
        "aws:rds/subnetGroup:SubnetGroup": 1,
        "aws:rds/parameterGroup:ParameterGroup": 1,
        "aws:iam/role:Role": 1,
        ATTACHMENT: 1,
        LOG_GROUP: 2,
        DB: 1,
    }


def test_database_forces_tls_iam_auth_and_encrypts_with_the_data_key():
    rec = build("database")
    params = one(rec, "aws:rds/parameterGroup:ParameterGroup", "t-postgres-params")
    assert (params.inputs["family"], params.inputs["parameters"]) == (
        "postgres17",
        [{"name": "rds.force_ssl", "value": "1"}],
    )
    db = one(rec, DB, "t-postgres")
    key = "arn:aws:kms:us-east-2:111122223333:key/data"
    assert (db.inputs["identifier"], db.inputs["kmsKeyId"], db.inputs["masterUserSecretKmsKeyId"]) == (
        "t-prefix-postgres",
        key,
        key,
    )
    assert db.inputs["iamDatabaseAuthenticationEnabled"] is True and db.inputs["publiclyAccessible"] is False
    assert db.inputs["multiAz"] is True and "availabilityZone" not in db.inputs
    assert dep(rec, db, "vpcSecurityGroupIds").name == "t-postgres"
    groups = {one(rec, LOG_GROUP, f"t-postgres-{log}-logs").inputs["name"] for log in ("postgresql", "upgrade")}
    assert groups == {"/aws/rds/instance/t-prefix-postgres/postgresql", "/aws/rds/instance/t-prefix-postgres/upgrade"}


def test_database_replicas_sit_exactly_in_the_azs_given_in_order():
    rec = build("database", replicated=True)
    assert counts(rec)[DB] == 3 and counts(rec)[LOG_GROUP] == 6
    primary = one(rec, DB, "t-postgres")
    # Given as [us-east-2c, us-east-2b]: not round-robin over the other AZs (which would put replica-1 in 2b).
    for i, az in ((1, "us-east-2c"), (2, "us-east-2b")):
        replica = one(rec, DB, f"t-postgres-replica-{i}")
        assert dep(rec, replica, "replicateSourceDb").urn == primary.urn
        assert replica.inputs["availabilityZone"] == az
        assert "kmsKeyId" not in replica.inputs and "manageMasterUserPassword" not in replica.inputs


def test_protected_replicas_are_not_retained_but_the_primary_is():
    rec = build("database", replicated=True, protect=True)
    assert {(r.name, r.protect, r.retain_on_delete, r.inputs["deletionProtection"]) for r in rec.of_type(DB)} == {
        ("t-postgres", True, True, True),
        ("t-postgres-replica-1", True, False, True),
        ("t-postgres-replica-2", True, False, True),
    }


def test_database_rejects_a_subnet_per_az_mismatch():
    args = DatabaseArgs(
        vpc_id="vpc",
        data_subnet_ids=["a"],
        availability_zones=["us-east-2a", "us-east-2b"],
        client_security_group_id="sg",
        data_key_arn="k",
        logs_key_arn="l",
    )
    assert validate_database_args(args) == [
        "DatabaseArgs.availability_zones: got ['us-east-2a', 'us-east-2b'] for 1 data subnets; "
        "allowed: at least 2 AZs, one data subnet per AZ"
    ]


def test_database_rejects_a_replica_outside_its_azs():
    args = DatabaseArgs(
        vpc_id="vpc",
        data_subnet_ids=["a", "b"],
        availability_zones=["us-east-2a", "us-east-2b"],
        client_security_group_id="sg",
        data_key_arn="k",
        logs_key_arn="l",
        options=DatabaseOptions(db_replica_availability_zones=["us-east-2b", "us-east-2c"]),
    )
    assert validate_database_args(args) == [
        "DatabaseOptions.db_replica_availability_zones: got ['us-east-2b', 'us-east-2c']; "
        "allowed: AZs of the database's subnets (us-east-2a, us-east-2b)"
    ]


# ---- Buckets --------------------------------------------------------------------------------------------------


def test_buckets_alone_three_buckets_without_replication():
    rec = build("buckets")
    assert counts(rec) == {
        "streaming:data:Buckets": 1,
        BUCKET: 3,
        **{
            f"aws:s3/{t}:{t[0].upper()}{t[1:]}": 3
            for t in (
                "bucketPublicAccessBlock",
                "bucketOwnershipControls",
                "bucketServerSideEncryptionConfiguration",
                "bucketVersioning",
                "bucketLifecycleConfiguration",
            )
        },
    }
    assert {b.inputs["forceDestroy"] for b in rec.of_type(BUCKET)} == {True}


def test_buckets_encrypt_media_with_the_media_key_and_logs_with_sse_s3():
    rec = build("buckets")
    sse = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    for role in ("uploads", "renditions"):
        (rule,) = one(rec, sse, f"t-{role}").inputs["rules"]
        assert rule["applyServerSideEncryptionByDefault"] == {
            "sseAlgorithm": "aws:kms",
            "kmsMasterKeyId": "arn:aws:kms:us-east-2:111122223333:key/media",
        }
    (logs,) = one(rec, sse, "t-logs").inputs["rules"]
    assert logs["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}


def test_buckets_replicate_uploads_and_renditions_with_the_given_role_and_key():
    rec = build("buckets", replicated=True, protect=True)
    assert counts(rec)[BUCKET] == 5 and counts(rec)[REPLICATION] == 2
    for role in ("uploads", "renditions"):
        config = one(rec, REPLICATION, f"t-{role}-replication")
        assert config.inputs["role"] == "arn:aws:iam::111122223333:role/replication"
        (rule,) = config.inputs["rules"]
        assert rule["destination"]["encryptionConfiguration"] == {
            "replicaKmsKeyId": "arn:aws:kms:us-west-2:111122223333:key/media"
        }
        assert dep(rec, config, "bucket").name == f"t-{role}"
        assert one(rec, BUCKET, f"t-{role}-dr").inputs["region"] == "us-west-2"
    assert {(b.protect, b.retain_on_delete, b.inputs["forceDestroy"]) for b in rec.of_type(BUCKET)} == {
        (True, True, False)
    }


# ---- final snapshots ------------------------------------------------------------------------------------------

RANDOM_ID = "random:index/randomId:RandomId"


@pytest.mark.parametrize(
    ("part", "store_type", "store", "identifier", "keepers"),
    [
        (
            "database",
            DB,
            "t-postgres",
            "t-prefix-postgres",
            {
                "identifier": "t-prefix-postgres",
                "kmsKeyId": "arn:aws:kms:us-east-2:111122223333:key/data",
                "dbName": "streaming",
                "username": "streaming_admin",
                "availabilityZone": "",
            },
        ),
        ("cache", REDIS, "t-redis", "t-prefix-redis", None),
    ],
)
def test_a_protected_store_names_its_final_snapshot_after_a_random_id_replaced_with_it(
    part, store_type, store, identifier, keepers
):
    rec = build(part, protect=True)
    (suffix,) = rec.of_type(RANDOM_ID)
    assert (suffix.name, suffix.inputs["byteLength"]) == (f"{store}-final-snapshot", 4)
    record = one(rec, store_type, store)
    name = record.inputs["finalSnapshotIdentifier"]
    # A fixed name (t-prefix-postgres-final) collides with the snapshot of the previous deletion or replacement.
    assert name.startswith(f"{identifier}-final-") and len(name) == len(identifier) + len("-final-") + 8
    assert suffix.urn in record.property_dependencies["finalSnapshotIdentifier"]
    if keepers is not None:
        assert suffix.inputs["keepers"] == keepers
    else:  # the cache's keepers follow its key, subnet group and port
        assert set(suffix.inputs["keepers"]) == {"kmsKeyId", "subnetGroupName", "port"}
        assert (
            one(rec, "aws:elasticache/subnetGroup:SubnetGroup", "t-redis-subnets").urn
            in (suffix.property_dependencies["keepers"])
        )


def test_two_deployments_of_a_store_draw_different_final_snapshot_names():
    # The suffix is the RandomId's, drawn per resource: two stores (or a store and its replacement) differ.
    postgres = one(build("database", protect=True), DB, "t-postgres").inputs["finalSnapshotIdentifier"]
    redis = one(build("cache", protect=True), REDIS, "t-redis").inputs["finalSnapshotIdentifier"]
    assert postgres.rsplit("-", 1)[1] != redis.rsplit("-", 1)[1]


@pytest.mark.parametrize(("part", "store_type", "store"), [("database", DB, "t-postgres"), ("cache", REDIS, "t-redis")])
def test_an_unprotected_store_takes_no_final_snapshot(part, store_type, store):
    rec = build(part)
    assert rec.of_type(RANDOM_ID) == []
    assert "finalSnapshotIdentifier" not in one(rec, store_type, store).inputs


# ---- documented limits ----------------------------------------------------------------------------------------


def test_the_redis_az_spread_is_documented_as_holding_at_creation_only():
    # The citation stays true: the installed SDK's reference still says the provider ignores it on update.
    sdk = inspect.getdoc(aws.elasticache.ReplicationGroupArgs.preferred_cache_cluster_azs.fget) or ""
    assert sdk.endswith("Ignored when updating.")
    declared = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["config"]["cacheNumNodes"]["description"]
    assert "at creation only" in declared and "Ignored when updating" in declared
    assert "The AZ spread holds at creation only" in (cache.__doc__ or "")
