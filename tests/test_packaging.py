"""`streaming_platform` (components/) is its own installable, typed project: the public API, the metadata,
an offline wheel build, and the built wheel used from a fresh virtualenv outside the repository."""

from __future__ import annotations

import ast
import email
import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import streaming_platform as components
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "components"
PYPROJECT = tomllib.loads((LIBRARY / "pyproject.toml").read_text())
PUBLIC_API = {
    "BucketPolicies": "streaming_platform.data.bucket_policies",
    "BucketPoliciesArgs": "streaming_platform.data.bucket_policies",
    "OriginFailover": "streaming_platform.edge.origin_failover",
    "OriginFailoverArgs": "streaming_platform.edge.origin_failover",
    "MultiAzNetwork": "streaming_platform.network.multi_az",
    "MultiAzNetworkArgs": "streaming_platform.network.multi_az",
    "NatGatewayStrategy": "streaming_platform.network.multi_az",
    "DataTier": "streaming_platform.data.tier",
    "DataTierArgs": "streaming_platform.data.tier",
    "Tier": "streaming_platform.network.cidr_plan",
    "plan_subnets": "streaming_platform.network.cidr_plan",
    "AppTier": "streaming_platform.app.tier",
    "AppTierArgs": "streaming_platform.app.tier",
    "LoadBalancer": "streaming_platform.app.load_balancer",
    "LoadBalancerArgs": "streaming_platform.app.load_balancer",
    "Fleet": "streaming_platform.app.fleet",
    "FleetArgs": "streaming_platform.app.fleet",
    "Services": "streaming_platform.app.services",
    "ServicesArgs": "streaming_platform.app.services",
    "ServiceLoadBalancers": "streaming_platform.app.services",
    "PrivateApi": "streaming_platform.app.private_api",
    "PrivateApiArgs": "streaming_platform.app.private_api",
    "Identity": "streaming_platform.app.identity",
    "IdentityArgs": "streaming_platform.app.identity",
    "PublicZone": "streaming_platform.edge.zone",
    "PublicZoneArgs": "streaming_platform.edge.zone",
    "PublicZoneOutputs": "streaming_platform.edge.zone",
    "StreamingEdge": "streaming_platform.edge.distribution",
    "StreamingEdgeArgs": "streaming_platform.edge.distribution",
    "EdgeOrigins": "streaming_platform.edge.distribution",
    "EdgeCacheOptions": "streaming_platform.edge.distribution",
    "EdgeWafOptions": "streaming_platform.edge.distribution",
    "MediaPipeline": "streaming_platform.media.pipeline",
    "MediaPipelineArgs": "streaming_platform.media.args",
    "MediaStorage": "streaming_platform.media.args",
    "MediaKeys": "streaming_platform.media.args",
    "TranscodeOptions": "streaming_platform.media.args",
    "TranscoderFunctionOptions": "streaming_platform.media.args",
    "UploadQueueOptions": "streaming_platform.media.args",
    "AlarmTopics": "streaming_platform.observability.topics",
    "AlarmTopicsArgs": "streaming_platform.observability.topics",
    "Observability": "streaming_platform.observability.alarms",
    "ObservabilityArgs": "streaming_platform.observability.args",
    "DataTargets": "streaming_platform.observability.args",
    "EdgeTargets": "streaming_platform.observability.args",
}
# import name -> distribution name, for the third-party modules components may import
DISTRIBUTIONS = {"pulumi": "pulumi", "pulumi_aws": "pulumi-aws", "pulumi_random": "pulumi-random"}


def runtime_requirements() -> dict[str, Requirement]:
    return {(r := Requirement(spec)).name: r for spec in PYPROJECT["project"]["dependencies"]}


