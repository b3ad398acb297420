"""SQS consumer: S3 upload events -> claimed, checked, transcoded (ffmpeg) or submitted (MediaConvert).

Returns partial batch failures (``ReportBatchItemFailures``): only the records that hit a transient
error go back to the queue, after a backoff set with ``ChangeMessageVisibility`` (without it a retry
waits the queue's whole visibility timeout, six times the function timeout); after ``maxReceiveCount``
receives SQS moves them to the DLQ. Nothing that no retry can fix is retried:

* bad input (not a video, empty, too large, gone, too long for the time left) ends FAILED with the
  reason, and the message is acknowledged;
* a poison message (not an S3 event, no usable video id) goes to the DLQ at once, with
  ``status=FAILED`` and the reason as message attributes, and is acknowledged;
* keys whose suffix is not a video suffix (compared case-insensitively: the uploads bucket notifies
  for the whole prefix, since S3's suffix filters are literal) are acknowledged and logged.

A watchdog records the outcome before the Lambda timeout can kill the run: the last receive ends
FAILED (retryable from the DLQ), an earlier one releases its lease for the next delivery.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from botocore.exceptions import ClientError

from .events import PoisonMessage, S3Object, parse_body, video_id_for
from .ffmpeg_backend import FfmpegBackend
from .ladder import PermanentError, sniff_container
from .mediaconvert_backend import MediaConvertBackend
from .store import FAILED, VideoStore

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)

SNIFF_BYTES = 4096
MEDIACONVERT_LEASE_SECONDS = 24 * 3600  # a job that has not reported by then may be submitted again
DEFAULT_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm")
SQS_MAX_VISIBILITY_SECONDS = 43200  # ChangeMessageVisibility: 0 to 43,200 s (SQS API Reference)


@dataclass(frozen=True)
class Config:
    table_name: str
    renditions_bucket: str
    backend: str = "ffmpeg"  # ffmpeg | mediaconvert
    upload_prefix: str = "uploads/"
    upload_suffixes: tuple[str, ...] = DEFAULT_SUFFIXES  # matched case-insensitively
    max_upload_bytes: int = 5 * 1024**3
    max_receive_count: int = 5
    lease_seconds: int = 900  # the function timeout: a claim older than that belongs to a dead worker
    ffmpeg_path: str = "/opt/bin/ffmpeg"
    ffmpeg_preset: str = "veryfast"
    segment_seconds: int = 6
    work_dir: str = "/tmp"
    mediaconvert_role_arn: str = ""
    mediaconvert_endpoint: str = ""
    media_kms_key_arn: str = ""
    queue_url: str = ""  # for ChangeMessageVisibility (backoff)
    dlq_url: str = ""  # poison messages go here at once
    retry_base_seconds: int = 30  # backoff after receive n: base * 2**(n-1), at most retry_max_seconds
    retry_max_seconds: int = 900
    reserve_seconds: float = 60  # kept back from ffmpeg's budget to upload the renditions and record READY
    watchdog_seconds: float = 10  # before the Lambda timeout, the watchdog records the outcome
    seconds_per_video_second: float = 1.0  # encoding time per second of source (the ladder at veryfast)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        suffixes = tuple(s for s in env.get("UPLOAD_SUFFIXES", ",".join(DEFAULT_SUFFIXES)).split(",") if s)
        return cls(
            table_name=env["VIDEO_TABLE"],
            renditions_bucket=env["RENDITIONS_BUCKET"],
            backend=env.get("BACKEND", "ffmpeg"),
            upload_prefix=env.get("UPLOAD_PREFIX", "uploads/"),
            upload_suffixes=suffixes,
            max_upload_bytes=int(env.get("MAX_UPLOAD_BYTES", str(5 * 1024**3))),
            max_receive_count=int(env.get("MAX_RECEIVE_COUNT", "5")),
            lease_seconds=int(env.get("LEASE_SECONDS", "900")),
            ffmpeg_path=env.get("FFMPEG_PATH", "/opt/bin/ffmpeg"),
            ffmpeg_preset=env.get("FFMPEG_PRESET", "veryfast"),
            segment_seconds=int(env.get("SEGMENT_SECONDS", "6")),
            work_dir=env.get("WORK_DIR", "/tmp"),
            mediaconvert_role_arn=env.get("MEDIACONVERT_ROLE_ARN", ""),
            mediaconvert_endpoint=env.get("MEDIACONVERT_ENDPOINT", ""),
            media_kms_key_arn=env.get("MEDIA_KMS_KEY_ARN", ""),
            queue_url=env.get("QUEUE_URL", ""),
            dlq_url=env.get("DLQ_URL", ""),
        )

    def wants(self, key: str) -> bool:
        return key.lower().endswith(tuple(s.lower() for s in self.upload_suffixes))

    def backoff_seconds(self, receives: int) -> int:
        """Visibility timeout after a transient failure on receive ``receives`` (exponential, capped)."""
        delay = self.retry_base_seconds * 2 ** max(receives - 1, 0)
        return int(min(delay, self.retry_max_seconds, SQS_MAX_VISIBILITY_SECONDS))


class Pipeline:
    def __init__(self, config: Config, s3: Any, dynamodb: Any, mediaconvert: Any = None, sqs: Any = None) -> None:
        self.config = config
        self.s3 = s3
        self.sqs = sqs
        self.store = VideoStore(dynamodb, config.table_name)
        self.ffmpeg = FfmpegBackend(
            s3,
            config.renditions_bucket,
            ffmpeg_path=config.ffmpeg_path,
            work_dir=config.work_dir,
            segment_seconds=config.segment_seconds,
            preset=config.ffmpeg_preset,
            seconds_per_video_second=config.seconds_per_video_second,
        )
        self.mediaconvert = (
            MediaConvertBackend(
                mediaconvert,
                config.mediaconvert_role_arn,
                config.renditions_bucket,
                config.media_kms_key_arn or None,
                segment_seconds=config.segment_seconds,
            )
            if mediaconvert is not None
            else None
        )

    # ---- the batch ------------------------------------------------------------------------------------

    def handle(self, event: Mapping[str, Any], context: Any = None) -> dict[str, list[dict[str, str]]]:
        failures = []
        for record in event.get("Records", []):
            try:
                self.process_record(record, context)
            except Exception:
                log.exception("message %s failed; it goes back to the queue", record.get("messageId"))
                self.back_off(record)
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    def process_record(self, record: Mapping[str, Any], context: Any = None) -> None:
        receives = _receives(record)
        try:
            objects = parse_body(record["body"])
        except PoisonMessage as exc:
            self.reject(record, str(exc))
            return
        for obj in objects:
            if not self.config.wants(obj.key):
                log.info("%s is not a video upload (suffixes %s); acknowledged", obj.key, self.config.upload_suffixes)
                continue
            try:
                video_id = video_id_for(obj.key, self.config.upload_prefix)
            except PoisonMessage as exc:
                self.reject(record, str(exc))
                continue
            self.process_object(obj, receives, context, video_id=video_id)

    def reject(self, record: Mapping[str, Any], reason: str) -> None:
        """A message no retry can fix: into the DLQ now, marked FAILED with the reason (the DLQ alarm sees it
        at once, not after maxReceiveCount visibility timeouts); the caller then acknowledges it."""
        if not self.config.dlq_url or self.sqs is None:
            raise PoisonMessage(reason)  # no DLQ to write to: let SQS's redrive move it
        log.error("poison message %s: %s; moved to the DLQ", record.get("messageId"), reason)
        self.sqs.send_message(
            QueueUrl=self.config.dlq_url,
            MessageBody=record["body"],
            MessageAttributes={
                "status": {"DataType": "String", "StringValue": FAILED},
                "failureReason": {"DataType": "String", "StringValue": reason[:1000]},
                "sourceMessageId": {"DataType": "String", "StringValue": str(record.get("messageId", ""))},
            },
        )

    def back_off(self, record: Mapping[str, Any]) -> None:
        """Make a failed message visible again after the backoff instead of the queue's visibility timeout.
        On the last receive the delay is 0: the next receive moves it to the DLQ."""
        if not self.config.queue_url or self.sqs is None or "receiptHandle" not in record:
            return
        receives = _receives(record)
        delay = 0 if receives >= self.config.max_receive_count else self.config.backoff_seconds(receives)
        try:
            self.sqs.change_message_visibility(
                QueueUrl=self.config.queue_url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=delay
            )
        except ClientError:
            log.exception(
                "could not set the backoff of %s; it returns after the visibility timeout", record["messageId"]
            )

    def process_object(
        self, obj: S3Object, receives: int = 1, context: Any = None, *, video_id: str | None = None
    ) -> str:
        video_id = video_id or video_id_for(obj.key, self.config.upload_prefix)
        if not self.store.claim(video_id, obj, self.config.lease_seconds):
            log.info("duplicate or stale delivery of %s (%s); nothing to do", obj.key, obj.token)
            return "duplicate"
        last = receives >= self.config.max_receive_count
        watchdog = self._watchdog(video_id, obj, receives, last, context)
        try:
            self.check_source(obj)
            if self.config.backend == "mediaconvert":
                assert self.mediaconvert is not None, "the mediaconvert backend needs a MediaConvert client"
                job = self.mediaconvert.submit(video_id, obj)
                self.store.submitted(video_id, obj.token, job, MEDIACONVERT_LEASE_SECONDS)
                return "submitted"
            result = self.ffmpeg.transcode(video_id, obj, self._time_budget(context))
            self.store.ready(video_id, obj.token, result.master_key, result.renditions)
            return "ready"
        except PermanentError as exc:
            log.warning("%s cannot be transcoded: %s", obj.key, exc)
            self.store.failed(video_id, obj.token, str(exc))
            return "failed"
        except Exception as exc:
            if last:
                # Last receive: the message is about to move to the DLQ. Record why; a redrive from the
                # DLQ may claim the upload again (retryable).
                self.store.failed(video_id, obj.token, f"gave up after {receives} attempts: {exc!r}", retryable=True)
            else:
                self.store.release(video_id, obj.token, repr(exc))
            raise
        finally:
            if watchdog is not None:
                watchdog.cancel()

    def _watchdog(
        self, video_id: str, obj: S3Object, receives: int, last: bool, context: Any
    ) -> threading.Timer | None:
        """A timer that fires ``watchdog_seconds`` before the Lambda timeout, while the run is still alive:
        on the last receive it records FAILED (retryable), otherwise it releases the lease, so a run the
        timeout kills never leaves the video PROCESSING."""
        if context is None:
            return None
        delay = context.get_remaining_time_in_millis() / 1000 - self.config.watchdog_seconds
        timeout = f"the function timed out on receive {receives} of {self.config.max_receive_count}"

        def fire() -> None:
            try:
                if last:
                    self.store.failed(video_id, obj.token, timeout, retryable=True)
                else:
                    self.store.release(video_id, obj.token, timeout)
            except Exception:
                log.exception("the watchdog could not record the timeout of %s", video_id)

        timer = threading.Timer(max(delay, 0), fire)
        timer.daemon = True
        timer.start()
        return timer

    # ---- checks ---------------------------------------------------------------------------------------

    def check_source(self, obj: S3Object) -> None:
        """Vanished, empty, oversized and non-video uploads fail here, before any transcoding is paid for."""
        where = f"s3://{obj.bucket}/{obj.key}"
        version = {"VersionId": obj.version_id} if obj.version_id else {}
        try:
            head = self.s3.head_object(Bucket=obj.bucket, Key=obj.key, **version)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NoSuchVersion", "NotFound"):
                raise PermanentError(f"the upload {where} no longer exists") from exc
            raise
        size = int(head["ContentLength"])
        if size == 0:
            raise PermanentError(f"the upload {where} is empty (0 bytes)")
        if size > self.config.max_upload_bytes:
            raise PermanentError(
                f"the upload {where} is {size} bytes; the limit is {self.config.max_upload_bytes} bytes"
            )
        body = self.s3.get_object(Bucket=obj.bucket, Key=obj.key, Range=f"bytes=0-{SNIFF_BYTES - 1}", **version)
        sniff_container(body["Body"].read())

    def _time_budget(self, context: Any) -> Callable[[], float]:
        """Seconds ffmpeg may run, asked when it starts (after the download): what the invocation has left,
        less the reserve to upload the renditions and record READY, and less the watchdog's margin."""
        if context is None:
            return lambda: float(self.config.lease_seconds)
        keep = self.config.reserve_seconds + self.config.watchdog_seconds
        return lambda: context.get_remaining_time_in_millis() / 1000 - keep


def _receives(record: Mapping[str, Any]) -> int:
    return int((record.get("attributes") or {}).get("ApproximateReceiveCount", "1"))


@cache
def _pipeline() -> Pipeline:
    config = Config.from_env(os.environ)
    mediaconvert = (
        boto3.client("mediaconvert", endpoint_url=config.mediaconvert_endpoint or None)
        if config.backend == "mediaconvert"
        else None
    )
    return Pipeline(config, boto3.client("s3"), boto3.client("dynamodb"), mediaconvert, boto3.client("sqs"))


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return _pipeline().handle(event, context)
