"""Access contracts of the media pipeline: the transcoder and status functions, the MediaConvert job role, S3
notifying the upload queue, and EventBridge invoking the status function."""

from __future__ import annotations

from streaming_platform.access import (
    ACCOUNT,
    PARTITION,
    REGION,
    Expect,
    Ref,
    Request,
    Workload,
    assume,
    key_ref,
    role_ref,
)
from streaming_platform.data.access import TABLE_KEY_ACTIONS, DataRefs, s3_key_context, via
from streaming_platform.data.tier import LOGS, RENDITIONS, UPLOADS
from streaming_platform.media.policies import RENDITIONS_PREFIX

_LAMBDA_TRUST = {"aws:SourceAccount": ACCOUNT}
OTHER_ACCOUNT = "444455556666"


def _queue(name: str, which: str = "queue") -> Ref:
    return Ref("aws:sqs/queue:Queue", f"{name}-{which}")


def _read_upload(d: DataRefs, upload: tuple[Ref, str]) -> list[Request]:
    """Read ``upload`` and decrypt it under the media key through S3 (the transcoder and MediaConvert jobs)."""
    return [
        Request(label="read an upload", action="s3:GetObject", resource=upload),
        Request(
            label="decrypt an upload through S3",
            action="kms:Decrypt",
            resource=d.key("media"),
            context=s3_key_context(d.bucket(UPLOADS)),
        ),
    ]


def _write_rendition(d: DataRefs) -> list[Request]:
    """Write a rendition under the renditions prefix, encrypted under the media key through S3."""
    return [
        Request(
            label="write a rendition",
            action="s3:PutObject",
            resource=d.object(RENDITIONS, f"{RENDITIONS_PREFIX}v1/a.ts"),
        ),
        Request(
            label="encrypt a rendition through S3",
            action="kms:GenerateDataKey",
            resource=d.key("media"),
            context=s3_key_context(d.bucket(RENDITIONS)),
        ),
    ]


def _table_requests(d: DataRefs) -> list[Request]:
    return [
        Request(label="read a video item", action="dynamodb:GetItem", resource=d.table("videos")),
        Request(label="update a video's status", action="dynamodb:UpdateItem", resource=d.table("videos")),
        *(
            Request(
                label=f"{a} on the table key through DynamoDB",
                action=a,
                resource=d.key("data"),
                context=via("dynamodb"),
            )
            for a in TABLE_KEY_ACTIONS
        ),
        Request(
            label="delete a video item", action="dynamodb:DeleteItem", resource=d.table("videos"), expect=Expect.DENIED
        ),
        Request(label="read a session", action="dynamodb:GetItem", resource=d.table("sessions"), expect=Expect.DENIED),
    ]


def transcoder_workload(name: str, d: DataRefs, upload_prefix: str, *, mediaconvert: bool) -> Workload:
    role = role_ref(f"{name}-transcoder")
    log_group = Ref("aws:cloudwatch/logGroup:LogGroup", f"{name}-transcoder")
    upload = d.object(UPLOADS, f"{upload_prefix}v1.mp4")
    requests = [
        assume("lambda.amazonaws.com", role, context=_LAMBDA_TRUST),
        Request(label="receive upload events", action="sqs:ReceiveMessage", resource=_queue(name)),
        Request(label="delete a handled event", action="sqs:DeleteMessage", resource=_queue(name)),
        Request(
            label="decrypt queue messages through SQS",
            action="kms:Decrypt",
            resource=key_ref(f"{name}-queue-key"),
            context=via("sqs"),
        ),
        *_read_upload(d, upload),
        *_table_requests(d),
        Request(label="write its logs", action="logs:PutLogEvents", resource=(log_group, ":log-stream:x")),
        Request(
            label="read outside the upload prefix",
            action="s3:GetObject",
            resource=d.object(UPLOADS, "private/x.mp4"),
            expect=Expect.DENIED,
        ),
        Request(label="overwrite an upload", action="s3:PutObject", resource=upload, expect=Expect.DENIED),
        Request(label="delete an upload", action="s3:DeleteObject", resource=upload, expect=Expect.DENIED),
        Request(
            label="read the log bucket",
            action="s3:GetObject",
            resource=d.object(LOGS, "alb/x.gz"),
            expect=Expect.DENIED,
        ),
        Request(
            label="decrypt with the logs key",
            action="kms:Decrypt",
            resource=d.key("logs"),
            context=via("logs"),
            expect=Expect.DENIED,
        ),
        Request(label="purge the upload queue", action="sqs:PurgeQueue", resource=_queue(name), expect=Expect.DENIED),
    ]
    if mediaconvert:
        mediaconvert_role = role_ref(f"{name}-mediaconvert")
        requests += [
            Request(
                label="submit a MediaConvert job",
                action="mediaconvert:CreateJob",
                resource=("arn:", PARTITION, ":mediaconvert:", REGION, ":", ACCOUNT, ":queues/Default"),
            ),
            Request(
                label="pass the MediaConvert role",
                action="iam:PassRole",
                resource=mediaconvert_role,
                context={"iam:PassedToService": "mediaconvert.amazonaws.com"},
            ),
            Request(
                label="pass its own role to MediaConvert",
                action="iam:PassRole",
                resource=role,
                context={"iam:PassedToService": "mediaconvert.amazonaws.com"},
                expect=Expect.DENIED,
            ),
        ]
    else:
        requests += _write_rendition(d)
    return Workload(name="lambda:transcoder", principal=role, requests=tuple(requests))


