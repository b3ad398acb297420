"""The pipeline's Lambda functions: the shared pieces (code archive, log group, role, VPC placement) and the
transcoder with its SQS event source."""

from __future__ import annotations

import base64
import hashlib
import importlib.resources
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent
from streaming_platform.iam import policy_document
from streaming_platform.media.args import LAMBDA_RUNTIME, LAYERS_PREFIX, MediaPipelineArgs, TranscodeBackend
from streaming_platform.media.policies import transcoder_statements, trust

# The Lambda code ships inside this package (package data), so an installed library finds it too.
FUNCTION_CODE_DIR = Path(str(importlib.resources.files("streaming_platform.media") / "transcoder"))


def code(args: MediaPipelineArgs) -> pulumi.Archive:
    # The package is the archive's "transcoder/" folder, so the handler is transcoder.handler.handler.
    path = args.function.function_code_path or str(FUNCTION_CODE_DIR)
    return pulumi.AssetArchive({"transcoder": pulumi.FileArchive(path)})


def refs(c: StreamingComponent, args: MediaPipelineArgs, **extra: pulumi.Input[str]) -> pulumi.Output[dict[str, str]]:
    """The ARNs (and region, partition, account) the policy documents in ``access`` are built from."""
    return pulumi.Output.all(
        uploads=args.storage.uploads_bucket_arn,
        renditions=args.storage.renditions_bucket_arn,
        mediaKey=args.keys.media_key_arn,
        dataKey=args.keys.data_key_arn,
        table=args.storage.video_table_arn,
        region=c.region,
        partition=c.partition,
        account=c.account,
        **extra,
    )


def log_group(c: StreamingComponent, args: MediaPipelineArgs, resource_name: str) -> aws.cloudwatch.LogGroup:
    return c.log_group(resource_name, kms_key_arn=args.keys.logs_key_arn, retention_days=args.log_retention_days)


def lambda_role(
    c: StreamingComponent, name: str, purpose: str, statements: pulumi.Output[list[dict[str, Any]]]
) -> aws.iam.Role:
    role = aws.iam.Role(
        f"{name}-{purpose}",
        assume_role_policy=c.account.apply(lambda acct: trust("lambda.amazonaws.com", acct)),
        tags=c.tags(f"{name}-{purpose}"),
        opts=c.child(),
    )
    aws.iam.RolePolicy(
        f"{name}-{purpose}",
        role=role.id,
        policy=statements.apply(policy_document),
        opts=c.child(),
    )
    return role


def vpc_config(c: StreamingComponent, name: str, args: MediaPipelineArgs) -> aws.lambda_.FunctionVpcConfigArgsDict:
    """The functions' placement: every AZ's app subnet, in a security group with HTTPS egress only."""
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
        tags=c.tags(f"{name}-functions"),
        opts=c.child(),
    )
    return {"subnet_ids": list(args.app_subnet_ids), "security_group_ids": [sg.id]}


def ffmpeg_layer(c: StreamingComponent, name: str, args: MediaPipelineArgs) -> pulumi.Input[str] | None:
    """The layer the ffmpeg backend runs ``/opt/bin/ffmpeg`` from: ``ffmpeg_layer_arn`` when given, else
    ``ffmpeg_layer_zip`` uploaded under ``layers/`` of the uploads bucket (outside the notified prefix) and
    published from there. S3, not the request body: the zip is above the 50 MB Lambda takes in an API
    request (Lambda Developer Guide, "Lambda quotas")."""
    if args.transcode.backend is not TranscodeBackend.FFMPEG:
        return None
    if args.transcode.ffmpeg_layer_arn:
        return args.transcode.ffmpeg_layer_arn
    assert args.transcode.ffmpeg_layer_zip is not None  # validate_args
    digest = hashlib.sha256(Path(args.transcode.ffmpeg_layer_zip).read_bytes())
    code_object = aws.s3.BucketObjectv2(
        f"{name}-ffmpeg-layer-zip",
        bucket=args.storage.uploads_bucket_name,
        key=f"{LAYERS_PREFIX}ffmpeg-{digest.hexdigest()[:16]}.zip",
        source=pulumi.FileAsset(args.transcode.ffmpeg_layer_zip),
        content_type="application/zip",
        tags=c.tags(f"{name}-ffmpeg-layer-zip"),
        opts=c.child(),
    )
    layer = aws.lambda_.LayerVersion(
        f"{name}-ffmpeg",
        layer_name=f"{args.resource_prefix}-ffmpeg",
        description="ffmpeg (imageio-ffmpeg's static Linux x86_64 build) at /opt/bin/ffmpeg",
        s3_bucket=code_object.bucket,
        s3_key=code_object.key,
        source_code_hash=base64.b64encode(digest.digest()).decode(),
        compatible_runtimes=[LAMBDA_RUNTIME],
        compatible_architectures=["x86_64"],
        opts=c.child(),
    )
    return layer.arn


