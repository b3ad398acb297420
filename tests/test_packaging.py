"""`components` is an installable, typed package: the public API, the metadata, and an offline wheel build."""

from __future__ import annotations

import ast
import email
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import components

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PUBLIC_API = {
    "MultiAzNetwork": "components.network",
    "MultiAzNetworkArgs": "components.network",
    "NatGatewayStrategy": "components.network",
    "DataTier": "components.data",
    "DataTierArgs": "components.data",
    "Tier": "components.cidr_plan",
    "plan_subnets": "components.cidr_plan",
    "AppTier": "components.app",
    "AppTierArgs": "components.app",
    "PublicZone": "components.dns",
    "PublicZoneArgs": "components.dns",
    "StreamingEdge": "components.edge",
    "StreamingEdgeArgs": "components.edge",
    "MediaPipeline": "components.media",
    "MediaPipelineArgs": "components.media",
    "AlarmTopics": "components.observability",
    "AlarmTopicsArgs": "components.observability",
    "Observability": "components.observability",
    "ObservabilityArgs": "components.observability",
}
# import name -> distribution name, for the third-party modules components may import
DISTRIBUTIONS = {"pulumi": "pulumi", "pulumi_aws": "pulumi-aws", "pulumi_random": "pulumi-random"}


def runtime_requirements() -> dict[str, Requirement]:
    return {(r := Requirement(spec)).name: r for spec in PYPROJECT["project"]["dependencies"]}


def third_party_imports() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "components").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names and name != "components"}


@pytest.mark.parametrize("name", sorted(PUBLIC_API))
def test_components_exports_the_public_api(name: str):
    value = getattr(components, name)
    assert value.__module__ == PUBLIC_API[name]
    assert name in components.__all__


def test_unknown_names_are_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = components.Nope  # type: ignore[attr-defined]


def test_args_are_documented_dataclasses():
    from dataclasses import fields, is_dataclass

    for args in (components.DataTierArgs, components.MultiAzNetworkArgs):
        assert is_dataclass(args) and args.__doc__
        assert {f.name for f in fields(args)} >= {"availability_zones", "tags"}


def test_the_package_is_marked_typed():
    assert (ROOT / "components" / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["components"]


def test_build_backend_is_pinned():
    (requirement,) = PYPROJECT["build-system"]["requires"]
    assert Requirement(requirement).specifier and str(Requirement(requirement).specifier).startswith("==")
    assert PYPROJECT["build-system"]["build-backend"] == "setuptools.build_meta"


def test_metadata_lists_every_third_party_module_components_import():
    imported = third_party_imports()
    assert imported <= set(DISTRIBUTIONS), f"map these to distributions: {imported - set(DISTRIBUTIONS)}"
    assert {DISTRIBUTIONS[m] for m in imported} <= set(runtime_requirements())


def test_the_pinned_runtime_versions_satisfy_the_package_ranges():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            req = Requirement(line)
            pins[req.name.lower()] = next(iter(req.specifier)).version
    for name, requirement in runtime_requirements().items():
        if name in pins:
            assert requirement.specifier.contains(pins[name]), (name, pins[name], str(requirement.specifier))


def test_the_wheel_builds_offline_with_the_library_only(tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(ROOT / "pyproject.toml", src)
    shutil.copy(ROOT / "README.md", src)
    shutil.copytree(ROOT / "components", src / "components", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "dist"
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index", "-q"]
    result = subprocess.run(
        [*pip_wheel, "-w", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("streaming_platform-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(zf.read(metadata_name))
    assert {"components/__init__.py", "components/network.py", "components/data.py", "components/py.typed"} <= names
    assets = {p.relative_to(ROOT).as_posix() for p in (ROOT / "components" / "assets").glob("*")}
    assert assets <= names
    assert {n.split("/")[0] for n in names if not n.startswith("streaming_platform-")} == {"components"}
    assert {str(Requirement(r)) for r in metadata.get_all("Requires-Dist")} == {
        str(r) for r in runtime_requirements().values()
    }
