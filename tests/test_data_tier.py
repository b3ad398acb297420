"""DataTier, as the dev and prod stacks register it, and the settings that drive it."""

from __future__ import annotations

import json

import pytest

from offline.engine import Recording, ResourceRecord, run_program
from offline.fakes import ACCOUNT_ID
from tests.graph import dep, deps, only_component, tag

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
