"""MediaPipeline: uploads -> S3 event -> SQS -> transcoder Lambda -> HLS renditions, with no upload lost.

The uploads bucket notifies an SSE-KMS queue (ObjectCreated, filtered by prefix and suffix). The
transcoder Lambda consumes it from the private-app subnets of every AZ and reports partial batch
failures; a message that keeps failing moves to a dead-letter queue after ``max_receive_count``
receives, where an alarm sees it. Two backends, chosen with ``TranscodeBackend``:

* ``mediaconvert`` submits an HLS ABR job to AWS Elemental MediaConvert under a role of its own; an
  EventBridge rule on the job's COMPLETE / ERROR state change invokes a status function.
* ``ffmpeg`` transcodes inside the function with an ffmpeg binary from a Lambda layer. Limits: 250 MB
  unzipped for the function plus its layers, at most 10 GB of ``/tmp`` (``ephemeral_storage``) for the
  source and its renditions, and 15 minutes per invocation. Longer or larger uploads need mediaconvert.

The function code is ``transcoder/`` beside this module, shipped as package data and tested against moto;
this module owns the uploads bucket's one ``BucketNotification``.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent
from streaming_platform.iam import account_admin_statement, policy_document, service_trust_statement

# The Lambda code ships inside this package (package data), so an installed library finds it too.
FUNCTION_CODE_DIR = Path(str(importlib.resources.files("streaming_platform.media") / "transcoder"))
LAMBDA_RUNTIME = "python3.12"
LAMBDA_MAX_TIMEOUT_SECONDS = 900
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # the SQS maximum
QUEUE_RETENTION_SECONDS = 4 * 24 * 3600  # shorter than the DLQ's: a moved message keeps its enqueue time
# SQS's advice for Lambda consumers: visibility timeout at least 6x the function timeout, so a
# message is not redelivered while throttled retries of one batch are still running.
VISIBILITY_TIMEOUT_FACTOR = 6
RENDITIONS_PREFIX = "hls/"
LAYER_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:layer:[A-Za-z0-9_-]{1,140}:\d+$")


class TranscodeBackend(StrEnum):
    """Who transcodes. MEDIACONVERT: AWS Elemental MediaConvert (any length or size; billed per output
    minute). FFMPEG: the function itself with an ffmpeg layer (cheap for short clips; bounded by 15 minutes,
    10 GB of /tmp and 250 MB of code)."""

    MEDIACONVERT = "mediaconvert"
    FFMPEG = "ffmpeg"


@dataclass
class MediaPipelineArgs:
    """Inputs of MediaPipeline. Resource ids and ARNs are Inputs; everything else is a plain setting."""

    vpc_id: pulumi.Input[str]
    app_subnet_ids: Sequence[pulumi.Input[str]]
    """Private-app subnet ids, one per AZ in the order of ``availability_zones``; the functions run in all."""

    availability_zones: Sequence[str]
    uploads_bucket_name: pulumi.Input[str]
    uploads_bucket_arn: pulumi.Input[str]
    renditions_bucket_name: pulumi.Input[str]
    renditions_bucket_arn: pulumi.Input[str]
    media_key_arn: pulumi.Input[str]
    """KMS key of the uploads and renditions buckets (DataTier ``key_arns["media"]``)."""

    data_key_arn: pulumi.Input[str]
    """KMS key of the metadata table (DataTier ``key_arns["data"]``)."""

    logs_key_arn: pulumi.Input[str]
    """KMS key for the functions' log groups (DataTier ``key_arns["logs"]``)."""

    video_table_name: pulumi.Input[str]
    video_table_arn: pulumi.Input[str]

    backend: TranscodeBackend = TranscodeBackend.MEDIACONVERT
    """Default: MediaConvert, which has no length or size ceiling. FFMPEG needs ``ffmpeg_layer_arn``."""

    ffmpeg_layer_arn: str | None = None
    """Lambda layer version with ``bin/ffmpeg`` (mounted at ``/opt/bin/ffmpeg``), x86_64. Required for FFMPEG."""

    mediaconvert_endpoint: str | None = None
    """The account's MediaConvert endpoint. Default: the SDK's regional endpoint (no DescribeEndpoints)."""

    upload_prefix: str = "uploads/"
    """Only keys under this prefix notify; ``<prefix><videoId>/<file>`` names the video."""

    upload_suffixes: Sequence[str] = (".mp4", ".mov", ".mkv", ".webm")
    """One notification rule per suffix (S3 filters match one suffix each, case-sensitively)."""

    max_upload_bytes: int = 5 * 1024**3
    """Larger uploads end FAILED without being transcoded. Default: 5 GiB."""

    batch_size: int = 1
    """Messages per invocation. Default: 1, since each upload is minutes of work; more only helps when
    most messages fail fast."""

    maximum_concurrency: int = 10
    """Concurrent invocations the SQS event source may use, 2 to 1000. Default: 10."""

    reserved_concurrency: int = 10
    """Concurrency reserved for (and capping) the transcoder; at least ``maximum_concurrency``, or the
    poller is throttled and messages return to the queue early. Default: 10."""

    function_timeout_seconds: int = LAMBDA_MAX_TIMEOUT_SECONDS
    """Default: 900 s, the Lambda maximum; the queue's visibility timeout is 6x this."""

    function_memory_mb: int = 3008
    """Memory (and so vCPUs: 1769 MB per vCPU) of the transcoder. Default: 3008 MB."""

    ephemeral_storage_mb: int | None = None
    """``/tmp`` size, 512 to 10240 MB. Default: 10240 for FFMPEG (source plus renditions), 512 for MEDIACONVERT."""

    max_receive_count: int = 5
    """Receives before a message moves to the DLQ. Default: 5."""

    dlq_depth_alarm_threshold: int = 1
    """Alarm when the DLQ holds at least this many messages. Default: 1 (any lost-for-now upload)."""

    oldest_message_age_alarm_seconds: int = 3600
    """Alarm when the oldest queued upload has waited this long. Default: one hour."""

    alarm_topic_arn: pulumi.Input[str] | None = None
    """SNS topic for alarm and OK actions. Default: none (the alarms still show in CloudWatch)."""

    function_code_path: str | None = None
    """Folder holding the ``transcoder`` package's files (handler.py, ...). Default: the code shipped in this
    package (``streaming_platform/media/transcoder``); pass a folder to deploy your own build of it."""

    log_retention_days: int = 365
    resource_prefix: str = "streaming"
    """Prefix of fixed physical names (the KMS alias)."""

    protect: bool = False
    """Protect and retain the key, the queues and the log groups. Default: off (dev can be torn down)."""

    tags: Mapping[str, str] = field(default_factory=dict)


