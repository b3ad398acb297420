"""Media pipeline keys (MediaPipeline): transcode backend, upload filter, Lambda sizing, queue alarms."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Annotated, Any

from streaming_platform.media.args import (
    MAX_SEGMENT_SECONDS,
    MIN_SEGMENT_SECONDS,
    TranscodeOptions,
    TranscoderFunctionOptions,
    UploadQueueOptions,
)
from streaming_platform.media.pipeline import LAMBDA_MAX_TIMEOUT_SECONDS, MediaPipelineArgs, TranscodeBackend

from settings._base import Reader, TierModel, arg_default, distinct, key, rule
from settings.network import RetentionDays

MIB = 1024 * 1024
FFMPEG_MAX_UPLOAD_MB = 3072  # source plus renditions must fit in the function's 10 GB of /tmp
# arn:<partition>:lambda:<region>:<account>:layer:<name>:<version> (Lambda API Reference, GetLayerVersionByArn Arn)
LAYER_ARN = re.compile(r"arn:aws[a-z-]*:lambda:(?P<region>[a-z0-9-]+):\d{12}:layer:[A-Za-z0-9_-]{1,140}:\d+")
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,10}")
# make ffmpeg-layer writes it; the ffmpeg backend publishes it as a LayerVersion unless ffmpegLayerArn is set.
FFMPEG_LAYER_ZIP_NAME = "build/ffmpeg-layer.zip"
FFMPEG_LAYER_ZIP = Path(__file__).resolve().parent.parent / FFMPEG_LAYER_ZIP_NAME


# Where each default lives: MediaPipelineArgs groups the transcode, function and queue options.
_OPTION_CLASSES = (MediaPipelineArgs, TranscodeOptions, TranscoderFunctionOptions, UploadQueueOptions)


def _d(name: str) -> Any:
    for cls in _OPTION_CLASSES:
        if any(f.name == name for f in dataclasses.fields(cls)):
            return arg_default(cls, name)
    raise ValueError(f"no media pipeline option is named {name}")


class MediaSettings(TierModel):
    """Plain settings of MediaPipelineArgs and its option groups, under the same field names; defaults are the
    component's own (sizes converted to the keys' units)."""

    backend: TranscodeBackend = key(
        _d("backend"),
        alias="transcodeBackend",
        description=(
            "Who transcodes uploads: mediaconvert (AWS Elemental MediaConvert; any length or size) or ffmpeg (the "
            "function itself with an ffmpeg layer; cheap for short clips, bounded by 15 minutes and 10 GB of /tmp)."
        ),
    )
    ffmpeg_layer_arn: Annotated[
        str,
        rule(
            lambda v: v == "" or bool(LAYER_ARN.fullmatch(v)),
            "a Lambda layer version ARN, arn:aws:lambda:<region>:<account-id>:layer:<name>:<version>, or empty",
        ),
    ] = key(
        "",
        alias="ffmpegLayerArn",
        description=(
            "An existing Lambda layer version ARN with bin/ffmpeg (x86_64) in the stack's region, "
            "arn:aws:lambda:<region>:<account-id>:layer:<name>:<version>, to use instead of the layer the stack "
            f"publishes from {FFMPEG_LAYER_ZIP_NAME} (make ffmpeg-layer). Empty: publish that zip."
        ),
    )
    upload_prefix: Annotated[
        str,
        rule(
            lambda v: v.endswith("/") and not v.startswith("/") and len(v) <= 1024,
            "a key prefix ending in '/' and not starting with '/', such as uploads/",
        ),
    ] = key(
        _d("upload_prefix"),
        alias="uploadPrefix",
        description="Key prefix of uploads that trigger transcoding, ending in '/'.",
    )
    upload_suffixes: Annotated[
        tuple[str, ...],
        rule(
            lambda v: bool(v) and distinct([s.lower() for s in v]) and all(_SUFFIX.fullmatch(s) for s in v),
            "one or more suffixes such as .mp4 (a dot, then 1-10 letters or digits), distinct ignoring case",
        ),
    ] = key(
        tuple(_d("upload_suffixes")),
        alias="uploadSuffixes",
        description=(
            "Key suffixes (starting with '.') of uploads to transcode, matched case-insensitively (.mov matches "
            "IMG_1234.MOV); other keys under uploadPrefix are acknowledged without work."
        ),
    )
    segment_duration_seconds: int = key(
        _d("segment_duration_seconds"),
        alias="segmentDurationSeconds",
        ge=MIN_SEGMENT_SECONDS,
        le=MAX_SEGMENT_SECONDS,
        description=(
            f"HLS segment length, {MIN_SEGMENT_SECONDS} to {MAX_SEGMENT_SECONDS} s: the one value the ffmpeg "
            "transcoder, MediaConvert jobs and the edge's manifest TTL (edgeManifestTtlSeconds, at most half a "
            "segment) use; replaces edgeSegmentDurationSeconds."
        ),
    )
    max_upload_size_mb: int = key(
        _d("max_upload_bytes") // MIB,
        alias="maxUploadSizeMb",
        ge=1,
        le=102400,
        description=(
            f"Uploads larger than this end FAILED without transcoding, 1 to 102400 MB; at most {FFMPEG_MAX_UPLOAD_MB} "
            "with the ffmpeg backend (the source and its renditions must fit in 10 GB of /tmp)."
        ),
    )
    batch_size: int = key(
        _d("batch_size"),
        alias="transcodeBatchSize",
        ge=1,
        le=10,
        description="SQS messages per transcoder invocation, 1 to 10.",
    )
    maximum_concurrency: int = key(
        _d("maximum_concurrency"),
        alias="transcodeMaxConcurrency",
        ge=2,
        le=1000,
        description="Maximum concurrent transcoder invocations the SQS event source starts, 2 to 1000.",
    )
    reserved_concurrency: int = key(
        _d("reserved_concurrency"),
        alias="transcodeReservedConcurrency",
        ge=2,
        le=1000,
        description=(
            "Concurrency reserved for the transcoder, from transcodeMaxConcurrency to 1000 (less would throttle the "
            "poller and return messages to the queue early)."
        ),
    )
    function_timeout_seconds: int = key(
        _d("function_timeout_seconds"),
        alias="transcodeTimeoutSeconds",
        ge=60,
        le=LAMBDA_MAX_TIMEOUT_SECONDS,
        description="Transcoder function timeout, 60 to 900 s; the queue's visibility timeout is 6 times this.",
    )
    function_memory_mb: int = key(
        _d("function_memory_mb"),
        alias="transcodeMemoryMb",
        ge=128,
        le=10240,
        description="Transcoder function memory, 128 to 10240 MB.",
    )
    max_receive_count: int = key(
        _d("max_receive_count"),
        alias="transcodeMaxReceiveCount",
        ge=1,
        le=100,
        description="Receives of a failing upload message before it moves to the dead-letter queue, 1 to 100.",
    )
    dlq_depth_alarm_threshold: int = key(
        _d("dlq_depth_alarm_threshold"),
        alias="dlqDepthAlarmThreshold",
        ge=1,
        description="Alarm when the transcode dead-letter queue holds at least this many messages, 1 or more.",
    )
    oldest_message_age_alarm_seconds: int = key(
        _d("oldest_message_age_alarm_seconds"),
        alias="oldestUploadAgeAlarmSeconds",
        ge=60,
        le=345600,
        description=(
            "Alarm when the oldest upload has waited this long in the queue, 60 to 345600 s (the queue's retention)."
        ),
    )
    log_retention_days: RetentionDays = key(
        _d("log_retention_days"),
        alias="transcodeLogRetentionDays",
        description=(
            "Days to keep the transcoder functions' logs; one of the retention periods CloudWatch Logs accepts "
            "(until 0.2.0 dataLogRetentionDays set this too)."
        ),
    )

    def plain_args(self) -> dict[str, Any]:
        """MediaPipelineArgs fields by name: the option groups and the log retention."""
        publish = self.backend is TranscodeBackend.FFMPEG and not self.ffmpeg_layer_arn
        return {
            "transcode": TranscodeOptions(
                backend=self.backend,
                ffmpeg_layer_zip=str(FFMPEG_LAYER_ZIP) if publish else None,
                ffmpeg_layer_arn=self.ffmpeg_layer_arn or None,
                upload_prefix=self.upload_prefix,
                upload_suffixes=self.upload_suffixes,
                segment_duration_seconds=self.segment_duration_seconds,
                max_upload_bytes=self.max_upload_size_mb * MIB,
            ),
            "function": TranscoderFunctionOptions(
                batch_size=self.batch_size,
                maximum_concurrency=self.maximum_concurrency,
                reserved_concurrency=self.reserved_concurrency,
                function_timeout_seconds=self.function_timeout_seconds,
                function_memory_mb=self.function_memory_mb,
            ),
            "queue": UploadQueueOptions(
                max_receive_count=self.max_receive_count,
                dlq_depth_alarm_threshold=self.dlq_depth_alarm_threshold,
                oldest_message_age_alarm_seconds=self.oldest_message_age_alarm_seconds,
            ),
            "log_retention_days": self.log_retention_days,
        }

    def to_args(self, **wiring: Any) -> MediaPipelineArgs:
        return MediaPipelineArgs(**wiring, **self.plain_args())


def check(r: Reader, region: str | None) -> None:
    segment = r.value("segmentDurationSeconds")
    if r.ok("segmentDurationSeconds"):
        r.check(
            "edgeManifestTtlSeconds",
            r.value("edgeManifestTtlSeconds"),
            lambda v: v <= segment / 2,
            f"at most half of segmentDurationSeconds ({segment} -> {segment / 2:g})",
        )
    backend, layer = r.value("transcodeBackend"), r.value("ffmpegLayerArn")
    if backend is TranscodeBackend.FFMPEG and layer == "" and not FFMPEG_LAYER_ZIP.is_file():
        r.problem(
            "ffmpegLayerArn",
            "",
            f"a Lambda layer version ARN with bin/ffmpeg, or the layer zip the stack publishes "
            f"({FFMPEG_LAYER_ZIP_NAME} is missing: run make ffmpeg-layer) when transcodeBackend is ffmpeg",
        )
    match = LAYER_ARN.fullmatch(layer or "")
    if match and region and match["region"] != region:
        r.problem(
            "ffmpegLayerArn",
            layer,
            f"a layer in the stack's region {region} (Lambda attaches layers of its own region only)",
        )
    if backend is TranscodeBackend.FFMPEG:
        r.check(
            "maxUploadSizeMb",
            r.value("maxUploadSizeMb"),
            lambda v: v <= FFMPEG_MAX_UPLOAD_MB,
            f"at most {FFMPEG_MAX_UPLOAD_MB} when transcodeBackend is ffmpeg (source plus renditions must fit "
            "in 10 GB of /tmp); use mediaconvert for larger uploads",
        )
    concurrency = r.value("transcodeMaxConcurrency")
    if r.ok("transcodeMaxConcurrency"):
        r.check(
            "transcodeReservedConcurrency",
            r.value("transcodeReservedConcurrency"),
            lambda v: v >= concurrency,
            f"at least transcodeMaxConcurrency ({concurrency})",
        )
