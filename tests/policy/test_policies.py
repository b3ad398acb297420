"""Every policy, through the real pack process over gRPC: compliant, non-compliant and not applicable.

Non-compliant fixtures are the compliant reference platform with exactly one defect, so each
must make exactly its own policy fire, at MANDATORY level, both in preview (every id and ARN
unknown, as on a brand-new stack) and in update mode.
"""

from __future__ import annotations

import pytest

from .platform import platform
from .policy_cases import Case
from .policy_cases_all import CASES


def _ids(case: Case) -> str:
    return f"{case.policy}:{case.id}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_reference_platform_is_compliant(run_pack, stack: str, preview: bool) -> None:
    report = run_pack(platform(stack, preview))
    assert report.mandatory == []
    real = [d for d in report.diagnostics if not d.unknown]
    assert real == [], report.render()
    unverifiable = {d.policy for d in report.diagnostics if d.unknown}
    # The only thing a new stack cannot verify: bucket policy JSON embeds the (unknown) bucket ARN.
    assert unverifiable == ({"s3-bucket-tls-only"} if preview else set())


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_non_compliant_fires_mandatory(run_pack, case: Case, preview: bool) -> None:
    b = platform(case.stack, preview)
    case.mutate(b)
    report = run_pack(b)
    fired = {d.policy for d in report.mandatory}
    assert fired == {case.policy} | case.also | (set() if preview else case.also_update), report.render()
    # (in preview, other buckets' policy JSON is still unknown: that advisory may accompany s3-bucket-tls-only)
    diags = [d for d in report.for_policy(case.policy) if not d.unknown]
    assert diags and all(d.level == "mandatory" for d in diags)
    assert any(case.expect in d.detail for d in diags), report.render()
    assert all(d.urn and d.resource_name for d in diags), "violations must name the offending resource"
    assert all(d.remediation for d in diags)


def test_every_policy_has_a_non_compliant_case() -> None:
    from streaming_policies.registry import all_rules

    from .test_aws_api import NON_COMPLIANT  # the aws-api pillar's cases live beside its own tests

    assert {r.name for r in all_rules()} <= {c.policy for c in CASES} | {c.policy for c in NON_COMPLIANT}


def test_dev_levels_apply(run_pack) -> None:
    """In dev the hardening rules report ADVISORY, the pillars stay MANDATORY."""
    b = platform("dev", True)
    b.protect("catalog-db", False)
    b.set("catalog-db", multiAz=False)
    report = run_pack(b)
    levels = {(d.policy, d.level) for d in report.diagnostics if not d.unknown}
    assert levels == {("stateful-resources-protected", "advisory"), ("rds-multi-az", "mandatory")}


def test_dev_single_nat_is_advisory(run_pack) -> None:
    b = platform("dev", True)
    b.set("app-b-default", natGatewayId=b.ref(b["nat-a"]))
    report = run_pack(b)
    assert report.mandatory == []
    assert {d.policy for d in report.advisory if not d.unknown} == {"private-subnet-nat-same-az"}
    assert [d.resource_name for d in report.for_policy("private-subnet-nat-same-az")] == ["app-b"]


def test_prod_needs_three_azs(run_pack) -> None:
    report = run_pack(platform("prod", True, azs=2))
    # minAzs=3 binds every multi-AZ rule in prod, and the capacity floors (2 instances / tasks) too.
    assert {d.policy for d in report.mandatory} == {
        "subnet-tiers-span-azs",
        "load-balancer-multi-az",
        "autoscaling-group-multi-az",
        "ecs-service-multi-az",
        "lambda-vpc-multi-az",
        "data-subnet-groups-multi-az",
        "elasticache-multi-az",
    }
    assert len(report.for_policy("subnet-tiers-span-azs")) == 6  # every subnet of the 3 short tiers
    asg = {d.detail for d in report.for_policy("autoscaling-group-multi-az")}
    assert asg == {
        "Auto Scaling group spans 2 AZ(s) (us-west-2a, us-west-2b); at least 3 required",
        "Auto Scaling group minSize is 2; at least 3 (one per AZ) required",
    }


def test_preview_pillar_violations_are_not_downgraded(run_pack) -> None:
    """A brand-new stack (all ids unknown) still gets MANDATORY verdicts for graph-based pillar rules."""
    b = platform("prod", True)
    b.remove("alb-waf")
    b.set("cdn", webAclId=None)
    b.set("alb", subnets=[b.ref(b["public-a"])])
    b.remove("uploads-sse")
    recs = b.records()
    assert all(r.inputs.get("vpcId") in (None, "04da6b54-80e4-46f7-96ec-b56ff0331ba9") for r in recs)
    report = run_pack(b)
    assert {d.policy for d in report.mandatory} == {
        "alb-waf-attached",
        "cloudfront-waf-attached",
        "load-balancer-multi-az",
        "s3-bucket-sse-kms",
    }
    assert not [d for d in report.diagnostics if d.unknown and d.policy != "s3-bucket-tls-only"]


