"""MediaPipeline's arguments: the backend choice, every setting with its default as behaviour, and the checks
that reject contradictions before anything is registered."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import pulumi

LAMBDA_RUNTIME = "python3.12"
LAMBDA_MAX_TIMEOUT_SECONDS = 900
MIN_SEGMENT_SECONDS, MAX_SEGMENT_SECONDS = 2, 10
LAYERS_PREFIX = "layers/"  # where the ffmpeg layer zip goes in the uploads bucket, outside the upload prefix
LAYER_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:layer:[A-Za-z0-9_-]{1,140}:\d+$")


class TranscodeBackend(StrEnum):
    """Who transcodes. MEDIACONVERT: AWS Elemental MediaConvert (any length or size; billed per output
    minute). FFMPEG: the function itself with an ffmpeg layer (cheap for short clips; bounded by 15 minutes,
    10 GB of /tmp and 250 MB of code)."""

    MEDIACONVERT = "mediaconvert"
    FFMPEG = "ffmpeg"


@dataclass
class MediaStorage:
    """Where uploads arrive, renditions go and video records live (``DataTier``'s outputs)."""

    uploads_bucket_name: pulumi.Input[str]
    """Bucket the uploads arrive in; its notifications feed the queue. No default: required."""

    uploads_bucket_arn: pulumi.Input[str]
    """ARN of ``uploads_bucket_name``, for the queue policy and the functions' read grant. No default: required."""

    renditions_bucket_name: pulumi.Input[str]
    """Bucket the HLS renditions are written to. No default: required."""

    renditions_bucket_arn: pulumi.Input[str]
    """ARN of ``renditions_bucket_name``, for the functions' write grant. No default: required."""

    video_table_name: pulumi.Input[str]
    """DynamoDB table of the video records the transcoder updates. No default: required."""

    video_table_arn: pulumi.Input[str]
    """ARN of ``video_table_name``, for the functions' grant. No default: required."""


@dataclass
class MediaKeys:
    """The KMS keys of the data the pipeline touches (DataTier ``key_arns``)."""

    media_key_arn: pulumi.Input[str]
    """KMS key of the uploads and renditions buckets (DataTier ``key_arns["media"]``). No default: required."""

    data_key_arn: pulumi.Input[str]
    """KMS key of the metadata table (DataTier ``key_arns["data"]``). No default: required."""

    logs_key_arn: pulumi.Input[str]
    """KMS key for the functions' log groups (DataTier ``key_arns["logs"]``). No default: required."""


@dataclass
class TranscodeOptions:
    """What is transcoded and how: the backend, which uploads count, and the renditions' segments."""

    backend: TranscodeBackend = TranscodeBackend.MEDIACONVERT
    """Default: MediaConvert, which has no length or size ceiling. FFMPEG needs ``ffmpeg_layer_zip`` or
    ``ffmpeg_layer_arn``."""

    ffmpeg_layer_zip: str | None = None
    """Path of a layer zip holding ``bin/ffmpeg`` (x86_64), such as the one ``make ffmpeg-layer`` builds from the
    pinned imageio-ffmpeg wheel. With FFMPEG and no ``ffmpeg_layer_arn`` the component uploads it to the uploads
    bucket under ``layers/`` (too large for a direct upload) and publishes it as a LayerVersion. Default: none."""

    ffmpeg_layer_arn: str | None = None
    """An existing layer version with ``bin/ffmpeg`` (mounted at ``/opt/bin/ffmpeg``), x86_64, used instead of
    publishing ``ffmpeg_layer_zip``. Default: none (the component publishes the zip)."""

    mediaconvert_endpoint: str | None = None
    """The account's MediaConvert endpoint. Default: the SDK's regional endpoint (no DescribeEndpoints)."""

    upload_prefix: str = "uploads/"
    """Only keys under this prefix notify; ``<prefix><videoId>/<file>`` names the video. Default: ``uploads/``."""

    upload_suffixes: Sequence[str] = (".mp4", ".mov", ".mkv", ".webm")
    """Video suffixes, matched case-insensitively by the transcoder (``IMG_1234.MOV`` is a ``.mov``). S3's
    suffix filters compare literally, so the notification filters on the prefix only; other keys under it
    are acknowledged without work. Default: ``.mp4``, ``.mov``, ``.mkv`` and ``.webm``."""

    segment_duration_seconds: int = 6
    """HLS segment length, 2 to 10 s, of both backends (ffmpeg's ``-hls_time`` and keyframes, MediaConvert's
    ``SegmentLength``); the stack gives the same value to StreamingEdge's manifest TTL. Default: 6 s, the
    target duration Apple's HLS authoring specification recommends."""

    max_upload_bytes: int = 5 * 1024**3
    """Larger uploads end FAILED without being transcoded. Default: 5 GiB."""


@dataclass
class TranscoderFunctionOptions:
    """The transcoder function: its code, its size and how many copies the queue may run."""

    batch_size: int = 1
    """Messages per invocation. Default: 1, since each upload is minutes of work; more only helps when
    most messages fail fast."""

    maximum_concurrency: int = 10
    """Concurrent invocations the SQS event source may use, 2 to 1000. Default: 10."""

    reserved_concurrency: int = 10
    """Concurrency reserved for (and capping) the transcoder; at least ``maximum_concurrency``, or the
    poller is throttled and messages return to the queue early. Default: 10."""

    function_timeout_seconds: int = LAMBDA_MAX_TIMEOUT_SECONDS
    """Default: 900 s, the Lambda maximum; the queue's visibility timeout is 6x this."""

    function_memory_mb: int = 3008
    """Memory (and so vCPUs: 1769 MB per vCPU) of the transcoder. Default: 3008 MB."""

    ephemeral_storage_mb: int | None = None
    """``/tmp`` size, 512 to 10240 MB. Default: 10240 for FFMPEG (source plus renditions), 512 for MEDIACONVERT."""

    function_code_path: str | None = None
    """Folder holding the ``transcoder`` package's files (handler.py, ...). Default: the code shipped in this
    package (``streaming_platform/media/transcoder``); pass a folder to deploy your own build of it."""


@dataclass
class UploadQueueOptions:
    """The upload queue's redrive and the alarms on it and its dead-letter queue."""

    max_receive_count: int = 5
    """Receives before a message moves to the DLQ. Default: 5."""

    dlq_depth_alarm_threshold: int = 1
    """Alarm when the DLQ holds at least this many messages. Default: 1 (any lost-for-now upload)."""

    oldest_message_age_alarm_seconds: int = 3600
    """Alarm when the oldest queued upload has waited this long. Default: one hour."""


@dataclass
class MediaPipelineArgs:
    """Inputs of MediaPipeline. Resource ids and ARNs are Inputs; everything else is a plain setting."""

    vpc_id: pulumi.Input[str]
    """VPC the functions' security group is created in. No default: required."""

    app_subnet_ids: Sequence[pulumi.Input[str]]
    """Private-app subnet ids, one per AZ in the order of ``availability_zones``; the functions run in all. No
    default: required."""

    availability_zones: Sequence[str]
    """The AZs of ``app_subnet_ids``, at least 2. No default: required."""

    storage: MediaStorage
    """The uploads and renditions buckets and the video table. No default: required."""

    keys: MediaKeys
    """The media, data and logs KMS keys. No default: required."""

    transcode: TranscodeOptions = field(default_factory=TranscodeOptions)
    """Default: ``TranscodeOptions()``, MediaConvert on ``uploads/`` video suffixes, 6 s segments, 5 GiB at most."""

    function: TranscoderFunctionOptions = field(default_factory=TranscoderFunctionOptions)
    """Default: ``TranscoderFunctionOptions()``, one message per invocation, 10 concurrent, 900 s, 3008 MB."""

    queue: UploadQueueOptions = field(default_factory=UploadQueueOptions)
    """Default: ``UploadQueueOptions()``, 5 receives before the DLQ, alarms at 1 DLQ message and one hour of age."""

    alarm_topic_arn: pulumi.Input[str] | None = None
    """SNS topic for alarm and OK actions. Default: none (the alarms still show in CloudWatch)."""

    log_retention_days: int = 365
    """Days the functions' log groups keep events. Default: 365."""

    resource_prefix: str = "streaming"
    """Prefix of fixed physical names (the KMS alias). Default: ``streaming``."""

    protect: bool = False
    """Protect and retain the key, the queues and the log groups. Default: off (dev can be torn down)."""

    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags on every taggable child. Default: none."""


def validate_args(args: MediaPipelineArgs) -> list[str]:
    """Every contradiction in ``args``, each naming the argument, the value and what is allowed."""
    problems = []

    def bad(name: str, got: Any, allowed: str, owner: str = "MediaPipelineArgs") -> None:
        problems.append(f"{owner}.{name}: got {got!r}; allowed: {allowed}")

    t, fn, q = args.transcode, args.function, args.queue

    if len(args.availability_zones) < 2 or len(args.availability_zones) != len(args.app_subnet_ids):
        bad("availability_zones", list(args.availability_zones), "at least 2 AZs, one app subnet per AZ")
    if t.backend is TranscodeBackend.FFMPEG and not t.ffmpeg_layer_arn and not t.ffmpeg_layer_zip:
        bad(
            "ffmpeg_layer_zip",
            t.ffmpeg_layer_zip,
            "the path of a layer zip with bin/ffmpeg (or ffmpeg_layer_arn, a Lambda layer version ARN) when backend "
            "is ffmpeg",
            owner="TranscodeOptions",
        )
    if t.ffmpeg_layer_zip and not t.ffmpeg_layer_arn and not Path(t.ffmpeg_layer_zip).is_file():
        bad(
            "ffmpeg_layer_zip",
            t.ffmpeg_layer_zip,
            "an existing file (make ffmpeg-layer builds it)",
            owner="TranscodeOptions",
        )
    if t.ffmpeg_layer_arn and not LAYER_ARN.match(t.ffmpeg_layer_arn):
        bad(
            "ffmpeg_layer_arn",
            t.ffmpeg_layer_arn,
            "arn:aws:lambda:<region>:<account>:layer:<name>:<version>",
            owner="TranscodeOptions",
        )
    if t.upload_prefix.startswith(LAYERS_PREFIX):
        bad(
            "upload_prefix",
            t.upload_prefix,
            f"a prefix outside {LAYERS_PREFIX} (the ffmpeg layer's place)",
            owner="TranscodeOptions",
        )
    if not t.upload_prefix.endswith("/") or t.upload_prefix.startswith("/"):
        bad(
            "upload_prefix",
            t.upload_prefix,
            "a key prefix ending in '/' and not starting with '/'",
            owner="TranscodeOptions",
        )
    if not t.upload_suffixes or any(not s.startswith(".") for s in t.upload_suffixes):
        bad("upload_suffixes", list(t.upload_suffixes), "one or more suffixes such as .mp4", owner="TranscodeOptions")
    lowered = [s.lower() for s in t.upload_suffixes]
    if len(set(lowered)) != len(lowered):
        bad(
            "upload_suffixes",
            list(t.upload_suffixes),
            "distinct suffixes, ignoring case (matched that way)",
            owner="TranscodeOptions",
        )
    if not MIN_SEGMENT_SECONDS <= t.segment_duration_seconds <= MAX_SEGMENT_SECONDS:
        bad(
            "segment_duration_seconds",
            t.segment_duration_seconds,
            f"{MIN_SEGMENT_SECONDS} to {MAX_SEGMENT_SECONDS}",
            owner="TranscodeOptions",
        )
    if not 1 <= fn.batch_size <= 10000:
        bad("batch_size", fn.batch_size, "1 to 10000", owner="TranscoderFunctionOptions")
    if not 2 <= fn.maximum_concurrency <= 1000:
        bad("maximum_concurrency", fn.maximum_concurrency, "2 to 1000", owner="TranscoderFunctionOptions")
    if fn.reserved_concurrency < fn.maximum_concurrency:
        bad(
            "reserved_concurrency",
            fn.reserved_concurrency,
            f"at least maximum_concurrency ({fn.maximum_concurrency})",
            owner="TranscoderFunctionOptions",
        )
    if not 60 <= fn.function_timeout_seconds <= LAMBDA_MAX_TIMEOUT_SECONDS:
        bad("function_timeout_seconds", fn.function_timeout_seconds, "60 to 900", owner="TranscoderFunctionOptions")
    if not 128 <= fn.function_memory_mb <= 10240:
        bad("function_memory_mb", fn.function_memory_mb, "128 to 10240", owner="TranscoderFunctionOptions")
    if fn.ephemeral_storage_mb is not None and not 512 <= fn.ephemeral_storage_mb <= 10240:
        bad("ephemeral_storage_mb", fn.ephemeral_storage_mb, "512 to 10240", owner="TranscoderFunctionOptions")
    if not 1 <= q.max_receive_count <= 1000:
        bad("max_receive_count", q.max_receive_count, "1 to 1000", owner="UploadQueueOptions")
    if t.max_upload_bytes < 1:
        bad("max_upload_bytes", t.max_upload_bytes, "a positive number of bytes", owner="TranscodeOptions")
    return problems
