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
            assert re.fullmatch(
                r"\$\{\{ (vars\.AWS_(DEV_PREVIEW|PROD_PREVIEW|DEPLOY)_ROLE_ARN|matrix\.role) \}\}",
                step["with"]["role-to-assume"],
            )


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
    assert pulumi_step["uses"] == "pulumi/actions@v7"
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
    preview, up = steps_using(job, "pulumi/actions")
    assert (preview["with"]["command"], up["with"]["command"]) == ("preview", "up")
    for step in (preview, up):
        assert step["with"]["stack-name"].endswith("dev")
        assert (step["with"]["policyPacks"], step["with"]["policyPackConfigs"]) == (
            "policies",
            "policies/config/dev.json",
        )
    (creds,) = steps_using(job, "aws-actions/configure-aws-credentials")
    assert creds["with"]["aws-region"] == stack_region("dev")
    assert creds["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"


def test_prod_deploys_only_by_hand_from_main_behind_the_protected_production_environment():
    workflow = load("deploy-prod.yml")
    assert set(workflow["on"]) == {"workflow_dispatch"}
    assert workflow["concurrency"] == {"group": "deploy-prod", "cancel-in-progress": False}
    assert list(workflow["jobs"]) == ["preview", "up"]
    preview_job, up_job = workflow["jobs"]["preview"], workflow["jobs"]["up"]
    assert "environment" not in preview_job and up_job["environment"] == "production"
    assert up_job["needs"] == "preview"
    for job in (preview_job, up_job):
        assert job["if"] == "github.ref == 'refs/heads/main'"
        (creds,) = steps_using(job, "aws-actions/configure-aws-credentials")
        assert creds["with"]["aws-region"] == stack_region("prod")
    (preview,) = steps_using(preview_job, "pulumi/actions")
    (up,) = steps_using(up_job, "pulumi/actions")
    assert (preview["with"]["command"], up["with"]["command"]) == ("preview", "up")
    for step in (preview, up):
        assert step["with"]["stack-name"].endswith("prod")
        assert (step["with"]["policyPacks"], step["with"]["policyPackConfigs"]) == (
            "policies",
            "policies/config/prod.json",
        )
    # What the reviewers approve is on the run's summary page before they are asked.
    assert preview["with"]["comment-on-summary"] is True


def test_no_other_workflow_can_update_prod():
    for path in WORKFLOW_FILES:
        for job in load(path.name)["jobs"].values():
            for step in steps_using(job, "pulumi/actions"):
                if step["with"].get("command") in {"up", "update", "destroy", "refresh"} and "prod" in json.dumps(
                    step["with"]
                ):
                    assert path.name == "deploy-prod.yml" and job.get("environment") == "production"


# --- Policies before apply: preview with the pack, save a plan, apply exactly that plan --------------------

APPLYING = {"up", "update", "destroy", "refresh"}


def pulumi_steps(workflow: dict[str, Any]) -> list[tuple[str, int, dict[str, Any]]]:
    """(job id, step index, step) of every pulumi/actions step, jobs in the order `needs` runs them."""
    return [
        (name, index, step)
        for name, job in workflow["jobs"].items()
        for index, step in enumerate(job["steps"])
        if step.get("uses", "").split("@")[0] == "pulumi/actions"
    ]


def apply_order_problems(workflow: dict[str, Any]) -> list[str]:
    """Every apply must come after a preview with the same pack and use the plan that preview saved."""
    problems = []
    steps = pulumi_steps(workflow)
    for up_job, up_index, up in steps:
        if up["with"]["command"] not in APPLYING:
            continue
        needs = workflow["jobs"][up_job].get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        previews = [
            step
            for job, index, step in steps
            if step["with"]["command"] == "preview" and ((job == up_job and index < up_index) or job in needs)
        ]
        if not previews:
            problems.append(f"{up_job}: `{up['with']['command']}` runs without an earlier preview")
            continue
        preview = previews[-1]
        if not preview["with"].get("policyPacks"):
            problems.append(f"{up_job}: the preview before `up` runs no policy pack")
        for key in ("policyPacks", "policyPackConfigs"):
            if preview["with"].get(key) != up["with"].get(key):
                problems.append(f"{up_job}: {key} differs between preview and up")
        if not preview["with"].get("plan") or up["with"].get("plan") != preview["with"]["plan"]:
            problems.append(f"{up_job}: `up` does not apply the plan the preview saved")
    return problems


@pytest.mark.parametrize("name", ["deploy-dev.yml", "deploy-prod.yml"])
def test_every_apply_follows_a_policy_pack_preview_and_uses_its_saved_plan(name: str):
    workflow = load(name)
    assert [step["with"]["command"] for _, _, step in pulumi_steps(workflow)] == ["preview", "up"]
    # pulumi/actions passes `plan` as `--save-plan` to preview and `--plan` to up (Automation API).
    assert apply_order_problems(workflow) == []


def test_apply_order_check_rejects_an_up_alone_a_preview_after_it_a_packless_preview_and_a_missing_plan():
    import copy

    dev = load("deploy-dev.yml")
    (job,) = dev["jobs"].values()
    preview, up = steps_using(job, "pulumi/actions")

    alone = copy.deepcopy(dev)
    alone["jobs"]["up"]["steps"].remove(preview)
    assert apply_order_problems(alone) == ["up: `up` runs without an earlier preview"]

    swapped = copy.deepcopy(dev)
    steps = swapped["jobs"]["up"]["steps"]
    i, j = steps.index(preview), steps.index(up)
    steps[i], steps[j] = steps[j], steps[i]
    assert apply_order_problems(swapped) == ["up: `up` runs without an earlier preview"]

    packless = copy.deepcopy(dev)
    packless_preview = steps_using(packless["jobs"]["up"], "pulumi/actions")[0]
    del packless_preview["with"]["policyPacks"], packless_preview["with"]["policyPackConfigs"]
    assert apply_order_problems(packless) == [
        "up: the preview before `up` runs no policy pack",
        "up: policyPacks differs between preview and up",
        "up: policyPackConfigs differs between preview and up",
    ]

    planless = copy.deepcopy(load("deploy-prod.yml"))
    del steps_using(planless["jobs"]["up"], "pulumi/actions")[0]["with"]["plan"]
    assert apply_order_problems(planless) == ["up: `up` does not apply the plan the preview saved"]


def test_prod_plan_travels_from_the_preview_job_to_the_approved_up_job():
    workflow = load("deploy-prod.yml")
    (upload,) = steps_using(workflow["jobs"]["preview"], "actions/upload-artifact")
    (download,) = steps_using(workflow["jobs"]["up"], "actions/download-artifact")
    (preview,) = steps_using(workflow["jobs"]["preview"], "pulumi/actions")
    assert upload["with"]["path"] == preview["with"]["plan"] == "${{ runner.temp }}/prod-plan.json"
    assert upload["with"]["if-no-files-found"] == "error"
    assert 1 <= upload["with"]["retention-days"] <= 7
    assert (download["with"]["name"], download["with"]["path"]) == (upload["with"]["name"], "${{ runner.temp }}")
    up_steps = workflow["jobs"]["up"]["steps"]
    assert up_steps.index(download) < up_steps.index(steps_using(workflow["jobs"]["up"], "pulumi/actions")[0])


def test_no_workflow_applies_without_a_plan():
    for path in WORKFLOW_FILES:
        for job_name, _, step in pulumi_steps(load(path.name)):
            if step["with"]["command"] in APPLYING:
                assert step["with"].get("plan"), (path.name, job_name)


# --- One role per account ------------------------------------------------------------------------------


def roles_by_stack() -> dict[str, set[str]]:
    """Every role a job of each stack assumes, matrix expanded; deploy roles named by their environment."""
    found: dict[str, set[str]] = {stack: set() for stack in STACKS}
    for path in WORKFLOW_FILES:
        for job in load(path.name)["jobs"].values():
            entries = job.get("strategy", {}).get("matrix", {}).get("include", [{}])
            for entry in entries:
                for step in steps_using(job, "aws-actions/configure-aws-credentials"):
                    role = expand(step["with"]["role-to-assume"], entry)
                    stack = entry.get("stack") or ("prod" if "prod" in path.name else "dev")
                    if role == "${{ vars.AWS_DEPLOY_ROLE_ARN }}":
                        role += f" of environment {job['environment']}"
                    found[stack].add(role)
    return found


def test_each_stack_is_previewed_and_deployed_with_its_own_accounts_roles():
    assert roles_by_stack() == {
        "dev": {"${{ vars.AWS_DEV_PREVIEW_ROLE_ARN }}", "${{ vars.AWS_DEPLOY_ROLE_ARN }} of environment dev"},
        "prod": {
            "${{ vars.AWS_PROD_PREVIEW_ROLE_ARN }}",
            "${{ vars.AWS_DEPLOY_ROLE_ARN }} of environment production",
        },
    }


def test_no_role_serves_both_accounts():
    roles = roles_by_stack()
    assert not roles["dev"] & roles["prod"]
    for path in WORKFLOW_FILES:
        assert "AWS_PREVIEW_ROLE_ARN" not in path.read_text(), path.name


# --- Credentials that last --------------------------------------------------------------------------------

# AssumeRoleWithWebIdentity DurationSeconds: 900..43200 (botocore sts model; STS API Reference), and never
# above the role's MaxSessionDuration, 3600..43200 (botocore iam model, UpdateRole; IAM User Guide).
STS_MIN_SECONDS, IAM_MAX_SECONDS = 900, 43_200


def session_problems(workflow: dict[str, Any]) -> list[str]:
    problems = []
    for name, job in workflow["jobs"].items():
        for step in steps_using(job, "aws-actions/configure-aws-credentials"):
            seconds = step["with"].get("role-duration-seconds")
            if not isinstance(seconds, int) or not STS_MIN_SECONDS <= seconds <= IAM_MAX_SECONDS:
                problems.append(f"{name}: role-duration-seconds {seconds!r} outside 900..43200")
            elif seconds < job["timeout-minutes"] * 60:
                problems.append(f"{name}: {seconds} s of credentials for a {job['timeout-minutes']} min job")
    return problems


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_aws_sessions_last_at_least_as_long_as_the_job_may_run(path: Path):
    assert session_problems(load(path.name)) == []


def test_session_check_rejects_the_default_hour_for_a_three_hour_job_and_a_missing_duration():
    prod = load("deploy-prod.yml")
    (creds,) = steps_using(prod["jobs"]["up"], "aws-actions/configure-aws-credentials")
    creds["with"]["role-duration-seconds"] = 3600
    assert session_problems(prod) == ["up: 3600 s of credentials for a 180 min job"]
    del creds["with"]["role-duration-seconds"]
    assert session_problems(prod) == ["up: role-duration-seconds None outside 900..43200"]


def test_session_durations_are_the_documented_figures():
    """docs/delivery.md tells the role owners which MaxSessionDuration each role needs."""
    doc = (ROOT / "docs" / "delivery.md").read_text()
    for path in WORKFLOW_FILES:
        for job in load(path.name)["jobs"].values():
            for step in steps_using(job, "aws-actions/configure-aws-credentials"):
                assert f"`{step['with']['role-duration-seconds']}`" in doc, (path.name, step["with"])


# --- The PR comment keeps the summary and the policy report -----------------------------------------------


def test_pull_request_comment_keeps_the_summary_and_policy_report():
    (step,) = steps_using(load("pull-request.yml")["jobs"]["preview"], "pulumi/actions")
    # The policy report and the resource summary come last in the output; without `diff` the output is one
    # line per resource, and `always-include-summary` trims from the front if it ever exceeds the limit.
    assert step["with"].get("diff", False) is False
    assert step["with"]["always-include-summary"] is True
    assert step["with"]["comment-on-pr"] is True


# --- Action majors --------------------------------------------------------------------------------------

MAJORS = {
    "actions/checkout": "v7",
    "actions/setup-python": "v7",
    "actions/upload-artifact": "v7",
    "actions/download-artifact": "v8",
    "aws-actions/configure-aws-credentials": "v6",
    "pulumi/actions": "v7",
}


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_its_current_major(path: Path):
    for job in load(path.name)["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                action, _, ref = step["uses"].partition("@")
                assert MAJORS.get(action) == ref, step["uses"]


def test_required_cli_version_matches_the_sdk_pin_and_the_workflows():
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line)
    assert project["requiredPulumiVersion"] == f">={pins['pulumi']} <4.0.0"
    versions = {
        step["with"]["pulumi-version"] for path in WORKFLOW_FILES for _, _, step in pulumi_steps(load(path.name))
    }
    assert versions == {pins["pulumi"]}
