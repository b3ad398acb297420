"""Parse S3 event notifications out of SQS records."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

TEST_EVENT = "s3:TestEvent"
_VIDEO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


class PoisonMessage(ValueError):
    """A message no retry can fix (not JSON, not an S3 event, no usable video id): it belongs in the DLQ."""


@dataclass(frozen=True)
class S3Object:
    """One created object, as the notification describes it (the key already URL-decoded)."""

    bucket: str
    key: str
    size: int
    etag: str
    version_id: str | None
    event_time: str
    event_name: str

    @property
    def token(self) -> str:
        """Identity of this exact upload: the version id on a versioned bucket, else the ETag. Duplicate
        deliveries of one upload share it; a re-upload to the same key gets a new one."""
        return f"v:{self.version_id}" if self.version_id else f"e:{self.etag}"


def parse_body(body: str) -> list[S3Object]:
    """The objects an SQS message body announces; [] for S3's ``s3:TestEvent`` (sent when the
    notification is configured) and for events other than ObjectCreated."""
    try:
        message = json.loads(body)
    except ValueError as exc:
        raise PoisonMessage(f"message body is not JSON: {body[:80]!r}") from exc
    if not isinstance(message, dict):
        raise PoisonMessage(f"message body is not a JSON object: {body[:80]!r}")
    if message.get("Event") == TEST_EVENT:
        return []
    records = message.get("Records")
    if not isinstance(records, list):
        raise PoisonMessage(f"message has no Records list: {sorted(message)}")
    return [obj for r in records if (obj := _parse_record(r)) is not None]


def _parse_record(record: Any) -> S3Object | None:
    try:
        if record.get("eventSource") != "aws:s3" or not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            return None
        s3: dict[str, Any] = record["s3"]
        obj = s3["object"]
        return S3Object(
            bucket=s3["bucket"]["name"],
            # Keys arrive form-encoded: spaces as '+', everything else percent-escaped.
            key=unquote_plus(obj["key"]),
            size=int(obj.get("size", 0)),
            etag=str(obj.get("eTag", "")),
            version_id=obj.get("versionId") or None,
            event_time=str(record.get("eventTime", "")),
            event_name=str(record["eventName"]),
        )
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise PoisonMessage(f"malformed S3 record: {exc!r}") from exc


def video_id_for(key: str, upload_prefix: str) -> str:
    """``<prefix><videoId>/<file>`` -> videoId; ``<prefix><file>`` -> the file name without extension."""
    rest = key[len(upload_prefix) :] if key.startswith(upload_prefix) else key
    parts = rest.split("/")
    candidate = parts[0] if len(parts) > 1 else parts[0].split(".", 1)[0]
    if not _VIDEO_ID.match(candidate):
        raise PoisonMessage(f"cannot derive a video id from key {key!r} (got {candidate!r})")
    return candidate
