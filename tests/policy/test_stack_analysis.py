"""AnalyzeStack as the engine runs it (outputs, not inputs), values against the graph, robustness to
unknowns, and the per-request cache giving the same verdicts as no cache."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.engine import UNKNOWN, ResourceRecord
from offline.stack_outputs import stack_properties

from .platform import platform
from .policy_cases import waf_rules_as_resources


def _record(type_: str, inputs: dict[str, Any], **kw: Any) -> ResourceRecord:
    return ResourceRecord(
        type=type_,
        name=kw.pop("name", "r"),
        urn=kw.pop("urn", f"urn:pulumi:prod::streaming::{type_}::r"),
        parent=None,
        custom=True,
        provider=None,
        dependencies=(),
        property_dependencies=kw.pop("deps", {}),
        protect=False,
        retain_on_delete=False,
        ignore_changes=(),
        inputs=inputs,
        id=kw.pop("id", None),
    )


def test_outputs_model_leaves_optional_computed_attributes_unknown_in_preview() -> None:
    db = _record("aws:rds/instance:Instance", {"storageEncrypted": True, "multiAz": True})
    props = stack_properties(db, preview=True, region="us-west-2")
    assert props == {
        "storageEncrypted": True,
        "multiAz": True,
        "kmsKeyId": UNKNOWN,
        "backupRetentionPeriod": UNKNOWN,
        "parameterGroupName": UNKNOWN,
        "dbSubnetGroupName": UNKNOWN,
    }
    lb = stack_properties(_record("aws:lb/loadBalancer:LoadBalancer", {}), preview=True, region="us-west-2")
    assert lb == {"internal": UNKNOWN}


def test_outputs_model_fills_in_what_aws_fills_in_on_update() -> None:
    db = _record("aws:rds/instance:Instance", {"storageEncrypted": True, "multiAz": True}, id="db-1")
    props = stack_properties(db, preview=False, region="us-west-2")
    assert props["kmsKeyId"] == "arn:aws:kms:us-west-2:111122223333:key/aws-managed-rds"
    assert (props["dbSubnetGroupName"], props["backupRetentionPeriod"], props["id"]) == ("default", 1, "db-1")
    table = _record("aws:dynamodb/table:Table", {"serverSideEncryption": {"enabled": True}})
    assert stack_properties(table, preview=False, region="us-west-2")["serverSideEncryption"] == {
        "enabled": True,
        "kmsKeyArn": "arn:aws:kms:us-west-2:111122223333:key/aws-managed-dynamodb",
    }
    # Given values are never replaced.
    own = _record("aws:lb/loadBalancer:LoadBalancer", {"internal": True})
    assert stack_properties(own, preview=False, region="us-west-2") == {"internal": True}


def test_outputs_model_gives_a_read_replica_its_source_key() -> None:
    source = _record(
        "aws:rds/instance:Instance",
        {"storageEncrypted": True, "kmsKeyId": "arn:aws:kms:us-west-2:111122223333:key/cmk"},
        urn="urn:src",
    )
    replica = _record(
        "aws:rds/instance:Instance", {"replicateSourceDb": "src"}, deps={"replicateSourceDb": ("urn:src",)}
    )
    props = stack_properties(replica, preview=False, region="us-west-2", by_urn={"urn:src": source})
    assert props["kmsKeyId"] == "arn:aws:kms:us-west-2:111122223333:key/cmk"


def test_values_known_on_update_win_over_the_graph(run_pack) -> None:
    """Three subnets in the graph, but the list holds app-a's id three times: one AZ."""
    b = platform("prod", False)
    a = b.ref(b["app-a"])
    subnets = [b.computed(lambda x, _other: x, a, b.ref(b[f"app-{z}"])) for z in "abc"]
    b.set("api-svc", networkConfiguration={"subnets": subnets})
    report = run_pack(b)
    assert [d.detail for d in report.mandatory] == ["ECS service spans 1 AZ(s) (us-west-2a); at least 3 required"]


