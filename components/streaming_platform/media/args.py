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
class MediaPipelineArgs:
    """Inputs of MediaPipeline. Resource ids and ARNs are Inputs; everything else is a plain setting."""

    vpc_id: pulumi.Input[str]
    app_subnet_ids: Sequence[pulumi.Input[str]]
    """Private-app subnet ids, one per AZ in the order of ``availability_zones``; the functions run in all."""

    availability_zones: Sequence[str]
    uploads_bucket_name: pulumi.Input[str]
    uploads_bucket_arn: pulumi.Input[str]
    renditions_bucket_name: pulumi.Input[str]
    renditions_bucket_arn: pulumi.Input[str]
    media_key_arn: pulumi.Input[str]
    """KMS key of the uploads and renditions buckets (DataTier ``key_arns["media"]``)."""

    data_key_arn: pulumi.Input[str]
    """KMS key of the metadata table (DataTier ``key_arns["data"]``)."""

    logs_key_arn: pulumi.Input[str]
    """KMS key for the functions' log groups (DataTier ``key_arns["logs"]``)."""

    video_table_name: pulumi.Input[str]
    video_table_arn: pulumi.Input[str]

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
    """Only keys under this prefix notify; ``<prefix><videoId>/<file>`` names the video."""

    upload_suffixes: Sequence[str] = (".mp4", ".mov", ".mkv", ".webm")
    """Video suffixes, matched case-insensitively by the transcoder (``IMG_1234.MOV`` is a ``.mov``). S3's
    suffix filters compare literally, so the notification filters on the prefix only; other keys under it
    are acknowledged without work."""

    segment_duration_seconds: int = 6
    """HLS segment length, 2 to 10 s, of both backends (ffmpeg's ``-hls_time`` and keyframes, MediaConvert's
    ``SegmentLength``); the stack gives the same value to StreamingEdge's manifest TTL. Default: 6 s, the
    target duration Apple's HLS authoring specification recommends."""

    max_upload_bytes: int = 5 * 1024**3
    """Larger uploads end FAILED without being transcoded. Default: 5 GiB."""

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

    max_receive_count: int = 5
    """Receives before a message moves to the DLQ. Default: 5."""

    dlq_depth_alarm_threshold: int = 1
    """Alarm when the DLQ holds at least this many messages. Default: 1 (any lost-for-now upload)."""

    oldest_message_age_alarm_seconds: int = 3600
    """Alarm when the oldest queued upload has waited this long. Default: one hour."""

    alarm_topic_arn: pulumi.Input[str] | None = None
    """SNS topic for alarm and OK actions. Default: none (the alarms still show in CloudWatch)."""

    function_code_path: str | None = None
    """Folder holding the ``transcoder`` package's files (handler.py, ...). Default: the code shipped in this
    package (``streaming_platform/media/transcoder``); pass a folder to deploy your own build of it."""

    log_retention_days: int = 365
    resource_prefix: str = "streaming"
    """Prefix of fixed physical names (the KMS alias)."""

    protect: bool = False
    """Protect and retain the key, the queues and the log groups. Default: off (dev can be torn down)."""

    tags: Mapping[str, str] = field(default_factory=dict)


def validate_args(args: MediaPipelineArgs) -> list[str]:
    """Every contradiction in ``args``, each naming the argument, the value and what is allowed."""
    problems = []

    def bad(name: str, got: Any, allowed: str) -> None:
        problems.append(f"MediaPipelineArgs.{name}: got {got!r}; allowed: {allowed}")

    if len(args.availability_zones) < 2 or len(args.availability_zones) != len(args.app_subnet_ids):
        bad("availability_zones", list(args.availability_zones), "at least 2 AZs, one app subnet per AZ")
    if args.backend is TranscodeBackend.FFMPEG and not args.ffmpeg_layer_arn and not args.ffmpeg_layer_zip:
        bad(
            "ffmpeg_layer_zip",
            args.ffmpeg_layer_zip,
            "the path of a layer zip with bin/ffmpeg (or ffmpeg_layer_arn, a Lambda layer version ARN) when backend "
            "is ffmpeg",
        )
    if args.ffmpeg_layer_zip and not args.ffmpeg_layer_arn and not Path(args.ffmpeg_layer_zip).is_file():
        bad("ffmpeg_layer_zip", args.ffmpeg_layer_zip, "an existing file (make ffmpeg-layer builds it)")
    if args.ffmpeg_layer_arn and not LAYER_ARN.match(args.ffmpeg_layer_arn):
        bad("ffmpeg_layer_arn", args.ffmpeg_layer_arn, "arn:aws:lambda:<region>:<account>:layer:<name>:<version>")
    if args.upload_prefix.startswith(LAYERS_PREFIX):
        bad("upload_prefix", args.upload_prefix, f"a prefix outside {LAYERS_PREFIX} (the ffmpeg layer's place)")
    if not args.upload_prefix.endswith("/") or args.upload_prefix.startswith("/"):
        bad("upload_prefix", args.upload_prefix, "a key prefix ending in '/' and not starting with '/'")
    if not args.upload_suffixes or any(not s.startswith(".") for s in args.upload_suffixes):
        bad("upload_suffixes", list(args.upload_suffixes), "one or more suffixes such as .mp4")
    lowered = [s.lower() for s in args.upload_suffixes]
    if len(set(lowered)) != len(lowered):
        bad("upload_suffixes", list(args.upload_suffixes), "distinct suffixes, ignoring case (matched that way)")
    if not MIN_SEGMENT_SECONDS <= args.segment_duration_seconds <= MAX_SEGMENT_SECONDS:
        bad(
            "segment_duration_seconds", args.segment_duration_seconds, f"{MIN_SEGMENT_SECONDS} to {MAX_SEGMENT_SECONDS}"
        )
    if not 1 <= args.batch_size <= 10000:
        bad("batch_size", args.batch_size, "1 to 10000")
    if not 2 <= args.maximum_concurrency <= 1000:
        bad("maximum_concurrency", args.maximum_concurrency, "2 to 1000")
    if args.reserved_concurrency < args.maximum_concurrency:
        bad(
            "reserved_concurrency",
            args.reserved_concurrency,
            f"at least maximum_concurrency ({args.maximum_concurrency})",
        )
    if not 60 <= args.function_timeout_seconds <= LAMBDA_MAX_TIMEOUT_SECONDS:
        bad("function_timeout_seconds", args.function_timeout_seconds, "60 to 900")
    if not 128 <= args.function_memory_mb <= 10240:
        bad("function_memory_mb", args.function_memory_mb, "128 to 10240")
    if args.ephemeral_storage_mb is not None and not 512 <= args.ephemeral_storage_mb <= 10240:
        bad("ephemeral_storage_mb", args.ephemeral_storage_mb, "512 to 10240")
    if not 1 <= args.max_receive_count <= 1000:
        bad("max_receive_count", args.max_receive_count, "1 to 1000")
    if args.max_upload_bytes < 1:
        bad("max_upload_bytes", args.max_upload_bytes, "a positive number of bytes")
    return problems
