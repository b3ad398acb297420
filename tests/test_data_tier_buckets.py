"""DataTier as the dev and prod stacks register it, continued: the buckets (policies, public access, keys,
lifecycle, CORS, DR replication), protection, the exported outputs and the data settings (test_data_tier.py
holds the counts, keys, tables, cache and database)."""

from __future__ import annotations

from dataclasses import fields

import pytest
from streaming_platform.data.tier import BucketOptions, CacheOptions, DatabaseOptions, DataTierArgs

from offline.engine import is_unknown, run_program
from offline.fakes import ACCOUNT_ID
from settings import DataSettings, parse
from tests.graph import dep, tag
from tests.test_data_tier import (
    ALIAS,
    BUCKET,
    BUCKET_POLICY,
    CORS,
    LIFECYCLE,
    OWNERSHIP,
    PAB,
    REPLICATION,
    ROLE_POLICY,
    SSE,
    STATEFUL,
    VERSIONING,
    bucket,
    data,
    key_of_class,
    of_bucket,
    primary,
    statements,
)
from tests.test_settings import US_EAST_2, US_WEST_2, problems, raw_config


@pytest.mark.parametrize(("stack", "roles"), [("dev", ["logs", "renditions", "uploads"]), ("prod", None)])
def test_each_bucket_has_exactly_one_policy_with_a_tls_only_deny(recording, stack, roles):
    rec = recording(stack, preview=False)  # the policies are BucketPolicies' children, beside DataTier
    expected = roles or ["logs", "renditions", "renditions-dr", "uploads", "uploads-dr"]
    assert sorted(tag(b, "BucketRole") for b in rec.of_type(BUCKET)) == expected
    assert len(rec.of_type(BUCKET_POLICY)) == len(expected)
    for role in expected:
        b = bucket(rec, role)
        (policy,) = of_bucket(rec, BUCKET_POLICY, role)
        arn = f"arn:aws:s3:::{b.name}-{b.id[-7:]}"
        # Statements other components add (ALB log delivery: tests/test_app_tier.py; edge OAC: tests/test_edge.py)
        # are asserted there.
        others = ("ElbWritesAccessLogs", "CloudFrontReadsThroughOac")
        assert [s for s in statements(policy) if s.get("Sid") not in others] == [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
        assert policy.inputs.get("region") == b.inputs.get("region")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_bucket_blocks_public_access_and_is_versioned(recording, stack):
    rec = data(recording(stack))
    for b in rec.of_type(BUCKET):
        role = tag(b, "BucketRole")
        (pab,) = of_bucket(rec, PAB, role)
        assert {k: pab.inputs[k] for k in pab.inputs if k not in ("bucket", "region")} == {
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        }
        (versioning,) = of_bucket(rec, VERSIONING, role)
        assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
        (ownership,) = of_bucket(rec, OWNERSHIP, role)
        expected = "BucketOwnerPreferred" if role == "logs" else "BucketOwnerEnforced"
        assert ownership.inputs["rule"] == {"objectOwnership": expected}
        assert b.inputs["forceDestroy"] is (stack == "dev")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_media_buckets_use_the_media_key_and_the_log_bucket_sse_s3_with_its_tag(recording, stack):
    rec = data(recording(stack))
    media = key_of_class(rec, "media")
    for role in ("uploads", "renditions"):
        (sse,) = of_bucket(rec, SSE, role)
        (rule,) = sse.inputs["rules"]
        assert rule["bucketKeyEnabled"] is True
        assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
        assert dep(rec, sse, "rules").urn == media.urn
        assert tag(bucket(rec, role), "LogDelivery") is None
    (sse,) = of_bucket(rec, SSE, "logs")
    assert sse.inputs["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    assert tag(bucket(rec, "logs"), "LogDelivery") == "sse-s3"


ABORT = {
    "id": "abort-incomplete-multipart-uploads",
    "status": "Enabled",
    "filter": {},
    "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
}
NONCURRENT = {
    "id": "expire-noncurrent-versions",
    "status": "Enabled",
    "filter": {},
    "noncurrentVersionExpiration": {"noncurrentDays": 30},
}


@pytest.mark.parametrize(("stack", "log_days"), [("dev", 30), ("prod", 400)])
def test_lifecycle_rules(recording, stack, log_days):
    rec = data(recording(stack))
    rules = {role: of_bucket(rec, LIFECYCLE, role)[0].inputs["rules"] for role in ("uploads", "renditions", "logs")}
    assert rules["uploads"] == [
        ABORT,
        NONCURRENT,
        {
            "id": "raw-to-glacier-ir",
            "status": "Enabled",
            "filter": {},
            "transitions": [{"days": 30, "storageClass": "GLACIER_IR"}],
        },
    ]
    assert rules["renditions"] == [
        ABORT,
        NONCURRENT,
        {
            "id": "renditions-to-intelligent-tiering",
            "status": "Enabled",
            "filter": {"objectSizeGreaterThan": 131072},
            "transitions": [{"days": 0, "storageClass": "INTELLIGENT_TIERING"}],
        },
    ]
    assert rules["logs"] == [
        ABORT,
        NONCURRENT,
        {"id": "expire-logs", "status": "Enabled", "filter": {}, "expiration": {"days": log_days}},
    ]


@pytest.mark.parametrize(
    ("stack", "origins"),
    [("dev", ["https://dev.video.example.com", "http://localhost:3000"]), ("prod", ["https://video.example.com"])],
)
def test_uploads_accept_browser_presigned_puts_from_the_configured_origins(recording, stack, origins):
    rec = data(recording(stack))
    (cors,) = of_bucket(rec, CORS, "uploads")
    assert cors.inputs["corsRules"] == [
        {
            "id": "browser-presigned-put",
            "allowedMethods": ["PUT"],
            "allowedOrigins": origins,
            "allowedHeaders": ["content-type", "content-md5", "x-amz-*"],
            "exposeHeaders": ["ETag"],
            "maxAgeSeconds": 3000,
        }
    ]


def test_prod_replicates_uploads_to_a_dr_bucket_encrypted_with_a_dr_region_key(recording):
    rec = data(recording("prod", preview=False))
    (replication,) = [r for r in rec.of_type(REPLICATION) if r.name == "data-uploads-replication"]
    source, destination = bucket(rec, "uploads"), bucket(rec, "uploads-dr")
    dr_key = key_of_class(rec, "media", "us-east-2")
    assert destination.inputs["region"] == "us-east-2"
    assert dep(rec, replication, "bucket").urn == source.urn
    dest_arn = f"arn:aws:s3:::{destination.name}-{destination.id[-7:]}"
    assert replication.inputs["rules"] == [
        {
            "id": "uploads-to-us-east-2",
            "status": "Enabled",
            "priority": 1,
            "filter": {},
            "deleteMarkerReplication": {"status": "Enabled"},
            "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": "Enabled"}},
            "destination": {
                "bucket": dest_arn,
                "storageClass": "STANDARD",
                "encryptionConfiguration": {"replicaKmsKeyId": f"arn:aws:kms:us-east-2:{ACCOUNT_ID}:key/{dr_key.id}"},
                "metrics": {"status": "Enabled", "eventThreshold": {"minutes": 15}},
            },
        }
    ]
    versionings = {of_bucket(rec, VERSIONING, r)[0].urn for r in ("uploads", "uploads-dr")}
    assert versionings <= set(replication.dependencies)
    (dr_lifecycle,) = of_bucket(rec, LIFECYCLE, "uploads-dr")
    assert dr_lifecycle.inputs["rules"] == of_bucket(rec, LIFECYCLE, "uploads")[0].inputs["rules"]
    assert dr_lifecycle.inputs["region"] == "us-east-2"
    (dr_sse,) = of_bucket(rec, SSE, "uploads-dr")
    assert dep(rec, dr_sse, "rules").urn == dr_key.urn and dr_sse.inputs["region"] == "us-east-2"
    (alias,) = [a for a in rec.of_type(ALIAS) if dep(rec, a, "targetKeyId").urn == dr_key.urn]
    assert alias.inputs["region"] == "us-east-2"

    role = dep(rec, replication, "role")
    (trust,) = statements(role, "assumeRolePolicy")
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    (role_policy,) = rec.of_type(ROLE_POLICY)
    assert dep(rec, role_policy, "role").urn == role.urn
    src_arn = f"arn:aws:s3:::{source.name}-{source.id[-7:]}"
    media = key_of_class(rec, "media")
    # The renditions bucket replicates the same way, under Sids suffixed "Renditions" (unique per policy).
    renditions_sids = [s["Sid"] for s in statements(role_policy) if s["Sid"].endswith("Renditions")]
    assert renditions_sids == [
        "ReadReplicationConfigurationRenditions",
        "ReadSourceObjectVersionsRenditions",
        "WriteReplicasRenditions",
    ]
    assert [s for s in statements(role_policy) if s["Sid"] not in renditions_sids] == [
        {
            "Sid": "ReadReplicationConfiguration",
            "Effect": "Allow",
            "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            "Resource": src_arn,
        },
        {
            "Sid": "ReadSourceObjectVersions",
            "Effect": "Allow",
            "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
            "Resource": f"{src_arn}/*",
        },
        {
            "Sid": "WriteReplicas",
            "Effect": "Allow",
            "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
            "Resource": f"{dest_arn}/*",
        },
        {
            "Sid": "DecryptSourceObjects",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": f"arn:aws:kms:us-west-2:{ACCOUNT_ID}:key/{media.id}",
            "Condition": {"StringLike": {"kms:ViaService": "s3.us-west-2.amazonaws.com"}},
        },
        {
            "Sid": "EncryptReplicas",
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:Decrypt"],  # Decrypt: the replicas' S3 Bucket Keys
            "Resource": f"arn:aws:kms:us-east-2:{ACCOUNT_ID}:key/{dr_key.id}",
            "Condition": {"StringLike": {"kms:ViaService": "s3.us-east-2.amazonaws.com"}},
        },
    ]
    for statement in statements(role_policy):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any("*" in a for a in actions)
        assert statement["Resource"] != "*"