@pytest.mark.parametrize(
    "preview,detail",
    [
        (True, "ECS service lists 1 subnet(s); at least 3 (one per AZ) required"),
        (False, "ECS service spans 1 AZ(s) (us-west-2a); at least 3 required"),
    ],
    ids=["preview", "update"],
)
def test_a_list_narrowed_in_apply_is_judged_on_its_length_then_its_ids(run_pack, preview: bool, detail: str) -> None:
    b = platform("prod", preview)
    subnets = [b.ref(b[f"app-{z}"]) for z in "abc"]
    b.set("api-svc", networkConfiguration={"subnets": [b.computed(lambda x, _y, _z: x, *subnets)]})
    assert [d.detail for d in run_pack(b).mandatory] == [detail]


def test_unknown_waf_rule_element_is_not_a_false_violation(run_pack) -> None:
    b = platform("prod", True)
    b.patch("regional-acl", lambda i: i["rules"].insert(0, b.ref(b["data-key"], "rule")))
    report = run_pack(b)
    assert report.mandatory == []
    (d,) = report.for_policy("waf-web-acl-baseline-rules")
    assert d.unknown and d.level == "advisory" and "regional-acl.rules rules[0]" in d.message
    (m,) = report.for_policy("waf-web-acl-metrics")
    assert m.unknown and "regional-acl.rules[rules[0]].visibilityConfig" in m.message


def test_unknown_waf_rule_element_does_not_hide_a_count_mode_group(run_pack) -> None:
    b = platform("prod", True)
    rules = b["regional-acl"].inputs["rules"]
    rules[0]["overrideAction"] = {"count": {}}
    rules.insert(0, b.ref(b["data-key"], "rule"))
    report = run_pack(b)
    details = {d.detail for d in report.mandatory}
    assert "managed rule group AWSManagedRulesCommonRuleSet is in count mode (it blocks nothing)" in details


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_web_acl_rule_resources_count_as_the_acls_rules(run_pack, preview: bool) -> None:
    b = platform("prod", preview)
    waf_rules_as_resources(b, "regional-acl")
    report = run_pack(b)
    assert report.mandatory == []
    assert report.for_policy("waf-web-acl-baseline-rules") == []


def test_unknown_redirect_protocol_is_advisory(run_pack) -> None:
    b = platform("prod", True)
    b.patch("http", lambda i: i["defaultActions"][0]["redirect"].update(protocol=b.ref(b["data-key"], "proto")))
    report = run_pack(b)
    assert report.mandatory == []
    (d,) = report.for_policy("alb-http-redirects-to-https")
    assert d.unknown


def test_unknown_availability_zones_string_is_not_counted_as_azs(run_pack) -> None:
    """A whole unknown availabilityZones (a data source's list) is one unknown, never its characters as AZs."""
    b = platform("prod", True)
    b.set("web-asg", vpcZoneIdentifiers=None, availabilityZones=b.ref(b["data-key"], "zones"))
    report = run_pack(b)
    assert report.mandatory == []
    (d,) = report.for_policy("autoscaling-group-multi-az")
    assert d.unknown and "web-asg.availabilityZones" in d.message


def test_availability_zones_do_not_widen_the_subnets(run_pack) -> None:
    """With vpcZoneIdentifiers the subnets decide the AZs (CreateAutoScalingGroup): a zone list adds none."""
    b = platform("prod", False)
    b.set("web-asg", vpcZoneIdentifiers=[b.ref(b["app-a"])], availabilityZones=["us-west-2b", "us-west-2c"])
    details = [d.detail for d in run_pack(b).for_policy("autoscaling-group-multi-az")]
    assert details == ["Auto Scaling group spans 1 AZ(s) (us-west-2a); at least 3 required"]


