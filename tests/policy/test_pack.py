"""The pack as a whole: levels per stack, registry, configuration handling, docs, driver contract."""

from __future__ import annotations

import pytest

from offline.policy_driver import PolicyConfigError, PolicyPackProcess

from .builder import StackBuilder
from .platform import platform

PILLARS = [
    "subnet-tiers-span-azs",
    "load-balancer-multi-az",
    "autoscaling-group-multi-az",
    "ecs-service-multi-az",
    "lambda-vpc-multi-az",
    "data-subnet-groups-multi-az",
    "rds-multi-az",
    "rds-read-replicas-span-azs",
    "rds-cluster-multi-az",
    "elasticache-multi-az",
    "cloudfront-waf-attached",
    "alb-waf-attached",
    "apigateway-stage-waf-attached",
    "waf-web-acl-baseline-rules",
    "waf-web-acl-metrics",
    "waf-logging-enabled",
    "s3-bucket-sse-kms",
    "s3-bucket-public-access-block",
    "s3-bucket-tls-only",
    "dynamodb-cmk-encryption",
    "rds-storage-encrypted",
    "rds-force-ssl",
    "elasticache-encrypted",
    "sqs-queue-encrypted",
    "sns-topic-encrypted",
    "log-group-kms",
    "lambda-env-kms",
    "launch-template-ebs-encrypted",
    "kms-key-rotation",
    "cloudfront-viewer-https",
    "cloudfront-tls-policy",
    "cloudfront-origin-https",
    "alb-http-redirects-to-https",
    "alb-https-tls-policy",
    "kms-key-of-this-stack",
    "kms-key-enabled",
    "no-entry-points-without-waf",
    "secrets-cmk-encrypted",
    "autoscaling-launch-template-of-this-stack",
]
HARDENING = [
    "private-subnet-nat-same-az",
    "rds-deletion-protection",
    "rds-backup-retention",
    "dynamodb-pitr",
    "dynamodb-deletion-protection",
    "video-buckets-versioned",
    "stateful-resources-protected",
    "ecs-task-hardened",
    "ecs-service-no-public-ip",
    "apigateway-methods-authorized",
    "load-balancer-hardened",
    "vpc-flow-logs-enabled",
    "cognito-user-pool-deletion-protection",
    "ec2-no-public-ip",
    "entry-point-access-logs",
    "s3-bucket-dr-replication",
    "elasticache-backups",
]
SECURITY = [
    "no-public-datastores",
    "launch-template-imdsv2",
    "security-group-no-open-ingress",
    "default-security-group-closed",
    "resource-policies-not-public",
    "iam-no-full-admin-statements",
]
AWS_API = [
    "aws-api-member-constraints",
    "aws-ec2-description-charset",
    "aws-name-limits",
    "aws-waf-logging-destination-name",
    "aws-sqs-visibility-covers-lambda",
    "aws-cloudfront-origin-groups",
    "aws-lambda-layer-region",
    "aws-rds-max-allocated-storage",
    "aws-policy-principals-exist",
    "aws-iam-policy-reference",
]

