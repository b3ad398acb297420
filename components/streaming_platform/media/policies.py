"""The media pipeline's policy documents: the queue's and its key's resource policies, the functions' trust,
and the identity statements of the transcoder, status and MediaConvert roles.

Pure functions of resolved ARNs (``refs``: uploads, renditions, mediaKey, dataKey, table, region,
partition, account, plus the per-role extras), so tests and the access checks can build them alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streaming_platform.iam import account_admin_statement, policy_document, service_trust_statement

RENDITIONS_PREFIX = "hls/"

# Actions AWS authorizes only on Resource "*": the ENI calls Lambda makes to attach a function to the
# VPC (Describe* has no resource-level permissions; Create/Delete are checked against subnets and SGs
# that Lambda picks at run time) and X-Ray's trace upload.
VPC_ENI_STATEMENT = {
    "Sid": "AttachToVpcRequiresStar",
    "Effect": "Allow",
    "Action": [
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    ],
    "Resource": "*",
}
XRAY_STATEMENT = {
    "Sid": "XRayRequiresStar",
    "Effect": "Allow",
    "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
    "Resource": "*",
}


def queue_policy(queue_arn: str, bucket_arn: str, account: str) -> str:
    """Only the uploads bucket of this account may send; nothing may use the queue without TLS."""
    return policy_document(
        [
            {
                "Sid": "UploadsBucketNotifies",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": bucket_arn},
                    "StringEquals": {"aws:SourceAccount": account},
                },
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": queue_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]
    )


def queue_key_policy(partition: str, account: str, uploads_bucket_arn: str) -> str:
    """The account administers the queue key; S3 may use it only to notify from the uploads bucket of this account."""
    return policy_document(
        [
            account_admin_statement(partition, account),
            {
                "Sid": "UploadsBucketNotifiesThroughSqs",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnEquals": {"aws:SourceArn": uploads_bucket_arn},
                },
            },
        ]
    )


def trust(service: str, account: str) -> str:
    return policy_document([service_trust_statement(service, {"StringEquals": {"aws:SourceAccount": account}})])


def s3_statements(a: Mapping[str, str], upload_prefix: str, write: bool) -> list[dict[str, Any]]:
    """Read the uploads prefix (List on that prefix only, so a vanished key is a 404, not a 403)
    and, when ``write``, write renditions under hls/."""
    out: list[dict[str, Any]] = [
        {
            "Sid": "ReadUploadsPrefix",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": f"{a['uploads']}/{upload_prefix}*",
        },
        {
            "Sid": "ListUploadsPrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": a["uploads"],
            "Condition": {"StringLike": {"s3:prefix": f"{upload_prefix}*"}},
        },
        {
            "Sid": "DecryptUploads",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": a["mediaKey"],
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{a['region']}.amazonaws.com"}},
        },
    ]
    if write:
        out += [
            {
                "Sid": "WriteRenditions",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": f"{a['renditions']}/{RENDITIONS_PREFIX}*",
            },
            {
                "Sid": "EncryptRenditions",
                "Effect": "Allow",
                "Action": "kms:GenerateDataKey",
                "Resource": a["mediaKey"],
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{a['region']}.amazonaws.com"}},
            },
        ]
    return out


def table_statements(a: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "Sid": "UpdateVideoItems",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
            "Resource": a["table"],
        },
        {
            # DynamoDB uses the table's customer managed key with the caller's permissions ("How Amazon
            # DynamoDB uses AWS KMS"): reads decrypt, writes generate data keys, both describe the key.
            "Sid": "UseTableKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            "Resource": a["dataKey"],
            "Condition": {"StringEquals": {"kms:ViaService": f"dynamodb.{a['region']}.amazonaws.com"}},
        },
    ]


def own_logs_statement(log_group_arn: str) -> dict[str, Any]:
    return {
        "Sid": "WriteOwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"{log_group_arn}:*",
    }


def transcoder_statements(a: Mapping[str, str], upload_prefix: str, write_renditions: bool) -> list[dict[str, Any]]:
    """The transcoder's role: consume the queue (moving poison messages to the DLQ), read uploads (and write
    renditions with ffmpeg), update the video items, and with MediaConvert (``a["mediaconvertRole"]`` present)
    submit jobs under that role."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ConsumeUploadQueue",
            "Effect": "Allow",
            "Action": [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueAttributes",
            ],
            "Resource": a["queue"],
        },
        {
            "Sid": "MovePoisonMessagesToTheDlq",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": a["dlq"],
        },
        {
            # Decrypt: received messages and the environment; GenerateDataKey: messages sent to the SSE-KMS DLQ.
            "Sid": "UseQueueAndEnvironmentKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": a["queueKey"],
        },
        *s3_statements(a, upload_prefix, write=write_renditions),
        *table_statements(a),
        own_logs_statement(a["logGroup"]),
        VPC_ENI_STATEMENT,
        XRAY_STATEMENT,
    ]
    if "mediaconvertRole" in a:
        statements += [
            {
                "Sid": "SubmitJobsToTheDefaultQueue",
                "Effect": "Allow",
                "Action": "mediaconvert:CreateJob",
                "Resource": f"arn:{a['partition']}:mediaconvert:{a['region']}:{a['account']}:queues/Default",
            },
            {
                "Sid": "PassOnlyTheMediaConvertRole",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": a["mediaconvertRole"],
                "Condition": {"StringEquals": {"iam:PassedToService": "mediaconvert.amazonaws.com"}},
            },
        ]
    return statements


def status_statements(r: Mapping[str, str]) -> list[dict[str, Any]]:
    """The status function's role: update the video items, dead-letter failed events, write its logs."""
    return [
        *table_statements(r),
        {
            "Sid": "DeadLetterFailedEvents",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": r["statusDlq"],
        },
        {
            "Sid": "UseQueueAndEnvironmentKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": r["queueKey"],
        },
        own_logs_statement(r["logGroup"]),
        VPC_ENI_STATEMENT,
        XRAY_STATEMENT,
    ]
