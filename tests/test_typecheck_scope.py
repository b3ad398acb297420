"""mypy follows only the pulumi_aws services the code uses (pyproject.toml): the list must be exactly the used
ones, so a newly used service is never silently typed Any and a dropped one stops costing analysis time."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterable
from pathlib import Path

import pulumi_aws
import pytest

from offline.engine import PROJECT_DIR

PROVIDER = Path(pulumi_aws.__file__).parent


def mypy_config() -> dict:
    return tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["tool"]["mypy"]


def followed() -> set[str]:
    """The pulumi_aws modules mypy follows (the overrides' follow_imports = "normal" patterns)."""
    return {
        module
        for override in mypy_config()["overrides"]
        if override.get("follow_imports") == "normal"
        for module in ([override["module"]] if isinstance(override["module"], str) else override["module"])
    }


def pulumi_aws_names(source: str) -> set[str]:
    """The names under pulumi_aws that ``source`` uses: ``aws.<name>`` after ``import pulumi_aws as aws``,
    ``from pulumi_aws import <name>``, ``import pulumi_aws.<name>`` and ``from pulumi_aws.<name> import …``."""
    tree = ast.parse(source)
    names: set[str] = set()
    aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "pulumi_aws":
                    aliases.add(alias.asname or alias.name)
                elif alias.name.startswith("pulumi_aws."):
                    names.add(alias.name.split(".")[1])
                    if alias.asname is None:
                        aliases.add("pulumi_aws")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "pulumi_aws":
            parts = node.module.split(".")
            names |= {parts[1]} if len(parts) > 1 else {alias.name for alias in node.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            names.add(node.attr)
    return names


def checked_files() -> Iterable[Path]:
    for entry in mypy_config()["files"]:
        path = PROJECT_DIR / entry
        yield from [path] if path.is_file() else sorted(path.rglob("*.py"))


def services(names: Iterable[str]) -> set[str]:
    """The names that are pulumi_aws service packages (aws.ec2, aws.lambda_), not top-level functions or types."""
    return {name for name in names if (PROVIDER / name / "__init__.py").is_file() and name != "config"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import pulumi_aws as aws\naws.ec2.Vpc('v')", {"ec2"}),
        ("import pulumi_aws as aws\nx: aws.lambda_.Function", {"lambda_"}),
        ("from pulumi_aws import ec2, iam", {"ec2", "iam"}),
        ("from pulumi_aws.rds import Instance", {"rds"}),
        ("import pulumi_aws.sqs", {"sqs"}),
        ("import pulumi_aws.sqs\npulumi_aws.kms.Key('k')", {"sqs", "kms"}),
        ("import pulumi as aws\naws.ec2", set()),
        ("import pulumi_aws as aws\naws.get_region_output()", set()),
    ],
)
def test_the_scan_finds_every_way_of_naming_a_service(source, expected):
    assert services(pulumi_aws_names(source)) == expected


def test_mypy_follows_exactly_the_services_the_code_uses():
    used = services(name for path in checked_files() for name in pulumi_aws_names(path.read_text()))
    listed = {m.removeprefix("pulumi_aws.").removesuffix(".*") for m in followed() if m.endswith(".*")} - {"config"}
    assert sorted(listed - used) == [], "followed but unused: drop them from pyproject.toml"
    assert sorted(used - listed) == [], "used but skipped (typed Any): add pulumi_aws.<service>.* to pyproject.toml"
    assert len(used) >= 20  # the scan found the stack's services, not nothing


def test_every_top_level_pulumi_aws_module_is_followed():
    """``from pulumi_aws import *`` re-exports these (Provider, get_region_output, …): a skipped one would make its
    names vanish or turn Any."""
    top = {f"pulumi_aws.{p.stem}" for p in PROVIDER.glob("*.py") if p.stem != "__init__"} | {"pulumi_aws"}
    assert sorted(top - followed()) == []
    assert "pulumi_aws.config.*" in followed()
    assert [o["module"] for o in mypy_config()["overrides"] if o.get("follow_imports") == "skip"] == ["pulumi_aws.*"]