EXPECTED_LEVELS = {
    "dev": {"mandatory": sorted(PILLARS + SECURITY + AWS_API), "advisory": sorted(HARDENING)},
    "prod": {"mandatory": sorted(PILLARS + SECURITY + HARDENING + AWS_API), "advisory": []},
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_levels_per_stack_are_pinned(run_pack, stack: str) -> None:
    report = run_pack(platform(stack, True))
    by_level: dict[str, list[str]] = {"mandatory": [], "advisory": []}
    for p in report.policies:
        by_level.setdefault(p.level, []).append(p.name)
    assert {k: sorted(v) for k, v in by_level.items()} == EXPECTED_LEVELS[stack]


def test_pack_defaults_fail_closed(run_pack) -> None:
    """Without a config file every policy is mandatory, with its documented option defaults."""
    report = run_pack(platform("dev", True), policy_config={})
    assert {p.level for p in report.policies} == {"mandatory"}
    assert {p.default_level for p in report.policies} == {"mandatory"}
    assert report.policy("subnet-tiers-span-azs").config["minAzs"] == 2
    assert report.policy("alb-https-tls-policy").config["allowedSslPolicies"][0] == (
        "ELBSecurityPolicy-TLS13-1-2-2021-06"
    )


def test_prod_config_sets_three_azs(run_pack) -> None:
    report = run_pack(platform("prod", True))
    assert report.policy("subnet-tiers-span-azs").config["minAzs"] == 3


def test_policy_options_are_honoured(run_pack) -> None:
    b = platform("prod", True)
    cfg = {"load-balancer-multi-az": {"enforcementLevel": "advisory", "minAzs": 4}}
    report = run_pack(b, policy_config=cfg)
    (d,) = report.for_policy("load-balancer-multi-az")
    assert d.level == "advisory" and "at least 4 required" in d.detail


def test_disabled_policy_does_not_run(run_pack) -> None:
    b = platform("prod", True)
    b.set("catalog-db", multiAz=False)
    report = run_pack(b, policy_config={"rds-multi-az": "disabled"})
    assert report.diagnostics == [] or {d.policy for d in report.diagnostics} == {"s3-bucket-tls-only"}


@pytest.mark.parametrize(
    "cfg,match",
    [
        ({"no-such-policy": "mandatory"}, "unknown policies"),
        ({"rds-multi-az": "fatal"}, "unknown enforcement level"),
        ({"load-balancer-multi-az": {"minAz": 2}}, "unknown config property"),
        ({"load-balancer-multi-az": {"minAzs": "2"}}, "expected integer"),
    ],
)
def test_bad_policy_config_is_rejected(run_pack, cfg, match: str) -> None:
    with pytest.raises(PolicyConfigError, match=match):
        run_pack(platform("dev", True), policy_config=cfg)


def test_registry_rejects_duplicate_names() -> None:
    from streaming_policies.registry import DuplicatePolicyError, all_rules, build_policies, check_rules

    rules = all_rules()
    with pytest.raises(DuplicatePolicyError, match="rds-multi-az"):
        check_rules([*rules, next(r for r in rules if r.name == "rds-multi-az")])
    with pytest.raises(DuplicatePolicyError):
        build_policies([rules[0], rules[0]])


def test_rules_carry_metadata() -> None:
    from streaming_policies.registry import all_rules

    for r in all_rules():
        p = r.to_policy()
        assert p.remediation_steps and p.severity and r.why, r.name
        assert f"pillar:{r.pillar}" in (p.tags or [])
        if r.fsbp:
            assert p.framework is not None and p.framework.reference == ", ".join(r.fsbp)
            assert p.url and p.url.startswith("https://docs.aws.amazon.com/securityhub/")
        for o in r.options:
            assert "default" in o.schema and o.doc, f"{r.name}.{o.name} needs a documented default"


def test_policies_md_is_up_to_date() -> None:
    from offline.policy_docs import OUTPUT, render

    assert OUTPUT.read_text() == render(), "POLICIES.md is stale: run python -m offline.policy_docs"


def test_pack_info_and_report_formats(run_pack) -> None:
    b = platform("prod", True)
    b.set("catalog-db", multiAz=False)
    report = run_pack(b)
    assert report.pack == "streaming-platform-guardrails" and report.version == "0.1.0"
    assert len(report.policies) == len(PILLARS + SECURITY + HARDENING + AWS_API)
    text = report.render()
    assert "MANDATORY rds-multi-az" in text and "catalog-db: multiAz is not true" in text
    assert "fix: Set multiAz=True" in text and "Summary: 1 mandatory" in text
    data = report.to_json()
    assert data["summary"]["mandatory"] == 1 and data["mode"] == "preview"
    (mandatory,) = [d for d in data["diagnostics"] if d["level"] == "mandatory"]
    assert mandatory["urn"] == b["catalog-db"].urn and mandatory["resource_name"] == "catalog-db"


def test_process_speaks_the_cli_contract() -> None:
    """A dedicated process: started like the CLI, real engine address, killed on close."""
    b = StackBuilder(stack="dev", preview=False)
    prov = b.add("pulumi:providers:aws", "edge", region="us-east-1")
    b.add("aws:kms/key:Key", "k", provider=prov, enableKeyRotation=False, protect=True)
    b.add("streaming:edge:Edge", "edge-component", custom=False)
    with PolicyPackProcess(project="streaming", stack="dev", preview=False, config=b.config()) as proc:
        assert proc.engine_address.startswith("127.0.0.1:")
        assert proc.plugin_version()
        report = proc.analyze(b.records(), region="us-west-2")
        pid = proc._proc.pid if proc._proc else None
    assert [d.policy for d in report.mandatory] == ["kms-key-rotation"]
    assert report.mandatory[0].resource_name == "k"
    assert pid is not None and proc._proc is None


# Module of the registry -> the pulumi-aws service namespaces its rules may select (datastores spans services).
SERVICE_OF_MODULE = {
    "ec2": {"ec2", "vpc", "ebs"},
    "elb": {"lb", "alb"},
    "autoscaling": {"autoscaling"},
    "ecs": {"ecs"},
    "lambda_": {"lambda"},
    "rds": {"rds"},
    "elasticache": {"elasticache"},
    "dynamodb": {"dynamodb"},
    "s3": {"s3"},
    "kms": {"kms"},
    "cloudfront": {"cloudfront"},
    "wafv2": {"wafv2"},
    "apigateway": {"apigateway", "apigatewayv2"},
    "sqs": {"sqs"},
    "sns": {"sns"},
    "logs": {"cloudwatch"},
    "cognito": {"cognito"},
    "secretsmanager": {"secretsmanager"},
    "iam": {"iam"},
}
# Modules that judge one job across services (every data store, every public entry point).
CROSS_SERVICE = {"datastores", "entrypoints", "access_logs", "resource_policies"}
# Rules of a service module that judge that service's part in every other service (which KMS key; which key
# encrypts a secret, the secret resource's or the master password RDS keeps in Secrets Manager).
CROSS_SERVICE_RULES = {"kms-key-of-this-stack", "secrets-cmk-encrypted"}


def test_rules_are_grouped_one_module_per_service_with_the_pillar_as_a_tag() -> None:
    import sys

    from offline.policy_docs import POLICIES_DIR

    sys.path.insert(0, str(POLICIES_DIR))
    from streaming_policies import registry

    seen = []
    for module in registry.SERVICE_MODULES:
        short = module.__name__.rsplit(".", 1)[-1]
        assert module.RULES, f"{short} has no rules"
        for rule in module.RULES:
            seen.append(rule.name)
            assert f"pillar:{rule.pillar}" in rule.policy_tags()
            services = {t.split(":")[1].split("/")[0] for t in rule.types}
            if short not in CROSS_SERVICE and rule.name not in CROSS_SERVICE_RULES:
                assert services <= SERVICE_OF_MODULE[short], (rule.name, services)
            else:
                assert len(services) > 1, rule.name
    assert sorted(seen) == sorted(PILLARS + SECURITY + HARDENING)
    # The aws-api pillar judges AWS's API contracts across every service, in its own group after the services.
    aws_api = [r.name for module in registry.AWS_API_MODULES for r in module.RULES]
    assert sorted(aws_api) == sorted(AWS_API)
    assert all(r.pillar == "aws-api" for module in registry.AWS_API_MODULES for r in module.RULES)
    assert [r.name for r in registry.all_rules()] == seen + aws_api


@pytest.mark.parametrize("stack,azs", [("dev", 2), ("prod", 3)])
def test_min_azs_applies_to_every_multi_az_rule(stack: str, azs: int) -> None:
    """prod's three AZs bind every rule that takes minAzs, not only the subnet tiers."""
    from streaming_policies.registry import all_rules

    from offline.policy_driver import load_policy_config

    cfg = load_policy_config(stack)
    takes = sorted(r.name for r in all_rules() if any(o.name == "minAzs" for o in r.options))
    assert takes == sorted(
        [
            "subnet-tiers-span-azs",
            "load-balancer-multi-az",
            "autoscaling-group-multi-az",
            "ecs-service-multi-az",
            "lambda-vpc-multi-az",
            "data-subnet-groups-multi-az",
            "elasticache-multi-az",
            "rds-read-replicas-span-azs",
            "rds-cluster-multi-az",
        ]
    )
    assert {name: cfg[name]["minAzs"] for name in takes} == dict.fromkeys(takes, azs)
