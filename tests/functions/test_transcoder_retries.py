"""What the transcoder does with retries, time and concurrency: backoff instead of the visibility timeout, the
time budget measured after the download, a watchdog for runs the timeout kills, case-insensitive suffixes, and
exactly one winner among concurrent deliveries of one upload."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

import pytest
from streaming_platform.media.transcoder.events import parse_body
from streaming_platform.media.transcoder.handler import Config, Pipeline

from tests.functions import workers
from tests.functions.conftest import Env
from tests.functions.helpers import PREFIX, deliver, history, item, notify_queue, pipeline, receive, s3_event, upload
from tests.functions.workers import FakeContext

SPAWN = multiprocessing.get_context("spawn")


class SlowDownloads:
    """The real S3 client, with every download taking ``delay`` seconds longer (a large upload)."""

    def __init__(self, s3: Any, delay: float) -> None:
        self._s3, self._delay = s3, delay

    def download_file(self, *args: Any, **kwargs: Any) -> None:
        time.sleep(self._delay)
        self._s3.download_file(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)


def queued_upload(env: Env, key: str, body: bytes) -> None:
    upload(env, key, body)
    version = env.s3.head_object(Bucket=env.uploads, Key=key)["VersionId"]
    env.sqs.send_message(QueueUrl=env.queue_url, MessageBody=s3_event(env.uploads, key, len(body), version=version))


def config_of(env: Env, **overrides: Any) -> Config:
    return pipeline(env, **overrides).config


# ---- backoff ------------------------------------------------------------------------------------------------


def test_backoff_doubles_per_receive_and_stays_within_the_cap_and_sqs_limit():
    config = Config(table_name="t", renditions_bucket="r", retry_base_seconds=30, retry_max_seconds=900)
    assert [config.backoff_seconds(n) for n in (1, 2, 3, 4, 5, 6, 7)] == [30, 60, 120, 240, 480, 900, 900]
    huge = Config(table_name="t", renditions_bucket="r", retry_base_seconds=40000, retry_max_seconds=90000)
    assert huge.backoff_seconds(2) == 43200  # ChangeMessageVisibility's maximum


def test_a_transient_error_comes_back_after_the_backoff_and_the_last_receive_goes_to_the_dlq_at_once(env):
    queued_upload(env, f"{PREFIX}backoff/clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    p = pipeline(env, retry_base_seconds=2)  # the default ffmpeg path does not exist: a transient error

    assert len(deliver(env, p)["batchItemFailures"]) == 1
    assert receive(env) == []  # the queue's visibility timeout is 0: only the backoff hides the message
    time.sleep(2.5)
    (again,) = receive(env)
    assert again["attributes"]["ApproximateReceiveCount"] == "2"

    assert len(deliver(env, p, [again])["batchItemFailures"]) == 1  # the last receive (max 2): delay 0
    assert "gave up after 2 attempts" in item(env, "backoff")["failureReason"]["S"]
    assert receive(env) == []  # this receive moves it to the DLQ
    assert len(receive(env, env.dlq_url)) == 1


# ---- the time budget ----------------------------------------------------------------------------------------


def test_the_budget_is_measured_after_the_download(env, ffmpeg_exe, sample_clip):
    queued_upload(env, f"{PREFIX}slow-download/clip.mp4", sample_clip.read_bytes())
    p = pipeline(env, ffmpeg_exe, reserve_seconds=60, watchdog_seconds=1, seconds_per_video_second=0.5)
    p.ffmpeg.s3 = SlowDownloads(env.s3, delay=2)
    (record,) = receive(env)
    # 63.5 s left: 2.5 s for ffmpeg before the download, enough for 3 s of video at 0.5 s per second;
    # about 0.5 s after it, which is not.
    context = FakeContext(time.time() + 63.5)

    assert p.handle({"Records": [record]}, context) == {"batchItemFailures": []}

    it = item(env, "slow-download")
    assert it["status"]["S"] == "FAILED"
    assert "3s of video needs about 2s to transcode; the function has 0s left" in it["failureReason"]["S"]


def test_a_source_too_long_for_the_time_left_fails_before_encoding(env, ffmpeg_exe, sample_clip):
    queued_upload(env, f"{PREFIX}too-long/clip.mp4", sample_clip.read_bytes())
    p = pipeline(env, ffmpeg_exe, reserve_seconds=60, watchdog_seconds=1, seconds_per_video_second=4)
    (record,) = receive(env)

    assert p.handle({"Records": [record]}, FakeContext(time.time() + 70)) == {"batchItemFailures": []}

    it = item(env, "too-long")
    assert it["status"]["S"] == "FAILED" and "needs about 12s to transcode" in it["failureReason"]["S"]
    assert "use the mediaconvert backend" in it["failureReason"]["S"]
    assert env.s3.list_objects_v2(Bucket=env.renditions).get("KeyCount") == 0


# ---- a run the Lambda timeout kills -------------------------------------------------------------------------


@pytest.mark.parametrize(("receives", "expected"), [(2, "FAILED"), (1, "PROCESSING")], ids=["last", "earlier"])
def test_a_run_killed_by_the_timeout_never_leaves_the_video_processing(env, moto_endpoint, receives, expected):
    key = f"{PREFIX}killed-{receives}/clip.mp4"
    upload(env, key, b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    version = env.s3.head_object(Bucket=env.uploads, Key=key)["VersionId"]
    (obj,) = parse_body(s3_event(env.uploads, key, 108, version=version))
    config = config_of(env, watchdog_seconds=1)
    hung = SPAWN.Process(target=workers.hang_in_download, args=(moto_endpoint, config, obj, receives, 3.0))
    hung.start()
    try:
        # Wait for the watchdog's write however slowly the spawned run starts (a loaded machine can take many
        # seconds to import it); the ceiling only keeps a broken watchdog from hanging the suite.
        deadline = time.time() + 300
        recorded = False
        while not recorded and hung.is_alive() and time.time() < deadline:
            it = env.dynamodb.get_item(TableName=env.table, Key={"videoId": {"S": f"killed-{receives}"}}).get("Item")
            recorded = bool(it) and (it["status"]["S"] == "FAILED" or it.get("leaseExpiresAt", {}).get("N") == "0")
            time.sleep(0.2)
        assert recorded, "the watchdog never recorded the timeout"
        assert hung.is_alive()  # still "downloading": the watchdog wrote while the run was alive
    finally:
        hung.kill()  # what the Lambda timeout does to the run
        hung.join()

    it = item(env, f"killed-{receives}")
    assert it["status"]["S"] == expected
    if expected == "FAILED":
        assert it["failureReason"]["S"] == "the function timed out on receive 2 of 2"
        assert it["retryable"]["BOOL"] is True  # a redrive from the DLQ may claim it again
    else:
        assert it["leaseExpiresAt"]["N"] == "0"  # the next delivery claims it at once
        assert it["lastError"]["S"] == "the function timed out on receive 1 of 2"


# ---- upload suffixes ----------------------------------------------------------------------------------------


def test_upper_case_suffixes_are_queued_and_transcoded_and_other_keys_are_acknowledged(env):
    notify_queue(env)  # MediaPipeline's notification: the whole prefix
    receive(env)  # drop the s3:TestEvent
    env.sqs.purge_queue(QueueUrl=env.queue_url)
    upload(env, f"{PREFIX}phone-clip/IMG_1234.MOV", b"not really a video, but it is a .MOV upload")
    upload(env, f"{PREFIX}notes/notes.txt", b"meeting notes")
    records = receive(env)
    assert sorted(parse_body(r["body"])[0].key for r in records) == [
        "uploads/notes/notes.txt",
        "uploads/phone-clip/IMG_1234.MOV",
    ]

    assert deliver(env, pipeline(env), records) == {"batchItemFailures": []}

    assert "not a video container" in item(env, "phone-clip")["failureReason"]["S"]  # it was looked at
    assert env.dynamodb.get_item(TableName=env.table, Key={"videoId": {"S": "notes"}}).get("Item") is None
    assert receive(env) == [] and receive(env, env.dlq_url) == []


def test_suffixes_match_ignoring_case_only_at_the_end_of_the_key():
    config = Config(table_name="t", renditions_bucket="r", upload_suffixes=(".mp4", ".mov"))
    assert [config.wants(k) for k in ("a/IMG.MOV", "a/b.Mp4", "a/b.mov.txt", "a/mp4", "a/b.mkv")] == [
        True,
        True,
        False,
        False,
        False,
    ]


# ---- concurrent duplicate deliveries ----------------------------------------------------------------------------


def test_concurrent_deliveries_of_one_upload_transcode_it_exactly_once(
    env, linearizable_endpoint, ffmpeg_exe, sample_clip
):
    key = f"{PREFIX}raced/clip.mp4"
    upload(env, key, sample_clip.read_bytes())
    version = env.s3.head_object(Bucket=env.uploads, Key=key)["VersionId"]
    (obj,) = parse_body(s3_event(env.uploads, key, 1, version=version))
    config = config_of(env, ffmpeg_path=ffmpeg_exe)
    workers_count = 4
    barrier, results = SPAWN.Barrier(workers_count), SPAWN.Queue()
    procs = [
        SPAWN.Process(target=workers.deliver_and_report, args=(linearizable_endpoint, config, obj, barrier, results))
        for _ in range(workers_count)
    ]
    for proc in procs:
        proc.start()
    outcomes = sorted(results.get(timeout=120) for _ in procs)
    for proc in procs:
        proc.join(timeout=30)

    assert outcomes == ["duplicate", "duplicate", "duplicate", "ready"]
    it = item(env, "raced")
    assert it["attempts"]["N"] == "1" and history(it) == ["UPLOADED", "PROCESSING", "READY"]
    masters = [
        o["Key"] for o in env.s3.list_objects_v2(Bucket=env.renditions)["Contents"] if o["Key"].endswith("/master.m3u8")
    ]
    assert masters == [it["masterPlaylistKey"]["S"]]


def test_the_environment_the_stack_sets_configures_suffixes_segments_and_queues():
    config = Config.from_env(
        {
            "VIDEO_TABLE": "videos",
            "RENDITIONS_BUCKET": "renditions",
            "UPLOAD_SUFFIXES": ".mp4,.mov",
            "SEGMENT_SECONDS": "4",
            "QUEUE_URL": "https://sqs.us-east-2.amazonaws.com/111122223333/media-queue",
            "DLQ_URL": "https://sqs.us-east-2.amazonaws.com/111122223333/media-dlq",
        }
    )
    assert (config.upload_suffixes, config.segment_seconds) == ((".mp4", ".mov"), 4)
    assert config.queue_url.endswith("/media-queue") and config.dlq_url.endswith("/media-dlq")
    assert Pipeline(config, None, None).ffmpeg.segment_seconds == 4