def test_dev_does_not_replicate(recording):
    rec = data(recording("dev"))
    assert rec.of_type(REPLICATION) == [] and rec.of_type(ROLE_POLICY) == []


# ---- protection and outputs --------------------------------------------------------------------------


def test_prod_protects_and_retains_every_stateful_resource_and_dev_nothing(recording):
    prod, dev = data(recording("prod")), data(recording("dev"))
    for type_ in STATEFUL:
        assert prod.of_type(type_), type_
        for record in prod.of_type(type_):
            # Read replicas are copies: protected, but deleted (not left running) when removed from the program.
            replica = "replicateSourceDb" in record.inputs
            assert (record.protect, record.retain_on_delete) == (True, not replica), record.name
    for record in prod.resources:
        if record.type not in STATEFUL:
            assert not record.protect, record.name
    assert not any(r.protect or r.retain_on_delete for r in dev.resources)


def test_stack_exports_the_data_tier_outputs(recording):
    rec = recording("prod", preview=False)
    d = data(rec)
    outputs = rec.outputs
    assert outputs["dataClientSecurityGroupId"] == d.named("data-clients").id
    assert set(outputs["kmsKeyArns"]) == {"data", "logs", "media", "media-us-east-2"}
    roles = {"uploads", "renditions", "logs", "uploads-dr", "renditions-dr"}
    assert set(outputs["bucketArns"]) == set(outputs["bucketNames"]) == roles
    assert outputs["bucketNames"]["uploads"] == f"{bucket(d, 'uploads').name}-{bucket(d, 'uploads').id[-7:]}"
    assert outputs["redisUserGroupId"] == "streaming-prod-redis"
    assert outputs["videoTableName"] == f"data-videos-{d.named('data-videos').id[-7:]}"
    # Endpoints and the RDS-managed secret are computed by AWS: exported, known after the update.
    outputs = recording("prod").outputs
    assert len(outputs["dbReaderEndpoints"]) == 2
    for name in ("sessionTableName", "redisPrimaryEndpoint", "dbEndpoint", "dbMasterSecretArn"):
        assert is_unknown(outputs[name]), name


