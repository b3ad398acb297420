"""The main job, run as a newcomer runs it: a subprocess with the real command line."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from offline.docs import stale_files
from offline.engine import PROJECT_DIR


def preview(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "offline.preview", *args], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300
    )


def test_preview_prints_the_tree_the_counts_and_the_outputs_and_writes_json(tmp_path):
    out = tmp_path / "dev.json"
    result = preview("--stack", "dev", "--no-policy", "--json", str(out))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "== streaming/dev: offline preview ==" in text
    assert "    * streaming:network:MultiAzNetwork  network\n" in text
    assert "        + aws:ec2/natGateway:NatGateway  network-nat-us-east-2a\n" in text
    assert re.search(r"^  aws:ec2/subnet:Subnet +6$", text, re.MULTILINE)  # column width follows the longest type
    assert '  availabilityZones: ["us-east-2a", "us-east-2b"]' in text
    assert '  vpcId: "(known after update)"' in text
    record = json.loads(out.read_text())
    assert record["stack"] == "dev" and record["mode"] == "preview"
    # network 33, DataTier 52 (with its 5 part components: DataKeys, Tables, Cache, Database, Buckets)
    # + bucket policies 4, app 186 (AppTier + its 5 parts under ECS_ONLY + their children: repositories, lifecycle
    # policies, branding) + ApiGatewayAccount 4, zone 3 (with the delegation record), origin secret 1, media 18 (with
    # the ffmpeg layer and its zip), StreamingEdge 16 + origin failover 4, alarm topics 11, observability 43
    assert len(record["resources"]) == 375
    assert {
        "type",
        "name",
        "urn",
        "parent",
        "dependencies",
        "propertyDependencies",
        "protect",
        "retainOnDelete",
        "ignoreChanges",
        "inputs",
    } <= set(record["resources"][0])


def test_update_mode_shows_known_ids(shared_program, capsys):
    from offline import preview as preview_command

    shared_program([preview_command])  # in-process, over the session's shared prod update recording
    assert preview_command.main(["--stack", "prod", "--mode", "update", "--no-policy"]) == preview_command.EXIT_OK
    out = capsys.readouterr().out
    assert '  vpcId: "vpc-' in out
    assert "[protect, retainOnDelete]" in out


def test_invalid_config_exits_2_listing_every_problem_and_prints_no_tree():
    result = preview(
        "--stack",
        "prod",
        "--no-policy",
        "--config",
        "streaming:azCount=2",
        "--config",
        "streaming:domainName=not a domain",
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "invalid configuration for stack 'prod' (2 problems); nothing was registered:" in result.stderr
    # azCount disagrees with the pinned zones before it is judged against prod's minimum.
    assert (
        "  - streaming:azCount: got 2; allowed: 3, the number of availabilityZoneIds (usw2-az1, usw2-az2, usw2-az3)"
        in result.stderr
    )
    assert "  - streaming:domainName: got 'not a domain';" in result.stderr


def test_generated_files_are_up_to_date():
    assert stale_files() == []


def test_access_prints_the_table_and_exits_0_when_every_contract_holds(shared_program, capsys):
    from offline import preview as preview_command
    from offline.preview import EXIT_OK, main

    shared_program([preview_command])
    assert main(["--stack", "dev", "--mode", "update", "--no-policy", "--access"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "== runtime access (offline/access.py) ==" in out
    assert "19 workloads, 211 requests: 131 allowed, 80 denied, **0 unexpected**." in out
    assert "| ecs:api | Redis: connect as the app user | `elasticache:Connect` |" in out
