"""Non-compliant cases for the rules that judge the job across resource types: read replicas across AZs,
public resource policies, full-admin identity policies, disabled keys, entry-point access logs and DR
replication. Each is the compliant reference platform (with :mod:`.platform_job`) with one defect.
"""

from __future__ import annotations

import json

from .builder import StackBuilder
from .platform_job import ACCOUNT, doc
from .policy_cases import Case

ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _append(b: StackBuilder, name: str, statement: dict, prop: str = "policy") -> None:
    current = json.loads(b[name].inputs[prop])
    b.set(name, **{prop: json.dumps({**current, "Statement": [*current["Statement"], statement]})})


JOB_CASES = [
    # --- read replicas ------------------------------------------------------------------------------
    Case(
        "rds-read-replicas-span-azs",
        "replicas-in-one-az",
        lambda b: b.set("catalog-replica-c", availabilityZone="us-west-2b"),
        "its 2 read replicas span 1 AZ(s) (us-west-2b); at least 2 required",
    ),
    Case(
        "rds-read-replicas-span-azs",
        "replica-az-unset",
        lambda b: b.set("catalog-replica-b", availabilityZone=None),
        "read replica catalog-replica-b has no availabilityZone",
    ),
    # --- resource policies ----------------------------------------------------------------------------
    Case(
        "resource-policies-not-public",
        "key-policy-principal-star",
        lambda b: _append(
            b, "data-key", {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
        ),
        "policy: statement 2 allows Principal * without a condition",
    ),
    Case(
        "resource-policies-not-public",
        "queue-policy-not-principal",
        lambda b: _append(
            b,
            "transcode-jobs-policy",
            {
                "Sid": "AllButMe",
                "Effect": "Allow",
                "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sqs:SendMessage",
                "Resource": "*",
            },
        ),
        "statement AllButMe allows NotPrincipal",
    ),
    Case(
        "resource-policies-not-public",
        "topic-policy-if-exists",
        # IfExists passes every request that lacks the key: it does not restrict Principal "*".
        lambda b: b.set(
            "alarms-policy",
            policy=doc(
                {
                    "Sid": "Loose",
                    "Effect": "Allow",
                    "Principal": {"AWS": ["*"]},
                    "Action": "sns:Publish",
                    "Resource": "*",
                    "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}},
                }
            ),
        ),
        "statement Loose allows Principal *",
    ),
    Case(
        "resource-policies-not-public",
        "lambda-permission-for-anyone",
        lambda b: b.add(
            "aws:lambda/permission:Permission",
            "transcoder-invoke",
            action="lambda:InvokeFunction",
            function=b.ref(b["transcoder"], "name"),
            principal="*",
        ),
        "principal is * with no sourceArn, sourceAccount or principalOrgId",
    ),
    # --- identity policies ----------------------------------------------------------------------------
    Case(
        "iam-no-full-admin-statements",
        "action-star",
        lambda b: _append(b, "transcoder-role-policy", {"Effect": "Allow", "Action": "*", "Resource": "*"}),
        'policy: statement 1 allows Action "*"',
    ),
    Case(
        "iam-no-full-admin-statements",
        "inline-not-action",
        lambda b: b.set(
            "transcoder-role",
            inlinePolicies=[
                {"name": "wide", "policy": doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})}
            ],
        ),
        "inlinePolicies[0].policy: statement 0 allows NotAction",
    ),
    Case(
        "iam-no-full-admin-statements",
        "administrator-access",
        lambda b: b.add(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "transcoder-admin",
            role=b.ref(b["transcoder-role"]),
            policyArn=ADMIN_ARN,
        ),
        "policyArn is the AWS-managed AdministratorAccess policy",
    ),
    # --- backups ----------------------------------------------------------------------------------------
    Case(
        "elasticache-backups",
        "snapshots-off",
        lambda b: b.set("sessions", snapshotRetentionLimit=0),
        "snapshotRetentionLimit is 0: automatic backups keep fewer than 7 day(s)",
    ),
    Case(
        "elasticache-backups",
        "snapshots-unset",
        lambda b: b.set("sessions", snapshotRetentionLimit=None),
        "snapshotRetentionLimit is unset (0)",
    ),
    # --- keys -----------------------------------------------------------------------------------------
    Case("kms-key-enabled", "disabled", lambda b: b.set("data-key", isEnabled=False), "isEnabled is false"),
    # --- access logs ----------------------------------------------------------------------------------
    Case(
        "entry-point-access-logs",
        "alb-logs-disabled",
        lambda b: b.patch("alb", lambda i: i["accessLogs"].update(enabled=False)),
        "accessLogs is not enabled with a bucket",
    ),
    Case(
        "entry-point-access-logs",
        "distribution-without-logging",
        lambda b: b.set("cdn", loggingConfig=None),
        "no loggingConfig bucket and no ACCESS_LOGS log delivery source",
    ),
    Case(
        "entry-point-access-logs",
        "stage-without-access-logs",
        lambda b: b.set("api-stage", accessLogSettings=None),
        "accessLogSettings has no destinationArn and format",
    ),
    # --- DR replication -------------------------------------------------------------------------------
    Case(
        "s3-bucket-dr-replication",
        "removed",
        lambda b: b.remove("uploads-replication"),
        "no BucketReplicationConfig references this bucket",
    ),
    Case(
        "s3-bucket-dr-replication",
        "prefix-only",
        lambda b: b.patch("renditions-replication", lambda i: i["rules"][0].update(filter={"prefix": "hls/"})),
        "no replication rule is Enabled for the whole bucket",
    ),
    Case(
        "s3-bucket-dr-replication",
        "role-tag-changed",
        lambda b: (b.set("renditions", tags={"BucketRole": "media"}), b.remove("renditions-replication")),
        "replicatedBucketRoles lists 'renditions' but no bucket of this stack is tagged BucketRole=renditions",
    ),
]
