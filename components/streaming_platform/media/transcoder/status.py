"""EventBridge target: MediaConvert job state changes (COMPLETE, ERROR) -> READY or FAILED."""

from __future__ import annotations

import logging
import os
from functools import cache
from typing import Any

import boto3

from .ladder import MEDIACONVERT_LADDER
from .store import Rendition, VideoStore

log = logging.getLogger(__name__)
_BANDWIDTH = {r.name: r.max_bitrate for r in MEDIACONVERT_LADDER}


def _key(s3_url: str) -> str:
    return s3_url.split("/", 3)[3]


def renditions_of(detail: dict[str, Any]) -> tuple[str, list[Rendition]]:
    group = detail["outputGroupDetails"][0]
    master = _key(group["playlistFilePaths"][0])
    renditions = []
    for output in group.get("outputDetails", []):
        path = output["outputFilePaths"][0]
        name = path.rsplit("_", 1)[-1].removesuffix(".m3u8")
        video = output.get("videoDetails", {})
        renditions.append(
            Rendition(
                name,
                int(video.get("widthInPx", 0)),
                int(video.get("heightInPx", 0)),
                _BANDWIDTH.get(name, 0),
                _key(path),
            )
        )
    return master, renditions


def handle(event: dict[str, Any], store: VideoStore) -> str:
    detail = event["detail"]
    meta = detail.get("userMetadata") or {}
    video_id, token, job = meta.get("videoId"), meta.get("sourceToken"), detail.get("jobId")
    if not video_id or not token:
        log.warning("job %s carries no videoId/sourceToken metadata; not ours", job)
        return "ignored"
    if detail["status"] == "COMPLETE":
        master, renditions = renditions_of(detail)
        done = store.ready(video_id, token, master, renditions)
    else:
        reason = f"MediaConvert job {job} failed: {detail.get('errorCode')} {detail.get('errorMessage', '')}".strip()
        done = store.failed(video_id, token, reason)
    return "updated" if done else "superseded"


@cache
def _store() -> VideoStore:
    return VideoStore(boto3.client("dynamodb"), os.environ["VIDEO_TABLE"])


def handler(event: dict[str, Any], _context: Any) -> dict[str, str]:
    # An exception here makes Lambda retry the async invoke twice, then send the event to the DLQ.
    return {"result": handle(event, _store())}
