"""The MediaConvert backend's wiring: the role jobs run under, and the EventBridge rule that hands each job's
COMPLETE / ERROR state change to the status function."""

from __future__ import annotations

import json

import pulumi_aws as aws

from streaming_platform._component import StreamingComponent
from streaming_platform.iam import policy_document
from streaming_platform.media.args import LAMBDA_RUNTIME, MediaPipelineArgs
from streaming_platform.media.functions import code, lambda_role, log_group, refs
from streaming_platform.media.policies import s3_statements, status_statements, trust
from streaming_platform.media.queues import DLQ_RETENTION_SECONDS


def mediaconvert_role(c: StreamingComponent, name: str, args: MediaPipelineArgs) -> aws.iam.Role:
    """The role MediaConvert jobs run under: read the uploads prefix, write renditions, use the media key."""
    role = aws.iam.Role(
        f"{name}-mediaconvert",
        assume_role_policy=c.account.apply(lambda acct: trust("mediaconvert.amazonaws.com", acct)),
        tags=c.tags(f"{name}-mediaconvert"),
        opts=c.child(),
    )
    aws.iam.RolePolicy(
        f"{name}-mediaconvert",
        role=role.id,
        policy=refs(c, args).apply(
            lambda a: policy_document(s3_statements(a, args.transcode.upload_prefix, write=True))
        ),
        opts=c.child(),
    )
    return role


def status_function(
    c: StreamingComponent,
    name: str,
    args: MediaPipelineArgs,
    *,
    key: aws.kms.Key,
    vpc: aws.lambda_.FunctionVpcConfigArgsDict,
) -> tuple[aws.lambda_.Function, aws.cloudwatch.EventRule]:
    """EventBridge: MediaConvert job COMPLETE / ERROR -> status function -> READY / FAILED. Failed async
    invocations (after Lambda's two retries) land in their own DLQ, so a job result is never lost."""
    status_dlq = aws.sqs.Queue(
        f"{name}-status-dlq",
        message_retention_seconds=DLQ_RETENTION_SECONDS,
        kms_master_key_id=key.arn,
        kms_data_key_reuse_period_seconds=300,
        tags=c.tags(f"{name}-status-dlq"),
        opts=c.stateful(),
    )
    logs = log_group(c, args, f"{name}-status")
    role = lambda_role(
        c,
        name,
        "status",
        refs(c, args, statusDlq=status_dlq.arn, queueKey=key.arn, logGroup=logs.arn).apply(status_statements),
    )
    function = aws.lambda_.Function(
        f"{name}-status",
        description=f"{name}: MediaConvert job state -> video status",
        role=role.arn,
        runtime=LAMBDA_RUNTIME,
        architectures=["x86_64"],
        handler="transcoder.status.handler",
        code=code(args),
        timeout=30,
        memory_size=256,
        environment={"variables": {"VIDEO_TABLE": args.storage.video_table_name}},
        kms_key_arn=key.arn,
        tracing_config={"mode": "Active"},
        vpc_config=vpc,
        dead_letter_config={"target_arn": status_dlq.arn},
        logging_config={"log_format": "JSON", "log_group": logs.name},
        tags=c.tags(f"{name}-status"),
        opts=c.child(),
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
        tags=c.tags(f"{name}-job-state"),
        opts=c.child(),
    )
    aws.lambda_.Permission(
        f"{name}-status-from-events",
        action="lambda:InvokeFunction",
        function=function.name,
        principal="events.amazonaws.com",
        source_arn=rule.arn,
        opts=c.child(),
    )
    aws.cloudwatch.EventTarget(
        f"{name}-job-state-to-status",
        rule=rule.name,
        arn=function.arn,
        retry_policy={"maximum_event_age_in_seconds": 24 * 3600, "maximum_retry_attempts": 185},
        opts=c.child(),
    )
    return function, rule
