"""The README's real deployment path as one ordered command list, and the example's tagged dependency.

The commands are parsed from the README block between ``<!-- real-path:begin -->`` and
``<!-- real-path:end -->``; every command must be one the delivery docs describe, in order.
"""

from __future__ import annotations

import re

import pytest

from tests.test_workflows import ROOT, STACKS, stack_region

REAL_PATH = re.compile(r"<!-- real-path:begin -->\s*```sh\n(.*?)```\s*<!-- real-path:end -->", re.S)


def readme_commands() -> list[str]:
    (block,) = REAL_PATH.findall((ROOT / "README.md").read_text())
    return [line.split(" #")[0].strip() for line in block.splitlines() if line.strip() and not line.startswith("#")]


def command_kind(command: str) -> str:
    for kind, pattern in [
        ("login", r"pulumi login 's3://[^']+'"),
        ("init", r"pulumi stack init (dev|prod) --secrets-provider='awskms://arn:aws:kms:[^']+'"),
        ("install", r"pulumi install"),
        ("policies-install", r"\(cd policies && pulumi install\)"),
        ("preflight", r"make preflight STACK=(dev|prod)"),
        (
            "preview",
            r"pulumi preview --stack (dev|prod) --policy-pack policies --policy-pack-config policies/config/\1\.json",
        ),
        ("up", r"pulumi up --stack (dev|prod) --policy-pack policies --policy-pack-config policies/config/\1\.json"),
    ]:
        if re.fullmatch(pattern, command):
            return kind
    raise AssertionError(f"unexpected command in the README's real path: {command!r}")


def test_readme_real_path_is_one_ordered_command_list():
    kinds = [command_kind(c) for c in readme_commands()]
    assert kinds == [
        "login",
        "init",
        "init",
        "install",
        "policies-install",
        "preflight",
        "preview",
        "up",
        "preflight",
        "preview",
        "up",
    ]


def test_readme_real_path_runs_each_stacks_preflight_before_its_first_preview():
    commands = readme_commands()
    for stack in ("dev", "prod"):
        preflight = commands.index(f"make preflight STACK={stack}")
        first_preview = next(i for i, c in enumerate(commands) if c.startswith(f"pulumi preview --stack {stack} "))
        assert preflight < first_preview


def test_readme_command_parser_rejects_a_pack_preview_without_its_config_and_an_unknown_command():
    with pytest.raises(AssertionError, match="unexpected command"):
        command_kind("pulumi preview --stack prod --policy-pack policies")
    with pytest.raises(AssertionError, match="unexpected command"):
        command_kind("pulumi stack init prod --secrets-provider='awskms://alias/pulumi-secrets?region=us-west-2'")
    assert command_kind("(cd policies && pulumi install)") == "policies-install"


def test_readme_real_path_gives_each_stack_its_own_key_in_its_own_account_and_region():
    inits = [c for c in readme_commands() if c.startswith("pulumi stack init")]
    keys = {}
    for command in inits:
        stack = command.split()[3]
        match = re.search(
            r"awskms://arn:aws:kms:([a-z0-9-]+):(\d{12}):(alias/[\w/-]+|key/[\w-]+)\?region=([a-z0-9-]+)'", command
        )
        assert match, command
        region, account, _, query_region = match.groups()
        assert region == query_region == stack_region(stack)
        keys[stack] = account
    assert set(keys) == set(STACKS) and keys["dev"] != keys["prod"]


def test_readme_real_path_installs_the_pack_before_the_first_policy_pack_preview():
    commands = readme_commands()
    first_preview = next(i for i, c in enumerate(commands) if c.startswith("pulumi preview"))
    assert commands.index("(cd policies && pulumi install)") < first_preview
    assert commands.index("pulumi install") < first_preview


def test_the_example_installs_a_tagged_release_of_the_components_not_a_path():
    from packaging.requirements import Requirement

    lines = (ROOT / "examples" / "minimal-stack" / "requirements.txt").read_text().splitlines()
    requirements = [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]
    (components,) = [r for r in requirements if r.name == "streaming-platform"]
    assert components.url is not None and components.url.startswith("git+https://")
    ref, _, fragment = components.url.rsplit("@", 1)[1].partition("#")
    assert (ref, fragment) == ("v0.2.0", "subdirectory=components")  # the package is components/pyproject.toml
    assert (ROOT / "components" / "pyproject.toml").is_file()
    assert not any(line.strip().startswith(("../", "./", "-e")) for line in lines)
