"""The reference platform's read replicas, resource and identity policies, access logs and DR replication.

Added to :func:`tests.policy.platform.platform` so the compliant platform carries what the rules that judge the
job look at: replicas pinned one per AZ, key / queue / topic policies that grant only named principals or
fixed sources, a role policy that lists its actions, access logs on every entry point, a week of cache
snapshots, and in prod the uploads and renditions buckets replicated to the DR region.
"""

from __future__ import annotations

import json

from .builder import StackBuilder

ACCOUNT = "123456789012"


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def key_policy() -> str:
    return doc(
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "LogsOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": "logs.us-west-2.amazonaws.com"},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:us-west-2:{ACCOUNT}:*"}},
        },
    )


def queue_policy() -> str:
    queue = f"arn:aws:sqs:us-west-2:{ACCOUNT}:transcode-jobs"
    return doc(
        {
            "Sid": "UploadsNotify",
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue,
            "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::uploads"}},
        },
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sqs:*",
            "Resource": queue,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )


def topic_policy() -> str:
    # Principal "*" limited to this account's alarms: a fixed aws:SourceAccount restricts it.
    return doc(
        {
            "Sid": "AlarmsOfThisAccount",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": f"arn:aws:sns:us-west-2:{ACCOUNT}:alarms",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }
    )


def transcoder_policy() -> str:
    return doc(
        {
            "Sid": "ReadJobs",
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            "Resource": f"arn:aws:sqs:us-west-2:{ACCOUNT}:transcode-jobs",
        }
    )


def add_job_resources(b: StackBuilder, zones: list[str]) -> None:
    r = b.ref
    # One read replica in every AZ but the first (the primary is Multi-AZ and pins no AZ).
    for az in zones[1:]:
        b.add(
            "aws:rds/instance:Instance",
            f"catalog-replica-{az[-1]}",
            protect=True,
            replicateSourceDb=r(b["catalog-db"], "identifier"),
            availabilityZone=az,
            instanceClass="db.t4g.medium",
            publiclyAccessible=False,
            deletionProtection=True,
            parameterGroupName=r(b["pg16"], "name"),
            multiAz=False,
            backupRetentionPeriod=0,
        )
    b.set("sessions", snapshotRetentionLimit=7)
    b.set("data-key", policy=key_policy())
    b.add(
        "aws:sqs/queuePolicy:QueuePolicy",
        "transcode-jobs-policy",
        queueUrl=r(b["transcode-jobs"], "url"),
        policy=queue_policy(),
    )
    b.add("aws:sns/topicPolicy:TopicPolicy", "alarms-policy", arn=r(b["alarms"], "arn"), policy=topic_policy())
    role = b.add(
        "aws:iam/role:Role",
        "transcoder-role",
        assumeRolePolicy=doc(
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ),
    )
    b.add("aws:iam/rolePolicy:RolePolicy", "transcoder-role-policy", role=r(role), policy=transcoder_policy())
    b.set("cdn", loggingConfig={"bucket": r(b["access-logs"], "bucketDomainName"), "prefix": "cloudfront/"})
    b.set(
        "api-stage",
        accessLogSettings={"destinationArn": r(b["app-logs"], "arn"), "format": '{"requestId":"$context.requestId"}'},
    )
    if b.stack != "prod":
        return  # only prod has a DR region (policies/config/prod.json lists the replicated bucket roles)
    for role_name in ("uploads", "renditions"):
        b.add(
            "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
            f"{role_name}-replication",
            bucket=r(b[role_name]),
            role=f"arn:aws:iam::{ACCOUNT}:role/replication",
            rules=[
                {
                    "id": f"{role_name}-to-dr",
                    "status": "Enabled",
                    "filter": {},
                    "deleteMarkerReplication": {"status": "Enabled"},
                    "destination": {"bucket": f"arn:aws:s3:::{role_name}-dr"},
                }
            ],
        )
