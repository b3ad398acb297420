"""The ffmpeg layer: the builder's layout, and the zip ``make ffmpeg-layer`` built from the pinned wheel runs."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest
from streaming_platform.media.ffmpeg_layer import build, find_wheel

from settings.media import FFMPEG_LAYER_ZIP


def _fake_wheel(directory: Path, members: dict[str, bytes]) -> Path:
    wheel = directory / "imageio_ffmpeg-0.8.1-py3-none-manylinux_2_28_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as whl:
        for name, data in members.items():
            whl.writestr(name, data)
    return wheel


def test_the_builder_puts_the_linux_x86_64_binary_at_bin_ffmpeg_executable_and_reproducibly(tmp_path):
    wheel = _fake_wheel(
        tmp_path,
        {
            "imageio_ffmpeg/__init__.py": b"",
            "imageio_ffmpeg/binaries/README.md": b"readme",
            "imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-v7.1": b"\x7fELF fake ffmpeg",
        },
    )
    assert find_wheel(tmp_path) == wheel
    first = build(wheel, tmp_path / "a.zip")
    assert build(wheel, tmp_path / "b.zip") == first  # same wheel, same zip: no new layer version
    with zipfile.ZipFile(tmp_path / "a.zip") as layer:
        (info,) = layer.infolist()
        assert (info.filename, layer.read(info)) == ("bin/ffmpeg", b"\x7fELF fake ffmpeg")
        assert info.external_attr >> 16 == 0o100755


def test_the_builder_rejects_a_wheel_for_another_platform(tmp_path):
    (tmp_path / "imageio_ffmpeg-0.8.1-py3-none-macosx_11_0_arm64.whl").write_bytes(b"")
    with pytest.raises(SystemExit, match="expected one manylinux x86_64 imageio-ffmpeg wheel"):
        find_wheel(tmp_path)


def test_the_built_layer_holds_a_working_linux_x86_64_ffmpeg(tmp_path):
    assert FFMPEG_LAYER_ZIP.is_file(), "run make ffmpeg-layer (make install builds it)"
    with zipfile.ZipFile(FFMPEG_LAYER_ZIP) as layer:
        assert layer.namelist() == ["bin/ffmpeg"]
        layer.extractall(tmp_path)
    binary = tmp_path / "bin" / "ffmpeg"
    assert binary.read_bytes()[:4] == b"\x7fELF" and binary.read_bytes()[18] == 0x3E  # ELF, e_machine x86-64
    binary.chmod(0o755)
    out = subprocess.run([str(binary), "-hide_banner", "-version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("ffmpeg version")
    assert "--enable-libx264" in out.stdout  # the encoder the transcoder's HLS ladder uses