def status_workload(name: str, d: DataRefs) -> Workload:
    role = role_ref(f"{name}-status")
    return Workload(
        name="lambda:transcode-status",
        principal=role,
        requests=(
            assume("lambda.amazonaws.com", role, context=_LAMBDA_TRUST),
            *_table_requests(d),
            Request(label="dead-letter a failed event", action="sqs:SendMessage", resource=_queue(name, "status-dlq")),
            Request(
                label="encrypt the dead letter through SQS",
                action="kms:GenerateDataKey",
                resource=key_ref(f"{name}-queue-key"),
                context=via("sqs"),
            ),
            Request(
                label="send to the upload queue", action="sqs:SendMessage", resource=_queue(name), expect=Expect.DENIED
            ),
            Request(
                label="read an upload",
                action="s3:GetObject",
                resource=d.object(UPLOADS, "uploads/v1.mp4"),
                expect=Expect.DENIED,
            ),
        ),
    )


def mediaconvert_workload(name: str, d: DataRefs, upload_prefix: str) -> Workload:
    role = role_ref(f"{name}-mediaconvert")
    return Workload(
        name="mediaconvert-jobs",
        principal=role,
        requests=(
            assume("mediaconvert.amazonaws.com", role, context={"aws:SourceAccount": ACCOUNT}),
            *_read_upload(d, d.object(UPLOADS, f"{upload_prefix}v1.mp4")),
            *_write_rendition(d),
            Request(
                label="write outside hls/",
                action="s3:PutObject",
                resource=d.object(RENDITIONS, "site/index.html"),
                expect=Expect.DENIED,
            ),
            Request(
                label="overwrite an upload",
                action="s3:PutObject",
                resource=d.object(UPLOADS, f"{upload_prefix}v1.mp4"),
                expect=Expect.DENIED,
            ),
            Request(
                label="read the videos table",
                action="dynamodb:GetItem",
                resource=d.table("videos"),
                expect=Expect.DENIED,
            ),
        ),
    )


def notification_workload(name: str, d: DataRefs) -> Workload:
    """S3 delivers the uploads bucket's events to the queue, encrypting them with the queue's key."""
    uploads = d.bucket(UPLOADS)
    source = {"aws:SourceArn": uploads, "aws:SourceAccount": ACCOUNT}
    queue_key = key_ref(f"{name}-queue-key")
    return Workload(
        name="s3-notifications",
        principal="s3.amazonaws.com",
        requests=(
            Request(label="send an upload event", action="sqs:SendMessage", resource=_queue(name), context=source),
            *(
                Request(label=f"{a} on the queue key", action=a, resource=queue_key, context={**source, **via("sqs")})
                for a in ("kms:GenerateDataKey", "kms:Decrypt")
            ),
            Request(
                label="send for another bucket",
                action="sqs:SendMessage",
                resource=_queue(name),
                context={"aws:SourceArn": d.bucket(RENDITIONS), "aws:SourceAccount": ACCOUNT},
                expect=Expect.DENIED,
            ),
            Request(
                label="send for another account's bucket",
                action="sqs:SendMessage",
                resource=_queue(name),
                context={"aws:SourceArn": "arn:aws:s3:::someone-elses-bucket", "aws:SourceAccount": OTHER_ACCOUNT},
                expect=Expect.DENIED,
            ),
            Request(
                label="send to the dead-letter queue",
                action="sqs:SendMessage",
                resource=_queue(name, "dlq"),
                context=source,
                expect=Expect.DENIED,
            ),
        ),
    )


def events_workload(name: str) -> Workload:
    rule = Ref("aws:cloudwatch/eventRule:EventRule", f"{name}-job-state")
    return Workload(
        name="eventbridge-to-status",
        principal="events.amazonaws.com",
        requests=(
            Request(
                label="invoke the status function for the job-state rule",
                action="lambda:InvokeFunction",
                resource=Ref("aws:lambda/function:Function", f"{name}-status"),
                context={"aws:SourceArn": rule, "aws:SourceAccount": ACCOUNT},
            ),
            Request(
                label="invoke it for another rule",
                action="lambda:InvokeFunction",
                resource=Ref("aws:lambda/function:Function", f"{name}-status"),
                context={
                    "aws:SourceArn": ("arn:", PARTITION, ":events:", REGION, ":", ACCOUNT, ":rule/other"),
                    "aws:SourceAccount": ACCOUNT,
                },
                expect=Expect.DENIED,
            ),
            Request(
                label="invoke the transcoder",
                action="lambda:InvokeFunction",
                resource=Ref("aws:lambda/function:Function", f"{name}-transcoder"),
                context={"aws:SourceArn": rule, "aws:SourceAccount": ACCOUNT},
                expect=Expect.DENIED,
            ),
        ),
    )


def media_workloads(name: str, data: str, *, status_function: bool, upload_prefix: str) -> list[Workload]:
    """``status_function``: the MediaConvert backend (status function, job role, EventBridge rule) is built."""
    d = DataRefs(data)
    out = [transcoder_workload(name, d, upload_prefix, mediaconvert=status_function), notification_workload(name, d)]
    if status_function:
        out += [status_workload(name, d), mediaconvert_workload(name, d, upload_prefix), events_workload(name)]
    return out