def test_tls_only_policy_content_is_checked_on_update(run_pack) -> None:
    b = platform("prod", False)
    b.set("uploads-policy", policy='{"Version": "2012-10-17", "Statement": []}')
    report = run_pack(b)
    assert {d.policy for d in report.mandatory} == {"s3-bucket-tls-only"}
    assert "aws:SecureTransport" in report.for_policy("s3-bucket-tls-only")[0].detail


def test_unknown_flag_is_advisory_not_mandatory(run_pack) -> None:
    """A genuinely unknown input (not an id) gives the SDK's advisory "can't run during preview"."""
    b = platform("prod", True)
    b.set("catalog-db", multiAz=b.ref(b["data-key"], "multiAz"))
    report = run_pack(b)
    assert report.mandatory == []
    (d,) = report.for_policy("rds-multi-az")
    assert d.unknown and d.level == "advisory" and "catalog-db.multiAz" in d.message


def test_log_delivery_bucket_may_use_sse_s3(run_pack) -> None:
    b = platform("prod", True)
    b.set("access-logs", tags={})
    report = run_pack(b)
    assert {d.resource_name for d in report.mandatory} == {"access-logs"}
    assert {d.policy for d in report.mandatory} == {"s3-bucket-sse-kms"}


def test_log_delivery_tag_without_a_log_writer_fails_closed(run_pack) -> None:
    """The LogDelivery tag alone does not allow SSE-S3: a load balancer or distribution must log there."""
    b = platform("prod", False)
    b.set("alb", accessLogs=None)
    b.set("cdn", loggingConfig=None)
    report = run_pack(b)
    assert {(d.policy, d.resource_name) for d in report.mandatory} == {
        ("s3-bucket-sse-kms", "access-logs"),
        # ... and the entry points that no longer log are violations of their own
        ("entry-point-access-logs", "alb"),
        ("entry-point-access-logs", "cdn"),
    }
    (sse,) = report.for_policy("s3-bucket-sse-kms")
    assert "no load balancer accessLogs or CloudFront loggingConfig" in sse.detail


def test_unversioned_bucket_roles_are_not_applicable(run_pack) -> None:
    from offline.policy_driver import load_policy_config

    cfg = load_policy_config("prod")
    cfg["video-buckets-versioned"] = {"enforcementLevel": "mandatory", "unversionedBucketRoles": ["logs"]}
    b = platform("prod", True)
    b.remove("access-logs-versioning")
    report = run_pack(b, policy_config=cfg)
    assert report.for_policy("video-buckets-versioned") == [] and report.mandatory == []
    # Without the option the same stack is a violation on exactly that bucket.
    (d,) = run_pack(b).for_policy("video-buckets-versioned")
    assert d.level == "mandatory" and d.resource_name == "access-logs"


def test_waf_rules_from_rule_json(run_pack) -> None:
    import json

    rules = [
        {
            "Name": "common",
            "Priority": 1,
            "OverrideAction": {"None": {}},
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}},
            "VisibilityConfig": {"CloudWatchMetricsEnabled": True, "MetricName": "c", "SampledRequestsEnabled": True},
        }
    ]
    b = platform("prod", True)
    b.set("edge-acl", rules=None, ruleJson=json.dumps(rules))
    report = run_pack(b)
    assert {d.policy for d in report.mandatory} == {"waf-web-acl-baseline-rules"}
    assert "no enforced rate-based rule" in report.for_policy("waf-web-acl-baseline-rules")[0].detail


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_clusters_that_survive_an_az_loss_are_compliant(run_pack, preview: bool) -> None:
    """An Aurora cluster with a writer and readers pinned to prod's three AZs, and a Multi-AZ DB cluster (RDS runs
    its writer and two readers in three AZs itself, with no cluster instances in the program)."""
    from .policy_cases import _aurora

    b = platform("prod", preview)
    _aurora(b)
    b.add(
        "aws:rds/cluster:Cluster",
        "multi-az-cluster",
        protect=True,
        engine="postgres",
        dbClusterInstanceClass="db.r6gd.large",
        storageType="io1",
        allocatedStorage=100,
        iops=1000,
        storageEncrypted=True,
        kmsKeyId=b.ref(b["data-key"], "arn"),
        deletionProtection=True,
        backupRetentionPeriod=7,
        dbClusterParameterGroupName=b.ref(b["aurora-pg16"], "name"),
        dbSubnetGroupName=b.ref(b["db-subnets"], "name"),
    )
    report = run_pack(b)
    assert report.for_policy("rds-cluster-multi-az") == [], report.render()
    assert "rds-cluster-multi-az" not in report.not_applicable_policies()
