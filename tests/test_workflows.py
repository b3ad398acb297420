"""The GitHub Actions workflows: schema-valid offline, and the delivery guarantees pinned.

The schema is the GitHub workflow schema vendored inside check-jsonschema (no network). Workflows are
parsed as YAML 1.2 (ruamel), as GitHub does: PyYAML would read the ``on:`` key as the boolean True.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
STACKS = ("dev", "prod")


def load(name: str) -> dict[str, Any]:
    return YAML(typ="safe", pure=True).load((WORKFLOWS / name).read_text())


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


def expand(value: str, matrix: dict[str, Any]) -> str:
    """Substitute ``${{ matrix.x }}`` the way GitHub does for one matrix entry."""
    return re.sub(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", lambda m: str(matrix[m.group(1)]), value)


def stack_region(stack: str) -> str:
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]["aws:region"]


def test_the_three_delivery_workflows_exist():
    assert [p.name for p in WORKFLOW_FILES] == ["deploy-dev.yml", "deploy-prod.yml", "pull-request.yml"]


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow_matches_the_vendored_github_workflow_schema(path: Path):
    schema_file = resources.files("check_jsonschema") / "builtin_schemas" / "vendor" / "github-workflows.json"
    schema = json.loads(schema_file.read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(YAML(typ="safe", pure=True).load(path.read_text())), key=str)
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_check_jsonschema_cli_accepts_every_workflow_offline():
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]
        + [str(p) for p in WORKFLOW_FILES],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_permissions_are_least_privilege(path: Path):
    workflow = load(path.name)
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        perms = job.get("permissions", workflow["permissions"])
        assert isinstance(perms, dict), f"{path.name}:{name} uses a permissions shorthand: {perms!r}"
        assert "write-all" not in json.dumps(perms) and perms.get("contents") == "read", (path.name, name)
        granted = {k for k, v in perms.items() if v == "write"}
        assert granted <= {"id-token", "pull-requests"}, (path.name, name, granted)
        if steps_using(job, "aws-actions/configure-aws-credentials"):
            assert "id-token" in granted, f"{path.name}:{name} assumes a role without id-token: write"
        else:
            assert "id-token" not in granted, f"{path.name}:{name} can mint OIDC tokens it never uses"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_aws_credentials_come_from_oidc_and_a_role_variable_never_from_keys(path: Path):
    text = path.read_text()
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    for job in load(path.name)["jobs"].values():
        for step in steps_using(job, "aws-actions/configure-aws-credentials"):
            assert re.fullmatch(r"\$\{\{ vars\.AWS_(PREVIEW|DEPLOY)_ROLE_ARN \}\}", step["with"]["role-to-assume"])


def test_pull_request_runs_the_offline_suite_then_previews_dev_and_prod_with_the_policy_pack():
    workflow = load("pull-request.yml")
    assert set(workflow["on"]) == {"pull_request"}
    assert workflow["concurrency"] == {
        "group": "pr-${{ github.event.pull_request.number }}",
        "cancel-in-progress": True,
    }
    offline = workflow["jobs"]["offline"]
    runs = [s["run"] for s in offline["steps"] if "run" in s]
    assert runs == ["make test", "make preview STACK=dev", "make preview STACK=prod"]
    (setup,) = steps_using(offline, "actions/setup-python")
    assert setup["with"]["python-version"] == "3.11"

    preview = workflow["jobs"]["preview"]
    assert preview["needs"] == "offline"
    assert preview["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    entries = preview["strategy"]["matrix"]["include"]
    assert [e["stack"] for e in entries] == list(STACKS)
    (creds,) = steps_using(preview, "aws-actions/configure-aws-credentials")
    (pulumi_step,) = steps_using(preview, "pulumi/actions")
    assert pulumi_step["uses"] == "pulumi/actions@v6"
    for entry in entries:
        stack = entry["stack"]
        inputs = {k: expand(v, entry) if isinstance(v, str) else v for k, v in pulumi_step["with"].items()}
        assert inputs["command"] == "preview"
        assert inputs["stack-name"].endswith(stack)
        assert inputs["policyPacks"] == "policies"
        assert inputs["policyPackConfigs"] == f"policies/config/{stack}.json"
        assert (ROOT / inputs["policyPackConfigs"]).is_file()
        assert inputs["comment-on-pr"] is True
        assert inputs["github-token"] == "${{ secrets.GITHUB_TOKEN }}"
        assert expand(creds["with"]["aws-region"], entry) == stack_region(stack)
    assert pulumi_step["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_pulumi_runs_only_after_both_virtualenvs_exist(path: Path):
    """The CLI runs the program in .venv and the pack in policies/venv; both are created before the action."""
    for name, job in load(path.name)["jobs"].items():
        steps = job["steps"]
        for index, step in enumerate(steps):
            if step.get("uses", "").startswith("pulumi/actions@") and step["with"].get("command"):
                before = "\n".join(s.get("run", "") for s in steps[:index])
                assert "python -m venv .venv" in before, (path.name, name)
                assert "-r requirements.txt -c constraints.txt" in before, (path.name, name)
                assert "python -m venv policies/venv" in before, (path.name, name)
                assert "policies/venv/bin/pip install" in before and "-r policies/requirements.txt" in before


def test_runtime_virtualenvs_in_the_workflow_match_the_project_files():
    program = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["runtime"]["options"]
    pack = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())["runtime"]["options"]
    assert (program["virtualenv"], pack["virtualenv"]) == (".venv", "venv")


def test_main_deploys_dev_with_the_dev_policy_config_one_update_at_a_time():
    workflow = load("deploy-dev.yml")
    assert workflow["on"] == {"push": {"branches": ["main"]}}
    assert workflow["concurrency"] == {"group": "deploy-dev", "cancel-in-progress": False}
    (job,) = workflow["jobs"].values()
    assert job["environment"] == "dev"
    (step,) = steps_using(job, "pulumi/actions")
    assert step["with"]["command"] == "up"
    assert step["with"]["stack-name"].endswith("dev")
    assert (step["with"]["policyPacks"], step["with"]["policyPackConfigs"]) == ("policies", "policies/config/dev.json")
    (creds,) = steps_using(job, "aws-actions/configure-aws-credentials")
    assert creds["with"]["aws-region"] == stack_region("dev")


def test_prod_deploys_only_by_hand_from_main_behind_the_protected_production_environment():
    workflow = load("deploy-prod.yml")
    assert set(workflow["on"]) == {"workflow_dispatch"}
    assert workflow["concurrency"] == {"group": "deploy-prod", "cancel-in-progress": False}
    (job,) = workflow["jobs"].values()
    assert job["environment"] == "production"
    assert job["if"] == "github.ref == 'refs/heads/main'"
    (step,) = steps_using(job, "pulumi/actions")
    assert step["with"]["command"] == "up"
    assert step["with"]["stack-name"].endswith("prod")
    assert (step["with"]["policyPacks"], step["with"]["policyPackConfigs"]) == ("policies", "policies/config/prod.json")
    (creds,) = steps_using(job, "aws-actions/configure-aws-credentials")
    assert creds["with"]["aws-region"] == stack_region("prod")


def test_no_other_workflow_can_update_prod():
    for path in WORKFLOW_FILES:
        for job in load(path.name)["jobs"].values():
            for step in steps_using(job, "pulumi/actions"):
                if step["with"].get("command") in {"up", "update", "destroy", "refresh"} and "prod" in json.dumps(
                    step["with"]
                ):
                    assert path.name == "deploy-prod.yml" and job.get("environment") == "production"
