"""MediaPipelineArgs: every contradiction is rejected naming the argument, the value and what is allowed."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from streaming_platform.media.args import (
    MediaKeys,
    MediaStorage,
    TranscodeOptions,
    TranscoderFunctionOptions,
    UploadQueueOptions,
)
from streaming_platform.media.pipeline import MediaPipelineArgs, TranscodeBackend, validate_args

# ---- argument validation -------------------------------------------------------------------------------------


_TRANSCODE = {f.name for f in dataclasses.fields(TranscodeOptions)}
_FUNCTION = {f.name for f in dataclasses.fields(TranscoderFunctionOptions)}


def _args(**overrides: Any) -> MediaPipelineArgs:
    """Valid inputs, with ``overrides`` given by field name: each goes to the group that holds it."""
    transcode = {k: v for k, v in overrides.items() if k in _TRANSCODE}
    function = {k: v for k, v in overrides.items() if k in _FUNCTION}
    flat = {k: v for k, v in overrides.items() if k not in _TRANSCODE | _FUNCTION}
    storage = MediaStorage(*["x"] * len(dataclasses.fields(MediaStorage)))
    base: dict[str, Any] = {
        "vpc_id": "x",
        "app_subnet_ids": ["a", "b"],
        "availability_zones": ["az1", "az2"],
        "storage": storage,
        "keys": MediaKeys(media_key_arn="x", data_key_arn="x", logs_key_arn="x"),
        "transcode": TranscodeOptions(**transcode),
        "function": TranscoderFunctionOptions(**function),
    }
    return MediaPipelineArgs(**(base | flat))


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"backend": TranscodeBackend.FFMPEG},
            "TranscodeOptions.ffmpeg_layer_zip: got None; allowed: the path of a layer zip",
        ),
        (
            {"backend": TranscodeBackend.FFMPEG, "ffmpeg_layer_zip": "/nonexistent/layer.zip"},
            "TranscodeOptions.ffmpeg_layer_zip: got '/nonexistent/layer.zip'; allowed: an existing file "
            "(make ffmpeg-layer builds it)",
        ),
        (
            {"upload_prefix": "layers/videos/"},
            "TranscodeOptions.upload_prefix: got 'layers/videos/'; allowed: a prefix outside layers/",
        ),
        (
            {"upload_suffixes": [".mov", ".MOV"]},
            "TranscodeOptions.upload_suffixes: got ['.mov', '.MOV']; allowed: distinct suffixes",
        ),
        ({"segment_duration_seconds": 1}, "TranscodeOptions.segment_duration_seconds: got 1; allowed: 2 to 10"),
        (
            {"ffmpeg_layer_arn": "ffmpeg:1"},
            "TranscodeOptions.ffmpeg_layer_arn: got 'ffmpeg:1'; allowed: arn:aws:lambda:",
        ),
        (
            {"availability_zones": ["az1"], "app_subnet_ids": ["a"]},
            "MediaPipelineArgs.availability_zones: got ['az1']; allowed: at least 2",
        ),
        ({"maximum_concurrency": 1}, "TranscoderFunctionOptions.maximum_concurrency: got 1; allowed: 2 to 1000"),
        (
            {"maximum_concurrency": 20},
            "TranscoderFunctionOptions.reserved_concurrency: got 10; allowed: at least maximum_concurrency (20)",
        ),
        (
            {"function_timeout_seconds": 901},
            "TranscoderFunctionOptions.function_timeout_seconds: got 901; allowed: 60 to 900",
        ),
        (
            {"upload_prefix": "uploads"},
            "TranscodeOptions.upload_prefix: got 'uploads'; allowed: a key prefix ending in '/'",
        ),
        ({"upload_suffixes": ["mp4"]}, "TranscodeOptions.upload_suffixes: got ['mp4']; allowed: one or more suffixes"),
        (
            {"ephemeral_storage_mb": 100},
            "TranscoderFunctionOptions.ephemeral_storage_mb: got 100; allowed: 512 to 10240",
        ),
    ],
)
def test_contradictory_args_are_rejected_naming_the_argument(overrides, expected):
    assert any(expected in p for p in validate_args(_args(**overrides))), validate_args(_args(**overrides))


def test_default_args_are_valid():
    assert validate_args(_args()) == []


def test_the_queue_options_are_checked_under_their_group():
    args = _args(queue=UploadQueueOptions(max_receive_count=0))
    assert validate_args(args) == ["UploadQueueOptions.max_receive_count: got 0; allowed: 1 to 1000"]
