"""Helpers of the transcoder tests: the pipeline under test, and the event source mapping's part played by hand."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote_plus

from streaming_platform.media.args import MediaKeys, MediaPipelineArgs, MediaStorage
from streaming_platform.media.queues import notification_queues
from streaming_platform.media.transcoder.handler import Config, Pipeline
from streaming_platform.media.transcoder.store import VideoStore

from tests.functions.conftest import Env

PREFIX = "uploads/"
STORAGE = MediaStorage(
    uploads_bucket_name="x",
    uploads_bucket_arn="x",
    renditions_bucket_name="x",
    renditions_bucket_arn="x",
    video_table_name="x",
    video_table_arn="x",
)
KEYS = MediaKeys(media_key_arn="x", data_key_arn="x", logs_key_arn="x")


def pipeline(env: Env, ffmpeg: str = "/nonexistent/ffmpeg", mediaconvert_client: Any = None, **config: Any) -> Pipeline:
    """The transcoder as the stack configures it (queue and DLQ URLs, the env's receive count), against ``env``.
    Retries come back at once unless a test sets ``retry_base_seconds``."""
    settings: dict[str, Any] = {
        "table_name": env.table,
        "renditions_bucket": env.renditions,
        "upload_prefix": PREFIX,
        "max_receive_count": env.max_receive_count,
        "ffmpeg_path": ffmpeg,
        "ffmpeg_preset": "ultrafast",
        "segment_seconds": 2,
        "queue_url": env.queue_url,
        "dlq_url": env.dlq_url,
        "retry_base_seconds": 0,
    }
    return Pipeline(Config(**(settings | config)), env.s3, env.dynamodb, mediaconvert_client, env.sqs)


def notify_queue(env: Env) -> None:
    """What MediaPipeline configures on the uploads bucket (``notification_queues``), in S3's API shape."""
    args = MediaPipelineArgs(
        vpc_id="x", storage=STORAGE, keys=KEYS, app_subnet_ids=["a", "b"], availability_zones=["a", "b"]
    )
    rules = notification_queues(args, env.queue_arn)
    configs = []
    for r in rules:
        filters = [{"Name": "prefix", "Value": r["filter_prefix"]}]
        if "filter_suffix" in r:
            filters.append({"Name": "suffix", "Value": r["filter_suffix"]})
        configs.append(
            {
                "Id": r["id"],
                "QueueArn": r["queue_arn"],
                "Events": r["events"],
                "Filter": {"Key": {"FilterRules": filters}},
            }
        )
    env.s3.put_bucket_notification_configuration(
        Bucket=env.uploads, NotificationConfiguration={"QueueConfigurations": configs}
    )


def receive(env: Env, queue_url: str | None = None) -> list[dict[str, Any]]:
    """Messages as the SQS event source mapping hands them to Lambda."""
    messages = env.sqs.receive_message(
        QueueUrl=queue_url or env.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
    ).get("Messages", [])
    return [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m["Attributes"],
            "eventSource": "aws:sqs",
            "eventSourceARN": env.queue_arn,
        }
        for m in messages
    ]


def deliver(env: Env, p: Pipeline, records: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One poll of the event source mapping: invoke, then delete every record not reported as failed."""
    records = receive(env) if records is None else records
    result = p.handle({"Records": records})
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    for r in records:
        if r["messageId"] not in failed:
            env.sqs.delete_message(QueueUrl=env.queue_url, ReceiptHandle=r["receiptHandle"])
    return result


def item(env: Env, video_id: str) -> dict[str, Any]:
    raw = VideoStore(env.dynamodb, env.table).get(video_id)
    assert raw is not None, f"no item for {video_id}"
    return raw


def history(it: dict[str, Any]) -> list[str]:
    return [h["M"]["status"]["S"] for h in it["statusHistory"]["L"]]


def s3_event(bucket: str, key: str, size: int = 10, etag: str = "abc", version: str | None = "v1") -> str:
    obj: dict[str, Any] = {"key": quote_plus(key, safe="/"), "size": size, "eTag": etag, "sequencer": "0A1B"}
    if version:
        obj["versionId"] = version
    return json.dumps(
        {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "eventTime": "2026-11-22T10:00:00.000Z",
                    "eventName": "ObjectCreated:Put",
                    "s3": {"bucket": {"name": bucket}, "object": obj},
                }
            ]
        }
    )


def upload(env: Env, key: str, body: bytes) -> None:
    env.s3.put_object(Bucket=env.uploads, Key=key, Body=body)