def validate_args(args: MediaPipelineArgs) -> list[str]:
    """Every contradiction in ``args``, each naming the argument, the value and what is allowed."""
    problems = []

    def bad(name: str, got: Any, allowed: str) -> None:
        problems.append(f"MediaPipelineArgs.{name}: got {got!r}; allowed: {allowed}")

    if len(args.availability_zones) < 2 or len(args.availability_zones) != len(args.app_subnet_ids):
        bad("availability_zones", list(args.availability_zones), "at least 2 AZs, one app subnet per AZ")
    if args.backend is TranscodeBackend.FFMPEG and not args.ffmpeg_layer_arn:
        bad("ffmpeg_layer_arn", args.ffmpeg_layer_arn, "a Lambda layer version ARN when backend is ffmpeg")
    if args.ffmpeg_layer_arn and not LAYER_ARN.match(args.ffmpeg_layer_arn):
        bad("ffmpeg_layer_arn", args.ffmpeg_layer_arn, "arn:aws:lambda:<region>:<account>:layer:<name>:<version>")
    if not args.upload_prefix.endswith("/") or args.upload_prefix.startswith("/"):
        bad("upload_prefix", args.upload_prefix, "a key prefix ending in '/' and not starting with '/'")
    if not args.upload_suffixes or any(not s.startswith(".") for s in args.upload_suffixes):
        bad("upload_suffixes", list(args.upload_suffixes), "one or more suffixes such as .mp4")
    if not 1 <= args.batch_size <= 10000:
        bad("batch_size", args.batch_size, "1 to 10000")
    if not 2 <= args.maximum_concurrency <= 1000:
        bad("maximum_concurrency", args.maximum_concurrency, "2 to 1000")
    if args.reserved_concurrency < args.maximum_concurrency:
        bad(
            "reserved_concurrency",
            args.reserved_concurrency,
            f"at least maximum_concurrency ({args.maximum_concurrency})",
        )
    if not 60 <= args.function_timeout_seconds <= LAMBDA_MAX_TIMEOUT_SECONDS:
        bad("function_timeout_seconds", args.function_timeout_seconds, "60 to 900")
    if not 128 <= args.function_memory_mb <= 10240:
        bad("function_memory_mb", args.function_memory_mb, "128 to 10240")
    if args.ephemeral_storage_mb is not None and not 512 <= args.ephemeral_storage_mb <= 10240:
        bad("ephemeral_storage_mb", args.ephemeral_storage_mb, "512 to 10240")
    if not 1 <= args.max_receive_count <= 1000:
        bad("max_receive_count", args.max_receive_count, "1 to 1000")
    if args.max_upload_bytes < 1:
        bad("max_upload_bytes", args.max_upload_bytes, "a positive number of bytes")
    return problems


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


