"""The video metadata item: status transitions with conditional writes, so duplicates are no-ops.

Status flow: UPLOADED -> PROCESSING -> READY | FAILED. One conditional UpdateItem claims an upload
(recording UPLOADED and PROCESSING with their timestamps); it succeeds only when

* this upload (``sourceToken``: version id or ETag) was not claimed before, or its previous claim's
  lease ran out while still PROCESSING (the worker died; the message came back after the visibility
  timeout), and
* no newer upload of the same video was claimed (``sourceEventTime`` only moves forward).

Every later write is conditional on the same ``sourceToken``, so a superseded run cannot overwrite
the result of a newer upload.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from .events import S3Object

UPLOADED, PROCESSING, READY, FAILED = "UPLOADED", "PROCESSING", "READY", "FAILED"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Rendition:
    name: str
    width: int
    height: int
    bandwidth: int
    playlist_key: str

    def to_item(self) -> dict[str, Any]:
        return {
            "M": {
                "name": {"S": self.name},
                "width": {"N": str(self.width)},
                "height": {"N": str(self.height)},
                "bandwidth": {"N": str(self.bandwidth)},
                "playlistKey": {"S": self.playlist_key},
            }
        }


def _conditional_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class VideoStore:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self.dynamodb = dynamodb
        self.table = table_name

    def claim(self, video_id: str, obj: S3Object, lease_seconds: int) -> bool:
        """Record UPLOADED -> PROCESSING for this upload; False when a duplicate or stale delivery."""
        now, epoch = now_iso(), int(time.time())
        uploaded_at = obj.event_time or now
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"videoId": {"S": video_id}},
                UpdateExpression=(
                    "SET #status = :processing, sourceToken = :token, sourceBucket = :bucket, sourceKey = :key, "
                    "sourceSize = :size, sourceEventTime = :eventTime, uploadedAt = :uploadedAt, "
                    "uploadDay = :uploadDay, processingStartedAt = :now, updatedAt = :now, "
                    "leaseExpiresAt = :lease, attempts = if_not_exists(attempts, :zero) + :one, "
                    "statusHistory = list_append(if_not_exists(statusHistory, :empty), :history) "
                    "REMOVE failureReason, failedAt, readyAt, renditions, masterPlaylistKey, mediaConvertJobId, "
                    "retryable"
                ),
                ConditionExpression=(
                    "(attribute_not_exists(sourceToken) OR sourceToken <> :token "
                    "OR (#status = :processing AND leaseExpiresAt < :epoch) "
                    "OR (#status = :failed AND retryable = :true)) "
                    "AND (attribute_not_exists(sourceEventTime) OR sourceEventTime <= :eventTime)"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":processing": {"S": PROCESSING},
                    ":failed": {"S": FAILED},
                    ":true": {"BOOL": True},
                    ":token": {"S": obj.token},
                    ":bucket": {"S": obj.bucket},
                    ":key": {"S": obj.key},
                    ":size": {"N": str(obj.size)},
                    ":eventTime": {"S": obj.event_time or now},
                    ":uploadedAt": {"S": uploaded_at},
                    ":uploadDay": {"S": uploaded_at[:10]},
                    ":now": {"S": now},
                    ":lease": {"N": str(epoch + lease_seconds)},
                    ":epoch": {"N": str(epoch)},
                    ":zero": {"N": "0"},
                    ":one": {"N": "1"},
                    ":empty": {"L": []},
                    ":history": {
                        "L": [
                            {"M": {"status": {"S": UPLOADED}, "at": {"S": uploaded_at}}},
                            {"M": {"status": {"S": PROCESSING}, "at": {"S": now}}},
                        ]
                    },
                },
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def _finish(self, video_id: str, token: str, update: str, values: dict[str, Any]) -> bool:
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"videoId": {"S": video_id}},
                UpdateExpression=update,
                ConditionExpression="sourceToken = :token AND #status = :processing",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":token": {"S": token}, ":processing": {"S": PROCESSING}, **values},
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                return False  # superseded by a newer upload, or already finished
            raise
        return True

    def ready(self, video_id: str, token: str, master_key: str, renditions: Sequence[Rendition]) -> bool:
        now = now_iso()
        return self._finish(
            video_id,
            token,
            "SET #status = :ready, readyAt = :now, updatedAt = :now, masterPlaylistKey = :master, "
            "renditions = :renditions, statusHistory = list_append(statusHistory, :history) REMOVE leaseExpiresAt",
            {
                ":ready": {"S": READY},
                ":now": {"S": now},
                ":master": {"S": master_key},
                ":renditions": {"L": [r.to_item() for r in renditions]},
                ":history": {"L": [{"M": {"status": {"S": READY}, "at": {"S": now}}}]},
            },
        )

    def failed(self, video_id: str, token: str, reason: str, *, retryable: bool = False) -> bool:
        """FAILED with the reason. ``retryable``: a transient error ran out of receives (the message is in
        the DLQ); redriving it may claim the upload again."""
        now = now_iso()
        return self._finish(
            video_id,
            token,
            "SET #status = :failed, failedAt = :now, updatedAt = :now, failureReason = :reason, retryable = :retry, "
            "statusHistory = list_append(statusHistory, :history) REMOVE leaseExpiresAt",
            {
                ":failed": {"S": FAILED},
                ":now": {"S": now},
                ":reason": {"S": reason[:1000]},
                ":retry": {"BOOL": retryable},
                ":history": {"L": [{"M": {"status": {"S": FAILED}, "at": {"S": now}, "reason": {"S": reason[:200]}}}]},
            },
        )

    def submitted(self, video_id: str, token: str, job_id: str, lease_seconds: int) -> bool:
        """A MediaConvert job now owns the transcode: record it and hold the lease until the job can end."""
        return self._finish(
            video_id,
            token,
            "SET mediaConvertJobId = :job, leaseExpiresAt = :lease, updatedAt = :now",
            {
                ":job": {"S": job_id},
                ":lease": {"N": str(int(time.time()) + lease_seconds)},
                ":now": {"S": now_iso()},
            },
        )

    def release(self, video_id: str, token: str, error: str) -> None:
        """A transient failure: give the lease back, so the next delivery of the message may claim the upload
        again. That delivery comes when the message's visibility timeout ends: the handler shortens it to a
        backoff (``ChangeMessageVisibility``) before it reports the failure; this write only records the error."""
        self._finish(
            video_id,
            token,
            "SET leaseExpiresAt = :zero, lastError = :error, updatedAt = :now",
            {":zero": {"N": "0"}, ":error": {"S": error[:1000]}, ":now": {"S": now_iso()}},
        )

    def get(self, video_id: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(TableName=self.table, Key={"videoId": {"S": video_id}}, ConsistentRead=True).get(
            "Item"
        )
        return item
