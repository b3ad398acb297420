"""The HLS ABR ladder both backends encode, and checks on the source before anyone transcodes it."""

from __future__ import annotations

from dataclasses import dataclass

AUDIO_BITRATE = 96_000


@dataclass(frozen=True)
class Rung:
    name: str
    width: int
    height: int
    bitrate: int  # target video bits/s (ffmpeg); MediaConvert uses QVBR capped at max_bitrate
    max_bitrate: int
    qvbr_quality: int


LADDER: tuple[Rung, ...] = (
    Rung("1080p", 1920, 1080, 5_000_000, 6_000_000, 8),
    Rung("720p", 1280, 720, 2_800_000, 3_500_000, 7),
    Rung("540p", 960, 540, 1_600_000, 2_000_000, 7),
    Rung("360p", 640, 360, 800_000, 1_000_000, 6),
    Rung("240p", 426, 240, 400_000, 500_000, 6),
    Rung("144p", 256, 144, 200_000, 250_000, 5),
)
# MediaConvert cannot see the source before the job runs, so it always encodes 1080p down to 240p.
MEDIACONVERT_LADDER: tuple[Rung, ...] = LADDER[:5]


def rungs_for(source_height: int) -> list[Rung]:
    """Every rung that does not upscale the source; a source smaller than 144p gets the smallest rung."""
    fitting = [r for r in LADDER if r.height <= source_height]
    return fitting or [LADDER[-1]]


class PermanentError(Exception):
    """The input can never be transcoded (not a video, empty, too large, gone): the video ends FAILED."""


def sniff_container(head: bytes) -> str:
    """The container family of a file from its first bytes, or PermanentError when it is not a video."""
    if len(head) >= 12 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mp4/quicktime"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska/webm"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:3] == b"FLV":
        return "flv"
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):
        return "mpeg-ps"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return "mpeg-ts"
    raise PermanentError(f"not a video container (first bytes {head[:8].hex() or 'none'})")
