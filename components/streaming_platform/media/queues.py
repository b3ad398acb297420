"""The pipeline's intake: its own KMS key, the upload queue and its DLQ, the uploads bucket's one notification,
and the two queue alarms."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent
from streaming_platform.media.args import MediaPipelineArgs
from streaming_platform.media.policies import queue_key_policy, queue_policy

DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # the SQS maximum
QUEUE_RETENTION_SECONDS = 4 * 24 * 3600  # shorter than the DLQ's: a moved message keeps its enqueue time
# SQS's advice for Lambda consumers: visibility timeout at least 6x the function timeout, so a
# message is not redelivered while throttled retries of one batch are still running.
VISIBILITY_TIMEOUT_FACTOR = 6


def queue_key(c: StreamingComponent, name: str, args: MediaPipelineArgs) -> aws.kms.Key:
    """The pipeline's own key: queues, the DLQs and the functions' environment variables. S3 may use it
    only to notify from the uploads bucket of this account."""
    key = aws.kms.Key(
        f"{name}-queue-key",
        description=f"{name}: upload queues, DLQs and function environment",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=pulumi.Output.all(c.partition, c.account, args.storage.uploads_bucket_arn).apply(
            lambda v: queue_key_policy(*v)
        ),
        tags={**c.tags(f"{name}-queue"), "DataClass": "media-queue"},
        opts=c.stateful(),
    )
    aws.kms.Alias(
        f"{name}-queue-key-alias",
        name=f"alias/{args.resource_prefix}-media-queue",
        target_key_id=key.key_id,
        opts=c.child(),
    )
    return key


def queues(
    c: StreamingComponent, name: str, args: MediaPipelineArgs, key: aws.kms.Key
) -> tuple[aws.sqs.Queue, aws.sqs.Queue]:
    """(queue, dlq): the upload queue redrives to the DLQ after ``max_receive_count`` receives, and only
    the uploads bucket notifies it (the queue policy is saved before the notification that needs it)."""
    dlq = aws.sqs.Queue(
        f"{name}-dlq",
        message_retention_seconds=DLQ_RETENTION_SECONDS,
        kms_master_key_id=key.arn,
        kms_data_key_reuse_period_seconds=300,
        tags=c.tags(f"{name}-dlq"),
        opts=c.stateful(),
    )
    queue = aws.sqs.Queue(
        f"{name}-queue",
        visibility_timeout_seconds=VISIBILITY_TIMEOUT_FACTOR * args.function.function_timeout_seconds,
        message_retention_seconds=QUEUE_RETENTION_SECONDS,
        receive_wait_time_seconds=20,
        kms_master_key_id=key.arn,
        kms_data_key_reuse_period_seconds=300,
        redrive_policy=dlq.arn.apply(
            lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": args.queue.max_receive_count})
        ),
        tags=c.tags(f"{name}-queue"),
        opts=c.stateful(),
    )
    aws.sqs.RedriveAllowPolicy(
        f"{name}-dlq-redrive-allow",
        queue_url=dlq.url,
        redrive_allow_policy=queue.arn.apply(
            lambda arn: json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [arn]})
        ),
        opts=c.child(),
    )
    policy = aws.sqs.QueuePolicy(
        f"{name}-queue-policy",
        queue_url=queue.url,
        policy=pulumi.Output.all(queue.arn, args.storage.uploads_bucket_arn, c.account).apply(
            lambda a: queue_policy(*a)
        ),
        opts=c.child(),
    )
    aws.s3.BucketNotification(
        f"{name}-uploads-notification",
        bucket=args.storage.uploads_bucket_name,
        queues=notification_queues(args, queue.arn),
        # S3 sends a test event when the notification is saved: the queue must already accept it.
        opts=pulumi.ResourceOptions(parent=c, depends_on=[policy]),
    )
    return queue, dlq


def notification_queues(
    args: MediaPipelineArgs, queue_arn: pulumi.Input[str]
) -> list[aws.s3.BucketNotificationQueueArgsDict]:
    """One rule: every object created under the upload prefix. No suffix filter: S3 matches a filter's
    prefix and suffix literally against the key (S3 User Guide, "Configuring event notifications using object
    key name filtering"; object keys are case-sensitive, "Naming Amazon S3 objects"), so ``.mov`` would miss
    ``IMG_1234.MOV``. The transcoder compares suffixes case-insensitively and acknowledges other keys."""
    return [
        {
            "id": "transcode-uploads",
            "queue_arn": queue_arn,
            "events": ["s3:ObjectCreated:*"],
            "filter_prefix": args.transcode.upload_prefix,
        }
    ]


def alarms(c: StreamingComponent, name: str, args: MediaPipelineArgs, queue: aws.sqs.Queue, dlq: aws.sqs.Queue) -> None:
    actions = [args.alarm_topic_arn] if args.alarm_topic_arn is not None else []
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
        threshold=args.queue.dlq_depth_alarm_threshold,
        tags=c.tags(f"{name}-dlq-depth"),
        opts=c.child(),
        **common,
    )
    aws.cloudwatch.MetricAlarm(
        f"{name}-oldest-upload-age",
        alarm_description="An upload has waited too long for the transcoder (throttled, failing or stuck).",
        metric_name="ApproximateAgeOfOldestMessage",
        dimensions={"QueueName": queue.name},
        evaluation_periods=5,
        threshold=args.queue.oldest_message_age_alarm_seconds,
        tags=c.tags(f"{name}-oldest-upload-age"),
        opts=c.child(),
        **common,
    )
