"""DataTier, as the dev and prod stacks register it, and the settings that drive it."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest
from streaming_platform.data.tier import BucketOptions, CacheOptions, DatabaseOptions, DataTierArgs

from offline.engine import Recording, ResourceRecord, is_unknown, run_program
from offline.fakes import ACCOUNT_ID
from settings import DataSettings, parse
from tests.graph import dep, deps, only_component, tag
from tests.test_settings import US_EAST_2, US_WEST_2, problems, raw_config

COMPONENT = "streaming:data:DataTier"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
TABLE = "aws:dynamodb/table:Table"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE_USER = "aws:elasticache/user:User"
DB = "aws:rds/instance:Instance"
DB_PARAMS = "aws:rds/parameterGroup:ParameterGroup"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
CORS = "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"

STATEFUL = (KEY, TABLE, LOG_GROUP, REDIS, DB, BUCKET)

PROD_AZS = ["us-west-2a", "us-west-2b", "us-west-2c"]
DEV_AZS = ["us-east-2a", "us-east-2b"]

PARTS = ("DataKeys", "Tables", "Cache", "Database", "Buckets")
COMMON_COUNTS = {
    COMPONENT: 1,
    **{f"streaming:data:{p}": 1 for p in PARTS},
    TABLE: 2,
    SG: 3,
    EGRESS_RULE: 2,
    "aws:elasticache/subnetGroup:SubnetGroup": 1,
    "aws:elasticache/parameterGroup:ParameterGroup": 1,
    CACHE_USER: 2,
    "aws:elasticache/userGroup:UserGroup": 1,
    REDIS: 1,
    "aws:rds/subnetGroup:SubnetGroup": 1,
    DB_PARAMS: 1,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
    CORS: 1,
}
DEV_COUNTS = {
    **COMMON_COUNTS,
    KEY: 3,
    ALIAS: 3,
    LOG_GROUP: 3,  # Redis slow log + the primary's postgresql and upgrade logs
    DB: 1,
    ROLE: 1,
    **{t: 3 for t in (BUCKET, PAB, OWNERSHIP, SSE, VERSIONING, LIFECYCLE)},  # policies: BucketPolicies
}
PROD_COUNTS = {
    **COMMON_COUNTS,
    KEY: 4,  # data, logs, media + media in the DR region
    ALIAS: 4,
    LOG_GROUP: 7,  # Redis slow log + 2 per DB instance
    DB: 3,
    ROLE: 2,
    ROLE_POLICY: 1,
    REPLICATION: 2,  # uploads and renditions
    "random:index/randomId:RandomId": 2,  # final snapshot name suffixes (PostgreSQL, Redis)
    **{t: 5 for t in (BUCKET, PAB, OWNERSHIP, SSE, VERSIONING, LIFECYCLE)},
}


def data(rec: Recording) -> Recording:
    return only_component(rec, COMPONENT)


def key_of_class(rec: Recording, data_class: str, region: str | None = None) -> ResourceRecord:
    (key,) = [k for k in rec.of_type(KEY) if tag(k, "DataClass") == data_class and k.inputs.get("region") == region]
    return key


def bucket(rec: Recording, role: str) -> ResourceRecord:
    (b,) = [b for b in rec.of_type(BUCKET) if tag(b, "BucketRole") == role]
    return b


def of_bucket(rec: Recording, type_: str, role: str) -> list[ResourceRecord]:
    return [r for r in rec.of_type(type_) if dep(rec, r, "bucket").urn == bucket(rec, role).urn]


def statements(record: ResourceRecord, prop: str = "policy") -> list[dict]:
    return json.loads(record.inputs[prop])["Statement"]


# ---- shape -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "expected"), [("dev", DEV_COUNTS), ("prod", PROD_COUNTS)])
def test_exact_resource_counts(recording, stack, expected):
    assert dict(data(recording(stack)).counts_by_type()) == expected


def test_every_child_is_parented_to_the_component_or_a_part_and_named_after_it(recording):
    rec = recording("prod")
    (component,) = rec.of_type(COMPONENT)
    assert component.parent == rec.stack_urn
    parts = [r for r in rec.children(component.urn) if r.type.startswith("streaming:data:")]
    assert sorted(p.type.rsplit(":", 1)[1] for p in parts) == sorted(PARTS)
    assert {p.name for p in parts} == {"data"}
    children = [r for r in data(rec).resources if r is not component and r not in parts]
    assert all(r.parent in {component.urn, *(p.urn for p in parts)} and r.name.startswith("data-") for r in children)
    # What stays on DataTier: the client group and the replication role.
    assert sorted((r.type, r.name) for r in rec.children(component.urn) if r.custom) == [
        ("aws:ec2/securityGroup:SecurityGroup", "data-clients"),
        ("aws:iam/role:Role", "data-replication"),
    ]


@pytest.mark.parametrize(("stack", "moved"), [("dev", 45), ("prod", 68)])
def test_the_parts_children_alias_their_0_1_urns_under_the_tier(recording, stack, moved):
    rec = recording(stack, preview=False)
    (tier,) = rec.of_type(COMPONENT)
    parts = {r.urn: r for r in rec.children(tier.urn) if r.type.startswith("streaming:data:")}
    children = [r for r in rec.resources if r.parent in parts and r.type.startswith("aws:")]
    assert len(children) == moved
    for r in children:
        old = r.urn.replace(f"::{parts[r.parent].type}$", f"::{COMPONENT}$")
        assert old != r.urn and old in r.aliases, r.name
    assert all(r.aliases == () for r in rec.children(tier.urn) if r.custom)
    # The final-snapshot ids are new after 0.1 (00c13c2 named its final snapshots without them): no alias.
    added = sorted((r.name, r.aliases) for r in rec.resources if r.parent in parts and not r.type.startswith("aws:"))
    snapshot_ids = [("data-postgres-final-snapshot", ()), ("data-redis-final-snapshot", ())]
    assert added == ([] if stack == "dev" else snapshot_ids)


# ---- KMS ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_one_rotating_key_per_data_class_with_an_alias(recording, stack):
    rec = data(recording(stack, preview=False))
    prefix = f"streaming-{stack}"
    for data_class in ("data", "logs", "media"):
        key = key_of_class(rec, data_class)
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["deletionWindowInDays"] == 30
        admin = statements(key)[0]
        assert admin["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"} and admin["Effect"] == "Allow"
        (alias,) = [a for a in rec.of_type(ALIAS) if dep(rec, a, "targetKeyId").urn == key.urn]
        assert alias.inputs["name"] == f"alias/{prefix}-{data_class}"
    assert len(statements(key_of_class(rec, "data"))) == 1


def test_logs_key_lets_only_cloudwatch_logs_of_this_account_and_region_use_it(recording):
    rec = data(recording("prod"))
    (logs,) = statements(key_of_class(rec, "logs"))[1:]
    assert logs["Principal"] == {"Service": "logs.us-west-2.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:us-west-2:{ACCOUNT_ID}:log-group:*"}
    }


def test_media_key_lets_cloudfront_oac_and_in_prod_the_replication_role_decrypt(recording):
    prod = data(recording("prod", preview=False))
    (role,) = [r for r in prod.of_type(ROLE) if r.name == "data-replication"]
    cloudfront, replication = statements(key_of_class(prod, "media"))[1:]
    assert cloudfront == {
        "Sid": "CloudFrontReadsThroughOriginAccessControl",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/*"}},
    }
    assert replication["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:role/{role.name}-{role.id[-7:]}"}
    assert replication["Action"] == "kms:Decrypt"
    assert replication["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"}}
    dev = data(recording("dev", preview=False))
    assert [s["Sid"] for s in statements(key_of_class(dev, "media"))[1:]] == [
        "CloudFrontReadsThroughOriginAccessControl"
    ]


# ---- DynamoDB ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "protected"), [("dev", False), ("prod", True)])
def test_video_table_keys_indexes_stream_and_encryption(recording, stack, protected):
    rec = data(recording(stack))
    (videos,) = [t for t in rec.of_type(TABLE) if t.name == "data-videos"]
    i = videos.inputs
    assert i["billingMode"] == "PAY_PER_REQUEST"
    assert i["hashKey"] == "videoId" and "rangeKey" not in i
    assert sorted(a["name"] for a in i["attributes"]) == ["ownerId", "uploadDay", "uploadedAt", "videoId"]
    assert i["globalSecondaryIndexes"] == [
        {
            "name": "byOwner",
            "keySchemas": [
                {"attributeName": "ownerId", "keyType": "HASH"},
                {"attributeName": "uploadedAt", "keyType": "RANGE"},
            ],
            "projectionType": "ALL",
        },
        {
            "name": "byUploadTime",
            "keySchemas": [
                {"attributeName": "uploadDay", "keyType": "HASH"},
                {"attributeName": "uploadedAt", "keyType": "RANGE"},
            ],
            "projectionType": "ALL",
        },
    ]
    assert (i["streamEnabled"], i["streamViewType"]) == (True, "NEW_AND_OLD_IMAGES")
    assert i["pointInTimeRecovery"] == {"enabled": True}
    assert i["deletionProtectionEnabled"] is protected
    assert i["serverSideEncryption"]["enabled"] is True
    assert dep(rec, videos, "serverSideEncryption").urn == key_of_class(rec, "data").urn
    assert "replicas" not in i


@pytest.mark.parametrize(("stack", "protected"), [("dev", False), ("prod", True)])
def test_session_table_expires_items_and_is_encrypted(recording, stack, protected):
    rec = data(recording(stack, preview=False))
    (sessions,) = [t for t in rec.of_type(TABLE) if t.name == "data-sessions"]
    data_key = key_of_class(rec, "data")
    assert sessions.inputs["ttl"] == {"attributeName": "expiresAt", "enabled": True}
    assert sessions.inputs["hashKey"] == "sessionId"
    assert sessions.inputs["serverSideEncryption"] == {
        "enabled": True,
        "kmsKeyArn": f"arn:aws:kms:{rec.config['aws:region']}:{ACCOUNT_ID}:key/{data_key.id}",
    }
    assert sessions.inputs["pointInTimeRecovery"] == {"enabled": True}
    assert sessions.inputs["deletionProtectionEnabled"] is protected


def test_global_table_replicas_get_a_data_key_in_their_own_region():
    rec = data(run_program("prod", config_overrides={"streaming:dynamodbReplicaRegions": '["us-east-1"]'}))
    (videos,) = [t for t in rec.of_type(TABLE) if t.name == "data-videos"]
    (replica,) = videos.inputs["replicas"]
    assert replica["regionName"] == "us-east-1"
    assert replica["pointInTimeRecovery"] is True and replica["deletionProtectionEnabled"] is True
    replica_key = key_of_class(rec, "data", "us-east-1")
    assert replica_key.inputs["enableKeyRotation"] is True and replica_key.protect
    assert [k.urn for k in deps(rec, videos, "replicas")] == [replica_key.urn]


# ---- security groups ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stores_admit_only_the_client_group_on_their_port(recording, stack):
    rec = data(recording(stack, preview=False))
    clients = rec.named("data-clients")
    assert "ingress" not in clients.inputs and "egress" not in clients.inputs
    for store, port in (("postgres", 5432), ("redis", 6379)):
        (sg,) = [s for s in rec.of_type(SG) if s.name == f"data-{store}"]
        assert sg.inputs["ingress"] == [
            {
                "protocol": "tcp",
                "fromPort": port,
                "toPort": port,
                "securityGroups": [clients.id],
                "description": f"{store} from data-clients",
            }
        ]
        assert sg.inputs["egress"] == []
        (rule,) = [r for r in rec.of_type(EGRESS_RULE) if dep(rec, r, "referencedSecurityGroupId").urn == sg.urn]
        assert dep(rec, rule, "securityGroupId").urn == clients.urn
        assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", port, port)
    text = json.dumps([r.inputs for r in rec.resources])
    assert "cidrBlocks" not in text and "cidrIpv4" not in text and "0.0.0.0/0" not in text


# ---- ElastiCache -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "node_type", "azs", "snapshots"),
    [("dev", "cache.t4g.micro", ["us-east-2a", "us-east-2b"], 1), ("prod", "cache.r7g.large", PROD_AZS, 7)],
)
def test_redis_is_multi_az_encrypted_and_spread_one_node_per_az(recording, stack, node_type, azs, snapshots):
    rec = data(recording(stack))
    (redis,) = rec.of_type(REDIS)
    i = redis.inputs
    assert {k: i[k] for k in ("engine", "engineVersion", "nodeType", "port")} == {
        "engine": "redis",
        "engineVersion": "7.1",
        "nodeType": node_type,
        "port": 6379,
    }
    assert i["numCacheClusters"] == len(azs) and i["preferredCacheClusterAzs"] == azs
    assert i["automaticFailoverEnabled"] is True and i["multiAzEnabled"] is True
    assert i["atRestEncryptionEnabled"] is True and i["transitEncryptionEnabled"] is True
    assert i["transitEncryptionMode"] == "required"
    assert "authToken" not in i
    assert dep(rec, redis, "kmsKeyId").urn == key_of_class(rec, "data").urn
    assert dep(rec, redis, "securityGroupIds").name == "data-redis"
    assert i["snapshotRetentionLimit"] == snapshots and i["snapshotWindow"] == "05:00-06:00"
    assert i["maintenanceWindow"] == "sun:06:30-sun:07:30"
    (delivery,) = i["logDeliveryConfigurations"]
    assert {k: v for k, v in delivery.items() if k != "destination"} == {
        "destinationType": "cloudwatch-logs",
        "logFormat": "json",
        "logType": "slow-log",
    }
    slow_log = dep(rec, redis, "logDeliveryConfigurations")
    assert slow_log.type == LOG_GROUP
    assert dep(rec, slow_log, "kmsKeyId").urn == key_of_class(rec, "logs").urn
    subnet_group = dep(rec, redis, "subnetGroupName")
    assert len(subnet_group.inputs["subnetIds"]) == len(azs)
    assert dep(rec, redis, "parameterGroupName").inputs["family"] == "redis7"
    assert ("finalSnapshotIdentifier" in i) is (stack == "prod")


def test_redis_users_authenticate_with_iam_and_the_default_user_is_disabled(recording):
    rec = data(recording("prod"))
    (redis,) = rec.of_type(REDIS)
    user_group = dep(rec, redis, "userGroupIds")
    assert user_group.inputs["userGroupId"] == "streaming-prod-redis"
    users = {u.inputs["userName"]: u.inputs for u in deps(rec, user_group, "userIds")}
    assert users["default"]["accessString"] == "off -@all"
    assert users["default"]["authenticationMode"] == {"type": "no-password-required"}
    app = users["streaming-prod-app"]
    assert app["userId"] == "streaming-prod-app" and app["authenticationMode"] == {"type": "iam"}
    assert not any("passwords" in u for u in users.values())


# ---- RDS ---------------------------------------------------------------------------------------------


def primary(rec: Recording) -> ResourceRecord:
    (db,) = [d for d in rec.of_type(DB) if "replicateSourceDb" not in d.inputs]
    return db


def test_postgres_parameter_group_forces_tls_for_the_major_version(recording):
    rec = data(recording("prod"))
    (params,) = rec.of_type(DB_PARAMS)
    assert params.inputs["family"] == "postgres16"
    assert params.inputs["parameters"] == [{"name": "rds.force_ssl", "value": "1"}]
    assert all(dep(rec, db, "parameterGroupName").urn == params.urn for db in rec.of_type(DB))


@pytest.mark.parametrize(("stack", "protected"), [("dev", False), ("prod", True)])
def test_postgres_primary(recording, stack, protected):
    rec = data(recording(stack))
    db = primary(rec)
    i = db.inputs
    expected = {
        "identifier": f"streaming-{stack}-postgres",
        "engine": "postgres",
        "engineVersion": "16",
        "storageType": "gp3",
        "storageEncrypted": True,
        "multiAz": True,
        "manageMasterUserPassword": True,
        "iamDatabaseAuthenticationEnabled": True,
        "publiclyAccessible": False,
        "copyTagsToSnapshot": True,
        "autoMinorVersionUpgrade": True,
        "performanceInsightsEnabled": True,
        "monitoringInterval": 60,
        "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
        "deletionProtection": protected,
        "skipFinalSnapshot": not protected,
        "backupRetentionPeriod": 14 if protected else 3,
        "allocatedStorage": 200 if protected else 20,
        "maxAllocatedStorage": 1000 if protected else 50,
        "instanceClass": "db.r7g.large" if protected else "db.t4g.medium",
    }
    assert {k: i.get(k) for k in expected} == expected
    assert "availabilityZone" not in i and "password" not in i
    # Named <identifier>-final-<RandomId hex> (unknown in preview): see tests/test_data_parts.py.
    assert ("finalSnapshotIdentifier" in i) is protected
    if protected:
        (suffix,) = deps(rec, db, "finalSnapshotIdentifier")
        assert (suffix.type, suffix.name) == ("random:index/randomId:RandomId", "data-postgres-final-snapshot")
    data_key = key_of_class(rec, "data")
    for prop in ("kmsKeyId", "masterUserSecretKmsKeyId", "performanceInsightsKmsKeyId"):
        assert dep(rec, db, prop).urn == data_key.urn, prop
    assert dep(rec, db, "vpcSecurityGroupIds").name == "data-postgres"
    assert len(dep(rec, db, "dbSubnetGroupName").inputs["subnetIds"]) == len(rec.outputs["availabilityZones"])
    role = dep(rec, db, "monitoringRoleArn")
    (trust,) = statements(role, "assumeRolePolicy")
    assert trust["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    (attachment,) = rec.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert dep(rec, attachment, "role").urn == role.urn
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


def test_prod_read_replicas_sit_outside_the_primarys_preferred_az_and_inherit_the_master_user(recording):
    rec = data(recording("prod"))
    db = primary(rec)
    preferred = tag(db, "PreferredAz")
    assert preferred == "us-west-2a"
    replicas = [d for d in rec.of_type(DB) if d is not db]
    assert len(replicas) == 2
    assert sorted(r.inputs["availabilityZone"] for r in replicas) == ["us-west-2b", "us-west-2c"]
    for replica in replicas:
        assert dep(rec, replica, "replicateSourceDb").urn == db.urn
        assert replica.inputs["availabilityZone"] != preferred
        for inherited in ("manageMasterUserPassword", "username", "dbSubnetGroupName", "engineVersion"):
            assert inherited not in replica.inputs
        assert replica.inputs["storageEncrypted"] is True
        assert "kmsKeyId" not in replica.inputs  # same-region replicas always use the source's key
        assert dep(rec, replica, "performanceInsightsKmsKeyId").urn == key_of_class(rec, "data").urn
        assert replica.inputs["deletionProtection"] is True and replica.inputs["publiclyAccessible"] is False


def test_dev_has_no_read_replicas(recording):
    assert len(data(recording("dev")).of_type(DB)) == 1


def test_every_db_instance_exports_logs_into_precreated_encrypted_groups(recording):
    rec = data(recording("prod", preview=False))
    logs_key = key_of_class(rec, "logs")
    groups = {g.inputs.get("name"): g for g in rec.of_type(LOG_GROUP)}
    for db in rec.of_type(DB):
        for log in ("postgresql", "upgrade"):
            group = groups[f"/aws/rds/instance/{db.inputs['identifier']}/{log}"]
            assert group.urn in db.dependencies
            assert group.inputs["retentionInDays"] == 365
            assert dep(rec, group, "kmsKeyId").urn == logs_key.urn


# ---- S3 ----------------------------------------------------------------------------------------------


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