# ---- settings ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"dbEngineMajorVersion": "16.4"},
            "streaming:dbEngineMajorVersion: got '16.4'; allowed: a PostgreSQL major version without minor",
        ),
        ({"dbEngineMajorVersion": "12"}, "streaming:dbEngineMajorVersion: got '12'; allowed: a PostgreSQL major"),
        ({"dbMultiAz": "yes"}, "streaming:dbMultiAz: got 'yes'; allowed: true or false"),
        ({"dbAllocatedStorageGb": 10}, "streaming:dbAllocatedStorageGb: got 10; allowed: an integer from 20 to 65536"),
        (
            {"dbAllocatedStorageGb": 100, "dbMaxAllocatedStorageGb": 50},
            "streaming:dbMaxAllocatedStorageGb: got 50; allowed: at least dbAllocatedStorageGb (100)",
        ),
        (
            {"dbMaxAllocatedStorageGb": 70000},
            "streaming:dbMaxAllocatedStorageGb: got 70000; allowed: an integer from 20 to 65536",
        ),
        ({"dbBackupRetentionDays": 0}, "streaming:dbBackupRetentionDays: got 0; allowed: an integer from 1 to 35"),
        ({"dbBackupRetentionDays": 36}, "streaming:dbBackupRetentionDays: got 36; allowed: an integer from 1 to 35"),
        (
            {"dbReadReplicaZoneIds": ["usw2-az2"] * 6},
            "streaming:dbReadReplicaZoneIds: got ['usw2-az2', 'usw2-az2', 'usw2-az2', 'usw2-az2', 'usw2-az2', "
            "'usw2-az2']; allowed: at most 5 replicas",
        ),
        ({"dbReadReplicaZoneIds": ["us-west-2b"]}, "streaming:dbReadReplicaZoneIds: got 'us-west-2b'; allowed: zone"),
        ({"cacheNumNodes": 1}, "streaming:cacheNumNodes: got 1; allowed: an integer from 2 to 6"),
        ({"cacheNumNodes": 7}, "streaming:cacheNumNodes: got 7; allowed: an integer from 2 to 6"),
        ({"cacheSnapshotRetentionDays": 36}, "streaming:cacheSnapshotRetentionDays: got 36; allowed: an integer"),
        ({"dataLogRetentionDays": 10}, "streaming:dataLogRetentionDays: got 10; allowed: one of 1, 3, 5"),
        ({"drRegion": "mars-1"}, "streaming:drRegion: got 'mars-1'; allowed: an AWS region name"),
        ({"drRegion": "us-east-2"}, "streaming:drRegion: got 'us-east-2'; allowed: a region other than aws:region"),
        (
            {"dynamodbReplicaRegions": ["us-east-2"]},
            "streaming:dynamodbReplicaRegions: got 'us-east-2'; allowed: regions other than aws:region (us-east-2)",
        ),
        (
            {"dynamodbReplicaRegions": ["us-west-2", "us-west-2"]},
            "streaming:dynamodbReplicaRegions: got ['us-west-2', 'us-west-2']; allowed: each region once",
        ),
        ({"rawToGlacierIrDays": 0}, "streaming:rawToGlacierIrDays: got 0; allowed: an integer from 1 to 3650"),
        ({"logBucketExpirationDays": 0}, "streaming:logBucketExpirationDays: got 0; allowed: an integer from 1"),
        (
            {"corsAllowedOrigins": ["https://*.example.com"]},
            "streaming:corsAllowedOrigins: got 'https://*.example.com'; allowed: origins such as",
        ),
        (
            {"corsAllowedOrigins": ["http://video.example.com"]},
            "streaming:corsAllowedOrigins: got 'http://video.example.com'; allowed: origins such as",
        ),
        (
            {"corsAllowedOrigins": ["https://video.example.com/upload"]},
            "streaming:corsAllowedOrigins: got 'https://video.example.com/upload'; allowed: origins",
        ),
    ],
)
def test_each_data_rule_rejects_a_bad_value_naming_the_key(overrides, expected):
    found = problems(**overrides)  # dev config, region us-east-2
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"cacheNumNodes": 2},
            "streaming:cacheNumNodes: got 2; allowed: at least 3 (one node per AZ) when environment is prod",
        ),
        ({"dbMultiAz": False}, "streaming:dbMultiAz: got False; allowed: true when environment is prod"),
        (
            {"dbBackupRetentionDays": 6},
            "streaming:dbBackupRetentionDays: got 6; allowed: at least 7 when environment is prod",
        ),
        (
            {"cacheSnapshotRetentionDays": 0},
            "streaming:cacheSnapshotRetentionDays: got 0; allowed: at least 1 when environment is prod",
        ),
        ({"drRegion": ""}, "streaming:drRegion: got ''; allowed: a region for S3 replication when environment is prod"),
        ({"drRegion": None}, "streaming:drRegion: got ''; allowed: a region for S3 replication when"),
    ],
)
def test_prod_cannot_weaken_the_data_tier(overrides, expected):
    found = problems("prod", **overrides)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_the_same_data_settings_are_allowed_outside_prod():
    settings = parse(
        raw_config("dev", dbMultiAz=False, dbBackupRetentionDays=1, cacheSnapshotRetentionDays=0),
        stack="dev",
        region_azs=US_EAST_2,
    )
    assert settings.data.db_multi_az is False and settings.data.dr_region == ""