def transcoder(
    c: StreamingComponent,
    name: str,
    args: MediaPipelineArgs,
    *,
    queue: aws.sqs.Queue,
    dlq: aws.sqs.Queue,
    key: aws.kms.Key,
    vpc: aws.lambda_.FunctionVpcConfigArgsDict,
    mediaconvert_role: aws.iam.Role | None,
) -> tuple[aws.lambda_.Function, aws.iam.Role]:
    """The SQS consumer: its log group, role, function and event source mapping."""
    ffmpeg = args.transcode.backend is TranscodeBackend.FFMPEG
    logs = log_group(c, args, f"{name}-transcoder")
    extra: dict[str, pulumi.Input[str]] = {
        "queue": queue.arn,
        "dlq": dlq.arn,
        "queueKey": key.arn,
        "logGroup": logs.arn,
    }
    if mediaconvert_role is not None:
        extra["mediaconvertRole"] = mediaconvert_role.arn
    role = lambda_role(
        c,
        name,
        "transcoder",
        refs(c, args, **extra).apply(
            lambda a: transcoder_statements(a, args.transcode.upload_prefix, write_renditions=ffmpeg)
        ),
    )
    env: dict[str, pulumi.Input[str]] = {
        "VIDEO_TABLE": args.storage.video_table_name,
        "RENDITIONS_BUCKET": args.storage.renditions_bucket_name,
        "BACKEND": args.transcode.backend.value,
        "UPLOAD_PREFIX": args.transcode.upload_prefix,
        "UPLOAD_SUFFIXES": ",".join(args.transcode.upload_suffixes),
        "SEGMENT_SECONDS": str(args.transcode.segment_duration_seconds),
        "QUEUE_URL": queue.url,
        "DLQ_URL": dlq.url,
        "MAX_UPLOAD_BYTES": str(args.transcode.max_upload_bytes),
        "MAX_RECEIVE_COUNT": str(args.queue.max_receive_count),
        "LEASE_SECONDS": str(args.function.function_timeout_seconds),
        "MEDIA_KMS_KEY_ARN": args.keys.media_key_arn,
    }
    if ffmpeg:
        env["FFMPEG_PATH"] = "/opt/bin/ffmpeg"
    else:
        assert mediaconvert_role is not None
        env["MEDIACONVERT_ROLE_ARN"] = mediaconvert_role.arn
        if args.transcode.mediaconvert_endpoint:
            env["MEDIACONVERT_ENDPOINT"] = args.transcode.mediaconvert_endpoint
    storage = args.function.ephemeral_storage_mb or (10240 if ffmpeg else 512)
    function = aws.lambda_.Function(
        f"{name}-transcoder",
        description=f"{name}: S3 uploads -> HLS renditions ({args.transcode.backend.value})",
        role=role.arn,
        runtime=LAMBDA_RUNTIME,
        architectures=["x86_64"],  # the ffmpeg layer's binary is x86_64
        handler="transcoder.handler.handler",
        code=code(args),
        timeout=args.function.function_timeout_seconds,
        memory_size=args.function.function_memory_mb,
        ephemeral_storage={"size": storage},
        reserved_concurrent_executions=args.function.reserved_concurrency,
        layers=[layer] if (layer := ffmpeg_layer(c, name, args)) is not None else None,
        environment={"variables": env},
        kms_key_arn=key.arn,
        tracing_config={"mode": "Active"},
        vpc_config=vpc,
        logging_config={"log_format": "JSON", "log_group": logs.name},
        tags=c.tags(f"{name}-transcoder"),
        opts=c.child(),
    )
    aws.lambda_.EventSourceMapping(
        f"{name}-transcoder-source",
        event_source_arn=queue.arn,
        function_name=function.arn,
        batch_size=args.function.batch_size,
        # SQS requires a batching window of at least 1 s for batches above 10.
        maximum_batching_window_in_seconds=0 if args.function.batch_size <= 10 else 5,
        function_response_types=["ReportBatchItemFailures"],
        scaling_config={"maximum_concurrency": args.function.maximum_concurrency},
        opts=c.child(),
    )
    return function, role