def third_party_imports() -> set[str]:
    found: set[str] = set()
    for path in (LIBRARY / "streaming_platform").rglob("*.py"):
        if "transcoder" in path.parts:
            continue  # Lambda code: boto3 comes with the Lambda Python runtime, not from the library's metadata
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names and name != "streaming_platform"}


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
    assert (LIBRARY / "streaming_platform" / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["streaming_platform"]


def test_build_backend_is_pinned():
    (requirement,) = PYPROJECT["build-system"]["requires"]
    assert Requirement(requirement).specifier and str(Requirement(requirement).specifier).startswith("==")
    assert PYPROJECT["build-system"]["build-backend"] == "setuptools.build_meta"


def test_metadata_lists_every_third_party_module_components_import():
    imported = third_party_imports()
    assert imported <= set(DISTRIBUTIONS), f"map these to distributions: {imported - set(DISTRIBUTIONS)}"
    assert {DISTRIBUTIONS[m] for m in imported} <= set(runtime_requirements())


def test_the_stack_installs_the_library_editable_like_any_consumer():
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert "-e ./components" in lines


def test_the_pinned_runtime_versions_satisfy_the_package_ranges():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-e "):
            req = Requirement(line)
            pins[req.name.lower()] = next(iter(req.specifier)).version
    for name, requirement in runtime_requirements().items():
        if name in pins:
            assert requirement.specifier.contains(pins[name]), (name, pins[name], str(requirement.specifier))


def _build_wheel(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(LIBRARY, src, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    out = tmp_path / "dist"
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index", "-q"]
    result = subprocess.run([*pip_wheel, "-w", str(out), str(src)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("streaming_platform-*.whl")
    return wheel


def test_the_wheel_builds_offline_with_the_library_and_its_package_data(tmp_path: Path):
    wheel = _build_wheel(tmp_path)
    assert wheel.name == f"streaming_platform-{PYPROJECT['project']['version']}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(zf.read(metadata_name))
    package = LIBRARY / "streaming_platform"
    shipped = {
        p.relative_to(LIBRARY).as_posix() for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    }
    assert shipped == {n for n in names if not n.startswith("streaming_platform-0")}
    assert {
        "streaming_platform/media/transcoder/handler.py",
        "streaming_platform/app/assets/fleet-user-data.sh",
        "streaming_platform/py.typed",
    } <= names
    assert {str(Requirement(r)) for r in metadata.get_all("Requires-Dist")} == {
        str(r) for r in runtime_requirements().values()
    }


# A consumer program outside this repository: its own `components/` folder comes first on sys.path
# (as a Pulumi program's directory does) and must not shadow the library; MediaPipeline must find
# the Lambda code inside the installed package.
CONSUMER_PROGRAM = """
import json, sys
import pulumi

class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return [args.name + "-id", args.inputs]
    def call(self, args):
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": "123456789012", "arn": "arn:aws:iam::123456789012:root", "userId": "u"}
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com"}
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": "us-west-2", "region": "us-west-2"}
        raise KeyError(args.token)

pulumi.runtime.set_mocks(Mocks(), preview=False)

import components  # the consumer's own folder
from streaming_platform import MediaKeys, MediaPipeline, MediaPipelineArgs, MediaStorage
from streaming_platform.media import pipeline

media = MediaPipeline("media", MediaPipelineArgs(
    vpc_id="vpc-1", app_subnet_ids=["subnet-a", "subnet-b"], availability_zones=["us-west-2a", "us-west-2b"],
    storage=MediaStorage(
        uploads_bucket_name="up", uploads_bucket_arn="arn:aws:s3:::up",
        renditions_bucket_name="out", renditions_bucket_arn="arn:aws:s3:::out",
        video_table_name="videos", video_table_arn="arn:aws:dynamodb:us-west-2:123456789012:table/videos",
    ),
    keys=MediaKeys(
        media_key_arn="arn:aws:kms:us-west-2:123456789012:key/m",
        data_key_arn="arn:aws:kms:us-west-2:123456789012:key/d",
        logs_key_arn="arn:aws:kms:us-west-2:123456789012:key/l",
    ),
    alarm_topic_arn="arn:aws:sns:us-west-2:123456789012:alarms", resource_prefix="consumer",
))
code_dir = pipeline.FUNCTION_CODE_DIR
print(json.dumps({
    "consumer_components": components.__file__,
    "library": pipeline.__file__,
    "code_dir": str(code_dir),
    "code_files": sorted(p.name for p in code_dir.glob("*.py")),
}))
"""


def test_the_installed_wheel_builds_media_pipeline_from_a_fresh_venv_outside_the_repo(tmp_path: Path):
    wheel = _build_wheel(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(site)]
    subprocess.run([*install, str(wheel)], check=True, capture_output=True, timeout=300)
    # The library's dependencies (pulumi, pulumi-aws) come from this venv's site-packages as a plain path entry:
    # a path added by a .pth line does not run that directory's own .pth files, so the repository's editable
    # install of streaming_platform is not visible in the fresh venv.
    deps = next(p for p in map(Path, sys.path) if p.name == "site-packages" and (p / "pulumi_aws").is_dir())
    (site / "deps.pth").write_text(f"{deps}\n")
    consumer = tmp_path / "consumer"
    (consumer / "components").mkdir(parents=True)
    (consumer / "components" / "__init__.py").write_text("# the consumer program's own components\n")
    (consumer / "__main__.py").write_text(CONSUMER_PROGRAM)
    result = subprocess.run(
        [str(venv / "bin" / "python"), "__main__.py"],
        cwd=consumer,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["consumer_components"] == str(consumer / "components" / "__init__.py")
    assert found["library"] == str(site / "streaming_platform" / "media" / "pipeline.py")
    assert found["code_dir"] == str(site / "streaming_platform" / "media" / "transcoder")
    assert {"handler.py", "status.py", "store.py", "events.py", "ladder.py"} <= set(found["code_files"])
