"""The preview command with the policy pack: the report, and the exit code reviewers rely on."""

from __future__ import annotations

import pytest

from offline import preview as preview_command
from offline.engine import PROJECT_DIR
from tests.test_preview_cli import preview


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("mode", ["preview", "update"])
def test_both_stacks_pass_the_pack_with_no_mandatory_violation(shared_program, capsys, stack, mode):
    # In-process over the session's shared recordings; the subprocess test below runs the real command line.
    shared_program([preview_command])
    exit_code = preview_command.main(["--stack", stack, "--mode", mode])
    out, err = capsys.readouterr()
    assert exit_code == preview_command.EXIT_OK, out[-3000:] + err
    assert f"Policy pack streaming-platform-guardrails@v0.1.0 on streaming/{stack} ({mode})" in out
    assert "Summary: 0 mandatory," in out


def test_dev_fails_prods_guardrails_and_exits_1_naming_policy_resources_and_fix():
    result = preview("--stack", "dev", "--policy-config", str(PROJECT_DIR / "policies/config/prod.json"))
    assert result.returncode == 1
    report = result.stdout.split("== policy report ==", 1)[1]
    assert "MANDATORY subnet-tiers-span-azs" in report
    assert "tier 'app' spans 2 AZ(s) (us-east-2a, us-east-2b); at least 3 required" in report
    assert "MANDATORY private-subnet-nat-same-az" in report
    assert (
        "network-app-us-east-2b: default route (route network-app-default-us-east-2b) uses NAT gateway "
        "network-nat-us-east-2a in us-east-2a, not in us-east-2b"
    ) in report
    assert "  fix: " in report