def test_unknown_waf_log_destination_is_not_compliant(run_pack) -> None:
    """A destination that is unknown and not a log group, stream or bucket of this stack proves nothing."""
    b = platform("prod", True)
    b.set("edge-acl-logging", logDestinationConfigs=[b.ref(b["data-key"], "destination")])
    report = run_pack(b)
    assert report.mandatory == []
    (d,) = report.for_policy("waf-logging-enabled")
    assert d.unknown and d.level == "advisory" and "edge-acl-logging.logDestinationConfigs" in d.message


def _tls_deny(**changes: Any) -> str:
    st = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::uploads", "arn:aws:s3:::uploads/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    st.update(changes)
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


@pytest.mark.parametrize(
    "changes",
    [
        # s3:Get* covers bucket and object actions, so the IAM reference finds every resource authorized and the
        # only finding is the narrowed deny (s3:GetObject on the bucket ARN would also be an IAM-reference finding).
        {"Action": "s3:Get*"},
        {"Principal": {"AWS": "arn:aws:iam::123456789012:root"}},
        {"Resource": ["arn:aws:s3:::uploads/private/*"]},
    ],
    ids=["one-action", "one-principal", "one-prefix"],
)
def test_tls_only_deny_narrowed_is_a_violation(run_pack, changes: dict[str, Any]) -> None:
    b = platform("prod", False)
    b.set("uploads-policy", policy=_tls_deny(**changes))
    report = run_pack(b)
    assert [(d.policy, d.resource_name) for d in report.mandatory] == [("s3-bucket-tls-only", "uploads")]


def test_tls_only_deny_of_the_intent_is_compliant(run_pack) -> None:
    b = platform("prod", False)
    b.set("uploads-policy", policy=_tls_deny())
    assert run_pack(b).mandatory == []


def test_request_cache_wraps_the_pinned_sdk() -> None:
    """The pack installs its per-request cache into the SDK it is pinned to (a new SDK must be re-checked)."""
    import subprocess
    import sys

    from offline.policy_driver import POLICIES_DIR

    code = "from streaming_policies import request; print(request.install(), request.install())"
    out = subprocess.run([sys.executable, "-c", code], cwd=POLICIES_DIR, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]


def test_cached_and_uncached_verdicts_are_the_same(run_pack) -> None:
    """The pack process (cache installed) and the SDK servicer in this process (no cache) agree."""
    from pulumi_policy import EnforcementLevel
    from pulumi_policy import policy as sdk
    from streaming_policies.registry import PACK_NAME, build_policies

    from offline.policy_driver import PolicyPackProcess

    assert getattr(sdk._PolicyAnalyzerServicer.AnalyzeStack, "__wrapped__", None) is None
    b = platform("prod", True)
    b.set("catalog-db", multiAz=False)
    b.remove("alb-waf")
    cached = run_pack(b)
    servicer = sdk._PolicyAnalyzerServicer(
        PACK_NAME, "0.0.1", build_policies(), EnforcementLevel.MANDATORY, None, None, None, None, None, None, None
    )

    class Call:
        def __init__(self, name: str) -> None:
            self.fn = getattr(servicer, name)

        def __call__(self, req: Any, timeout: float | None = None) -> Any:
            return self.fn(req, None)

        def future(self, req: Any, timeout: float | None = None) -> Any:
            result = self.fn(req, None)
            return type("Done", (), {"result": lambda _self: result})()

    proc = PolicyPackProcess(project=b.project, stack=b.stack, preview=b.preview, config=b.config())
    proc._stub = type("Stub", (), {"__getattr__": lambda _self, name: Call(name)})()
    uncached = proc.analyze(b.records(), region=b.region)

    def verdicts(report: Any) -> list[tuple[str, str, str, str]]:
        return sorted((d.policy, d.level, d.urn, d.detail) for d in report.diagnostics)

    assert verdicts(cached) == verdicts(uncached)
    assert {d.policy for d in cached.mandatory} == {"rds-multi-az", "alb-waf-attached"}