def _trust(service: str, account: str) -> str:
    return policy_document([service_trust_statement(service, {"StringEquals": {"aws:SourceAccount": account}})])


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


class MediaPipeline(StreamingComponent):
    """Upload queue + DLQ, the transcoder Lambda and its event source, alarms and the MediaConvert wiring."""

    queue_url: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    dlq_url: pulumi.Output[str]
    dlq_arn: pulumi.Output[str]
    queue_key_arn: pulumi.Output[str]
    transcoder_function_name: pulumi.Output[str]
    transcoder_role_arn: pulumi.Output[str]
    status_function_name: pulumi.Output[str] | None
    mediaconvert_role_arn: pulumi.Output[str] | None
    job_state_rule_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: MediaPipelineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:media:MediaPipeline", name, protect=args.protect, tags=args.tags, opts=opts)
        problems = validate_args(args)
        if problems:
            raise ValueError("; ".join(problems))
        self._name, self._args = name, args
        ffmpeg = args.backend is TranscodeBackend.FFMPEG

        key = self._queue_key()
        dlq = aws.sqs.Queue(
            f"{name}-dlq",
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            kms_master_key_id=key.arn,
            kms_data_key_reuse_period_seconds=300,
            tags=self.tags(f"{name}-dlq"),
            opts=self.stateful(),
        )
        queue = aws.sqs.Queue(
            f"{name}-queue",
            visibility_timeout_seconds=VISIBILITY_TIMEOUT_FACTOR * args.function_timeout_seconds,
            message_retention_seconds=QUEUE_RETENTION_SECONDS,
            receive_wait_time_seconds=20,
            kms_master_key_id=key.arn,
            kms_data_key_reuse_period_seconds=300,
            redrive_policy=dlq.arn.apply(
                lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": args.max_receive_count})
            ),
            tags=self.tags(f"{name}-queue"),
            opts=self.stateful(),
        )
        aws.sqs.RedriveAllowPolicy(
            f"{name}-dlq-redrive-allow",
            queue_url=dlq.url,
            redrive_allow_policy=queue.arn.apply(
                lambda arn: json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [arn]})
            ),
            opts=self.child(),
        )
        policy = aws.sqs.QueuePolicy(
            f"{name}-queue-policy",
            queue_url=queue.url,
            policy=pulumi.Output.all(queue.arn, args.uploads_bucket_arn, self.account).apply(
                lambda a: queue_policy(*a)
            ),
            opts=self.child(),
        )
        aws.s3.BucketNotification(
            f"{name}-uploads-notification",
            bucket=args.uploads_bucket_name,
            queues=[
                {
                    "id": f"transcode-{suffix.lstrip('.')}",
                    "queue_arn": queue.arn,
                    "events": ["s3:ObjectCreated:*"],
                    "filter_prefix": args.upload_prefix,
                    "filter_suffix": suffix,
                }
                for suffix in args.upload_suffixes
            ],
            # S3 sends a test event when the notification is saved: the queue must already accept it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )

        sg = aws.ec2.SecurityGroup(
            f"{name}-functions",
            vpc_id=args.vpc_id,
            description="Media pipeline functions: HTTPS out only, no ingress",
            ingress=[],
            egress=[
                {
                    # S3 and DynamoDB through the gateway endpoints, other AWS APIs (SQS, MediaConvert,
                    # CloudWatch, X-Ray) through interface endpoints or NAT: all HTTPS, all covered here.
                    "protocol": "tcp",
                    "from_port": 443,
                    "to_port": 443,
                    "cidr_blocks": ["0.0.0.0/0"],
                    "description": "HTTPS to AWS APIs",
                }
            ],
            tags=self.tags(f"{name}-functions"),
            opts=self.child(),
        )
        self._vpc_config: aws.lambda_.FunctionVpcConfigArgsDict = {
            "subnet_ids": list(args.app_subnet_ids),
            "security_group_ids": [sg.id],
        }

        mediaconvert_role = None if ffmpeg else self._mediaconvert_role()
        log_group = self._log_group(f"{name}-transcoder")
        role = self._role(
            "transcoder",
            self._transcoder_statements(queue, key, log_group, mediaconvert_role),
        )
        env: dict[str, pulumi.Input[str]] = {
            "VIDEO_TABLE": args.video_table_name,
            "RENDITIONS_BUCKET": args.renditions_bucket_name,
            "BACKEND": args.backend.value,
            "UPLOAD_PREFIX": args.upload_prefix,
            "MAX_UPLOAD_BYTES": str(args.max_upload_bytes),
            "MAX_RECEIVE_COUNT": str(args.max_receive_count),
            "LEASE_SECONDS": str(args.function_timeout_seconds),
            "MEDIA_KMS_KEY_ARN": args.media_key_arn,
        }
        if ffmpeg:
            env["FFMPEG_PATH"] = "/opt/bin/ffmpeg"
        else:
            assert mediaconvert_role is not None
            env["MEDIACONVERT_ROLE_ARN"] = mediaconvert_role.arn
            if args.mediaconvert_endpoint:
                env["MEDIACONVERT_ENDPOINT"] = args.mediaconvert_endpoint
        storage = args.ephemeral_storage_mb or (10240 if ffmpeg else 512)
        transcoder = aws.lambda_.Function(
            f"{name}-transcoder",
            description=f"{name}: S3 uploads -> HLS renditions ({args.backend.value})",
            role=role.arn,
            runtime=LAMBDA_RUNTIME,
            architectures=["x86_64"],  # the ffmpeg layer's binary is x86_64
            handler="transcoder.handler.handler",
            code=self._code(),
            timeout=args.function_timeout_seconds,
            memory_size=args.function_memory_mb,
            ephemeral_storage={"size": storage},
            reserved_concurrent_executions=args.reserved_concurrency,
            layers=[args.ffmpeg_layer_arn] if ffmpeg and args.ffmpeg_layer_arn else None,
            environment={"variables": env},
            kms_key_arn=key.arn,
            tracing_config={"mode": "Active"},
            vpc_config=self._vpc_config,
            logging_config={"log_format": "JSON", "log_group": log_group.name},
            tags=self.tags(f"{name}-transcoder"),
            opts=self.child(),
        )
        aws.lambda_.EventSourceMapping(
            f"{name}-transcoder-source",
            event_source_arn=queue.arn,
            function_name=transcoder.arn,
            batch_size=args.batch_size,
            # SQS requires a batching window of at least 1 s for batches above 10.
            maximum_batching_window_in_seconds=0 if args.batch_size <= 10 else 5,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config={"maximum_concurrency": args.maximum_concurrency},
            opts=self.child(),
        )
        self._alarms(queue, dlq)

        self.status_function_name = None
        self.job_state_rule_arn = None
        if not ffmpeg:
            self._status_function(key)
        self.mediaconvert_role_arn = mediaconvert_role.arn if mediaconvert_role else None

        self.queue_url, self.queue_arn = queue.url, queue.arn
        self.dlq_url, self.dlq_arn = dlq.url, dlq.arn
        self.queue_key_arn = key.arn
        self.transcoder_function_name = transcoder.name
        self.transcoder_role_arn = role.arn
        self.register_outputs(
            {
                "queueUrl": self.queue_url,
                "queueArn": self.queue_arn,
                "dlqUrl": self.dlq_url,
                "dlqArn": self.dlq_arn,
                "queueKeyArn": self.queue_key_arn,
                "transcoderFunctionName": self.transcoder_function_name,
                "transcoderRoleArn": self.transcoder_role_arn,
                "statusFunctionName": self.status_function_name,
                "mediaconvertRoleArn": self.mediaconvert_role_arn,
                "jobStateRuleArn": self.job_state_rule_arn,
            }
        )

    # ---- helpers --------------------------------------------------------------------------------------

    def _code(self) -> pulumi.Archive:
        # The package is the archive's "transcoder/" folder, so the handler is transcoder.handler.handler.
        path = self._args.function_code_path or str(FUNCTION_CODE_DIR)
        return pulumi.AssetArchive({"transcoder": pulumi.FileArchive(path)})

    def _queue_key(self) -> aws.kms.Key:
        """The pipeline's own key: queues, the DLQs and the functions' environment variables. S3 may use it
        only to notify from the uploads bucket of this account."""
        a = self._args
        policy = pulumi.Output.all(self.partition, self.account, a.uploads_bucket_arn).apply(
            lambda v: policy_document(
                [
                    account_admin_statement(v[0], v[1]),
                    {
                        "Sid": "UploadsBucketNotifiesThroughSqs",
                        "Effect": "Allow",
                        "Principal": {"Service": "s3.amazonaws.com"},
                        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                        "Resource": "*",
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": v[1]},
                            "ArnEquals": {"aws:SourceArn": v[2]},
                        },
                    },
                ]
            )
        )
        key = aws.kms.Key(
            f"{self._name}-queue-key",
            description=f"{self._name}: upload queues, DLQs and function environment",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=policy,
            tags={**self.tags(f"{self._name}-queue"), "DataClass": "media-queue"},
            opts=self.stateful(),
        )
        aws.kms.Alias(
            f"{self._name}-queue-key-alias",
            name=f"alias/{a.resource_prefix}-media-queue",
            target_key_id=key.key_id,
            opts=self.child(),
        )
        return key

    def _log_group(self, resource_name: str) -> aws.cloudwatch.LogGroup:
        return aws.cloudwatch.LogGroup(
            resource_name,
            retention_in_days=self._args.log_retention_days,
            kms_key_id=self._args.logs_key_arn,
            tags=self.tags(resource_name),
            opts=self.stateful(),
        )

    def _role(self, purpose: str, statements: pulumi.Output[list[dict[str, Any]]]) -> aws.iam.Role:
        role = aws.iam.Role(
            f"{self._name}-{purpose}",
            assume_role_policy=self.account.apply(lambda acct: _trust("lambda.amazonaws.com", acct)),
            tags=self.tags(f"{self._name}-{purpose}"),
            opts=self.child(),
        )
        aws.iam.RolePolicy(
            f"{self._name}-{purpose}",
            role=role.id,
            policy=statements.apply(policy_document),
            opts=self.child(),
        )
        return role

    def _s3_statements(self, a: Mapping[str, str], write: bool) -> list[dict[str, Any]]:
        """Read the uploads prefix (List on that prefix only, so a vanished key is a 404, not a 403)
        and, when ``write``, write renditions under hls/."""
        prefix = self._args.upload_prefix
        out: list[dict[str, Any]] = [
            {
                "Sid": "ReadUploadsPrefix",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": f"{a['uploads']}/{prefix}*",
            },
            {
                "Sid": "ListUploadsPrefix",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": a["uploads"],
                "Condition": {"StringLike": {"s3:prefix": f"{prefix}*"}},
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

    def _table_statements(self, a: Mapping[str, str]) -> list[dict[str, Any]]:
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

    def _refs(self, **extra: pulumi.Input[str]) -> pulumi.Output[dict[str, str]]:
        a = self._args
        return pulumi.Output.all(
            uploads=a.uploads_bucket_arn,
            renditions=a.renditions_bucket_arn,
            mediaKey=a.media_key_arn,
            dataKey=a.data_key_arn,
            table=a.video_table_arn,
            region=self.region,
            partition=self.partition,
            account=self.account,
            **extra,
        )

    def _transcoder_statements(
        self,
        queue: aws.sqs.Queue,
        key: aws.kms.Key,
        log_group: aws.cloudwatch.LogGroup,
        mediaconvert_role: aws.iam.Role | None,
    ) -> pulumi.Output[list[dict[str, Any]]]:
        ffmpeg = self._args.backend is TranscodeBackend.FFMPEG
        extra: dict[str, pulumi.Input[str]] = {"queue": queue.arn, "queueKey": key.arn, "logGroup": log_group.arn}
        if mediaconvert_role is not None:
            extra["mediaconvertRole"] = mediaconvert_role.arn

        def build(a: dict[str, str]) -> list[dict[str, Any]]:
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
                    "Sid": "DecryptQueueAndEnvironment",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": a["queueKey"],
                },
                *self._s3_statements(a, write=ffmpeg),
                *self._table_statements(a),
                {
                    "Sid": "WriteOwnLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"{a['logGroup']}:*",
                },
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

        return self._refs(**extra).apply(build)

    def _mediaconvert_role(self) -> aws.iam.Role:
        """The role MediaConvert jobs run under: read the uploads prefix, write renditions, use the media key."""
        name = self._name
        role = aws.iam.Role(
            f"{name}-mediaconvert",
            assume_role_policy=self.account.apply(lambda acct: _trust("mediaconvert.amazonaws.com", acct)),
            tags=self.tags(f"{name}-mediaconvert"),
            opts=self.child(),
        )
        aws.iam.RolePolicy(
            f"{name}-mediaconvert",
            role=role.id,
            policy=self._refs().apply(lambda a: policy_document(self._s3_statements(a, write=True))),
            opts=self.child(),
        )
        return role

    def _alarms(self, queue: aws.sqs.Queue, dlq: aws.sqs.Queue) -> None:
        a, name = self._args, self._name
        actions = [a.alarm_topic_arn] if a.alarm_topic_arn is not None else []
        common: dict[str, Any] = {
            "namespace": "AWS/SQS",
            "statistic": "Maximum",
            "period": 60,
            "comparison_operator": "GreaterThanOrEqualToThreshold",
            "treat_missing_data": "notBreaching",
            "alarm_actions": actions,
            "ok_actions": actions,
        }
        aws.cloudwatch.MetricAlarm(
            f"{name}-dlq-depth",
            alarm_description="Uploads the transcoder gave up on are waiting in the DLQ: fix the cause, then redrive.",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": dlq.name},
            evaluation_periods=1,
            threshold=a.dlq_depth_alarm_threshold,
            tags=self.tags(f"{name}-dlq-depth"),
            opts=self.child(),
            **common,
        )
        aws.cloudwatch.MetricAlarm(
            f"{name}-oldest-upload-age",
            alarm_description="An upload has waited too long for the transcoder (throttled, failing or stuck).",
            metric_name="ApproximateAgeOfOldestMessage",
            dimensions={"QueueName": queue.name},
            evaluation_periods=5,
            threshold=a.oldest_message_age_alarm_seconds,
            tags=self.tags(f"{name}-oldest-upload-age"),
            opts=self.child(),
            **common,
        )

    def _status_function(self, key: aws.kms.Key) -> None:
        """EventBridge: MediaConvert job COMPLETE / ERROR -> status function -> READY / FAILED. Failed async
        invocations (after Lambda's two retries) land in their own DLQ, so a job result is never lost."""
        a, name = self._args, self._name
        status_dlq = aws.sqs.Queue(
            f"{name}-status-dlq",
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            kms_master_key_id=key.arn,
            kms_data_key_reuse_period_seconds=300,
            tags=self.tags(f"{name}-status-dlq"),
            opts=self.stateful(),
        )
        log_group = self._log_group(f"{name}-status")
        refs = self._refs(statusDlq=status_dlq.arn, queueKey=key.arn, logGroup=log_group.arn)
        role = self._role(
            "status",
            refs.apply(
                lambda r: [
                    *self._table_statements(r),
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
                    {
                        "Sid": "WriteOwnLogs",
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": f"{r['logGroup']}:*",
                    },
                    VPC_ENI_STATEMENT,
                    XRAY_STATEMENT,
                ]
            ),
        )
        function = aws.lambda_.Function(
            f"{name}-status",
            description=f"{name}: MediaConvert job state -> video status",
            role=role.arn,
            runtime=LAMBDA_RUNTIME,
            architectures=["x86_64"],
            handler="transcoder.status.handler",
            code=self._code(),
            timeout=30,
            memory_size=256,
            environment={"variables": {"VIDEO_TABLE": a.video_table_name}},
            kms_key_arn=key.arn,
            tracing_config={"mode": "Active"},
            vpc_config=self._vpc_config,
            dead_letter_config={"target_arn": status_dlq.arn},
            logging_config={"log_format": "JSON", "log_group": log_group.name},
            tags=self.tags(f"{name}-status"),
            opts=self.child(),
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-job-state",
            description="MediaConvert jobs of the media pipeline reached COMPLETE or ERROR",
            event_pattern=json.dumps(
                {
                    "source": ["aws.mediaconvert"],
                    "detail-type": ["MediaConvert Job State Change"],
                    "detail": {"status": ["COMPLETE", "ERROR"], "userMetadata": {"videoId": [{"exists": True}]}},
                }
            ),
            tags=self.tags(f"{name}-job-state"),
            opts=self.child(),
        )
        aws.lambda_.Permission(
            f"{name}-status-from-events",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="events.amazonaws.com",
            source_arn=rule.arn,
            opts=self.child(),
        )
        aws.cloudwatch.EventTarget(
            f"{name}-job-state-to-status",
            rule=rule.name,
            arn=function.arn,
            retry_policy={"maximum_event_age_in_seconds": 24 * 3600, "maximum_retry_attempts": 185},
            opts=self.child(),
        )
        self.status_function_name = function.name
        self.job_state_rule_arn = rule.arn