def test_data_settings_per_stack():
    dev = parse(raw_config("dev"), stack="dev", region_azs=US_EAST_2).data
    prod = parse(raw_config("prod"), stack="prod", region_azs=US_WEST_2).data
    assert (dev.cache_num_nodes, dev.db_read_replica_zone_ids, dev.dr_region) == (2, (), "")
    assert (prod.cache_num_nodes, prod.db_read_replica_zone_ids, prod.dr_region) == (
        3,
        ("usw2-az2", "usw2-az3"),
        "us-east-2",
    )
    assert dev.db_engine_major_version == prod.db_engine_major_version == "16"
    assert prod.db_backup_retention_days >= 7 and prod.db_multi_az


def test_single_az_primary_is_pinned_to_the_first_az():
    rec = data(run_program("dev", config_overrides={"streaming:dbMultiAz": "false"}))
    db = primary(rec)
    assert db.inputs["multiAz"] is False and db.inputs["availabilityZone"] == "us-east-2a"


def test_every_data_setting_is_a_data_tier_argument():
    # DataSettings.to_args passes every field into DataTierArgs or one of its options objects, and takes its
    # default from there.
    owners = (DataTierArgs, DatabaseOptions, CacheOptions, BucketOptions)
    by_field = {f.name: (o, f) for o in owners for f in fields(o) if f.name not in ("database", "cache", "buckets")}
    # dbReadReplicaZoneIds names zones; to_args resolves them to db_replica_availability_zones (AZ names).
    assert set(DataSettings.model_fields) - set(by_field) == {"db_read_replica_zone_ids"}
    assert by_field["db_replica_availability_zones"][1].default == ()
    for name, info in DataSettings.model_fields.items():
        if name == "db_read_replica_zone_ids":
            assert info.default == ()
            continue
        default = by_field[name][1].default
        if name == "dr_region":  # None in the Args ("no replication"); "" in the config key, mapped by to_args
            assert (info.default, default) == ("", None)
            continue
        assert info.default == (tuple(default) if isinstance(default, tuple | list) else default), name
