"""SQS consumer: S3 upload events -> claimed, checked, transcoded (ffmpeg) or submitted (MediaConvert).

Returns partial batch failures (``ReportBatchItemFailures``): only the records that hit a transient
error go back to the queue; after ``maxReceiveCount`` receives SQS moves them to the DLQ. Bad input is
never retried: the video ends FAILED with the reason, and the message is acknowledged.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from botocore.exceptions import ClientError

from .events import S3Object, parse_body, video_id_for
from .ffmpeg_backend import FfmpegBackend
from .ladder import PermanentError, sniff_container
from .mediaconvert_backend import MediaConvertBackend
from .store import VideoStore

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)

SNIFF_BYTES = 4096
MEDIACONVERT_LEASE_SECONDS = 24 * 3600  # a job that has not reported by then may be submitted again


@dataclass(frozen=True)
class Config:
    table_name: str
    renditions_bucket: str
    backend: str = "ffmpeg"  # ffmpeg | mediaconvert
    upload_prefix: str = "uploads/"
    max_upload_bytes: int = 5 * 1024**3
    max_receive_count: int = 5
    lease_seconds: int = 900  # the function timeout: a claim older than that belongs to a dead worker
    ffmpeg_path: str = "/opt/bin/ffmpeg"
    ffmpeg_preset: str = "veryfast"
    segment_seconds: int = 4
    work_dir: str = "/tmp"
    mediaconvert_role_arn: str = ""
    mediaconvert_endpoint: str = ""
    media_kms_key_arn: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        return cls(
            table_name=env["VIDEO_TABLE"],
            renditions_bucket=env["RENDITIONS_BUCKET"],
            backend=env.get("BACKEND", "ffmpeg"),
            upload_prefix=env.get("UPLOAD_PREFIX", "uploads/"),
            max_upload_bytes=int(env.get("MAX_UPLOAD_BYTES", str(5 * 1024**3))),
            max_receive_count=int(env.get("MAX_RECEIVE_COUNT", "5")),
            lease_seconds=int(env.get("LEASE_SECONDS", "900")),
            ffmpeg_path=env.get("FFMPEG_PATH", "/opt/bin/ffmpeg"),
            ffmpeg_preset=env.get("FFMPEG_PRESET", "veryfast"),
            segment_seconds=int(env.get("SEGMENT_SECONDS", "4")),
            work_dir=env.get("WORK_DIR", "/tmp"),
            mediaconvert_role_arn=env.get("MEDIACONVERT_ROLE_ARN", ""),
            mediaconvert_endpoint=env.get("MEDIACONVERT_ENDPOINT", ""),
            media_kms_key_arn=env.get("MEDIA_KMS_KEY_ARN", ""),
        )


class Pipeline:
    def __init__(self, config: Config, s3: Any, dynamodb: Any, mediaconvert: Any = None) -> None:
        self.config = config
        self.s3 = s3
        self.store = VideoStore(dynamodb, config.table_name)
        self.ffmpeg = FfmpegBackend(
            s3,
            config.renditions_bucket,
            ffmpeg_path=config.ffmpeg_path,
            work_dir=config.work_dir,
            segment_seconds=config.segment_seconds,
            preset=config.ffmpeg_preset,
        )
        self.mediaconvert = (
            MediaConvertBackend(
                mediaconvert, config.mediaconvert_role_arn, config.renditions_bucket, config.media_kms_key_arn or None
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
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    def process_record(self, record: Mapping[str, Any], context: Any = None) -> None:
        objects = parse_body(record["body"])  # PoisonMessage propagates: retried, then the DLQ
        receives = int((record.get("attributes") or {}).get("ApproximateReceiveCount", "1"))
        for obj in objects:
            self.process_object(obj, receives, context)

    def process_object(self, obj: S3Object, receives: int = 1, context: Any = None) -> str:
        video_id = video_id_for(obj.key, self.config.upload_prefix)
        if not self.store.claim(video_id, obj, self.config.lease_seconds):
            log.info("duplicate or stale delivery of %s (%s); nothing to do", obj.key, obj.token)
            return "duplicate"
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
            if receives >= self.config.max_receive_count:
                # Last receive: the message is about to move to the DLQ. Record why; a redrive from the
                # DLQ may claim the upload again (retryable).
                self.store.failed(video_id, obj.token, f"gave up after {receives} attempts: {exc!r}", retryable=True)
            else:
                self.store.release(video_id, obj.token, repr(exc))
            raise

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

    def _time_budget(self, context: Any) -> float:
        """Seconds ffmpeg may run: what the invocation has left, less a minute to upload and record."""
        if context is None:
            return float(self.config.lease_seconds)
        return context.get_remaining_time_in_millis() / 1000 - 60


@cache
def _pipeline() -> Pipeline:
    config = Config.from_env(os.environ)
    mediaconvert = (
        boto3.client("mediaconvert", endpoint_url=config.mediaconvert_endpoint or None)
        if config.backend == "mediaconvert"
        else None
    )
    return Pipeline(config, boto3.client("s3"), boto3.client("dynamodb"), mediaconvert)


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return _pipeline().handle(event, context)
