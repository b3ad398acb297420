"""Entry points the transcoder tests run in separate processes (multiprocessing's spawn start method imports this
module in each child): real concurrency against the moto server, and runs that a kill ends as a timeout would."""

from __future__ import annotations

import time
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

import boto3
from streaming_platform.media.transcoder.events import S3Object
from streaming_platform.media.transcoder.handler import Config, Pipeline

REGION = "us-east-1"


@dataclass(frozen=True)
class FakeContext:
    """Lambda's context object: the time left before the function's timeout, counted from ``deadline``."""

    deadline: float

    def get_remaining_time_in_millis(self) -> int:
        return int((self.deadline - time.time()) * 1000)


def clients(endpoint: str) -> dict[str, Any]:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    return {name: session.client(name, endpoint_url=endpoint) for name in ("s3", "dynamodb", "sqs")}


def deliver_and_report(endpoint: str, config: Config, obj: S3Object, barrier: Barrier, results: Queue[str]) -> None:
    """One at-least-once delivery of ``obj``: every worker waits at the barrier, then claims and processes it."""
    c = clients(endpoint)
    pipeline = Pipeline(config, c["s3"], c["dynamodb"], sqs=c["sqs"])
    barrier.wait(timeout=60)
    results.put(pipeline.process_object(obj, 1))


class _HangingDownloads:
    """S3 whose downloads never finish (a huge upload): the run is still downloading when the timeout comes."""

    def __init__(self, s3: Any) -> None:
        self._s3 = s3

    def download_file(self, *args: Any, **kwargs: Any) -> None:
        time.sleep(600)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)


def hang_in_download(endpoint: str, config: Config, obj: S3Object, receives: int, seconds_left: float) -> None:
    """A delivery with ``seconds_left`` before the function's timeout that hangs in the download; the test
    kills the process, as Lambda ends a run at its timeout."""
    c = clients(endpoint)
    pipeline = Pipeline(config, c["s3"], c["dynamodb"], sqs=c["sqs"])
    pipeline.ffmpeg.s3 = _HangingDownloads(c["s3"])
    pipeline.process_object(obj, receives, FakeContext(time.time() + seconds_left))
