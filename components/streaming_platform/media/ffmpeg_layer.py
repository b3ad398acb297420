"""Build the ffmpeg Lambda layer from the pinned imageio-ffmpeg wheel: ``python -m streaming_platform.media.ffmpeg_layer
OUT.zip WHEEL_DIR`` (``make ffmpeg-layer`` downloads the manylinux x86_64 wheel into WHEEL_DIR first).

Lambda extracts a layer into ``/opt`` and puts ``/opt/bin`` on every runtime's ``PATH`` (Lambda Developer Guide,
"Packaging your layer content", layer paths for each runtime), so the zip holds one file, ``bin/ffmpeg``, which
the transcoder runs as ``/opt/bin/ffmpeg``. The binary is x86_64 like the function (``architectures``). The zip
is about 68 MB, above the 50 MB Lambda accepts in an API request (Lambda Developer Guide, "Lambda quotas":
deployment package size), so the stack uploads it to S3 and publishes the layer from there.
"""

from __future__ import annotations

import hashlib
import sys
import zipfile
from pathlib import Path

BINARY_PREFIX = "imageio_ffmpeg/binaries/ffmpeg-linux-x86_64"
LAYER_PATH = "bin/ffmpeg"
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # the same wheel gives the same zip, so the layer is only republished on change


def find_wheel(wheel_dir: Path) -> Path:
    wheels = sorted(wheel_dir.glob("imageio_ffmpeg-*-manylinux*x86_64*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one manylinux x86_64 imageio-ffmpeg wheel in {wheel_dir}, found {wheels}")
    return wheels[0]


def build(wheel: Path, out: Path) -> str:
    """Write the layer zip from the wheel's Linux x86_64 ffmpeg; return its SHA-256 (hex)."""
    with zipfile.ZipFile(wheel) as whl:
        (member,) = [n for n in whl.namelist() if n.startswith(BINARY_PREFIX)]
        binary = whl.read(member)
    info = zipfile.ZipInfo(LAYER_PATH, date_time=_FIXED_TIME)
    info.external_attr = (0o100755 & 0xFFFF) << 16  # a regular file, executable
    info.compress_type = zipfile.ZIP_DEFLATED
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w") as layer:
        layer.writestr(info, binary, compresslevel=6)
    partial.replace(out)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def main(argv: list[str]) -> None:
    out, wheel_dir = Path(argv[0]), Path(argv[1])
    digest = build(find_wheel(wheel_dir), out)
    print(f"wrote {out} ({out.stat().st_size} bytes, sha256 {digest})")


if __name__ == "__main__":
    main(sys.argv[1:])
