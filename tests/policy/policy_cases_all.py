"""The non-compliant fixtures of every policy: the compliant reference platform with exactly one defect each
(this module's own, then EXTRA_CASES and JOB_CASES), for test_policies.py."""

from __future__ import annotations

from collections.abc import Callable

from .builder import StackBuilder
from .platform import web_acl_rules
from .policy_cases import EXTRA_CASES, Case
from .policy_cases_job import JOB_CASES


def _drop_key(path: tuple[str, ...]) -> Callable[[dict], None]:
    def fn(inputs: dict) -> None:
        cur = inputs
        for k in path[:-1]:
            cur = cur[k]
        cur.pop(path[-1], None)

    return fn


def _set_in(path: tuple, value: object) -> Callable[[dict], None]:
    def fn(inputs: dict) -> None:
        cur = inputs
        for k in path[:-1]:
            cur = cur[k]
        cur[path[-1]] = value

    return fn


def _single_nat(b: StackBuilder) -> None:
    # Every private route table points at NAT a (the dev cost-saving layout).
    for s in ("b", "c"):
        b.set(f"app-{s}-default", natGatewayId=b.ref(b["nat-a"]))


CASES = [
    # --- multi-AZ ---------------------------------------------------------------------------
    Case(
        "subnet-tiers-span-azs",
        "tier-in-2-azs",
        lambda b: b.set("data-c", availabilityZone="us-west-2a"),
        "tier 'data' spans 2",
        also=frozenset({"data-subnet-groups-multi-az"}),  # the groups are built from the tier: minAzs=3 in prod
    ),
    Case("subnet-tiers-span-azs", "untagged", lambda b: b.set("app-a", tags={"Name": "x"}), "no Tier tag"),
    Case(
        "load-balancer-multi-az",
        "one-az",
        lambda b: b.set("alb", subnets=[b.ref(b["public-a"])]),
        "spans 1 AZ(s) (us-west-2a)",
    ),
    Case(
        "autoscaling-group-multi-az",
        "one-az",
        lambda b: b.set("web-asg", vpcZoneIdentifiers=[b.ref(b["app-a"])]),
        "spans 1 AZ",
    ),
    Case(
        "autoscaling-group-multi-az",
        "floor-of-one",
        lambda b: b.set("web-asg", minSize=1),
        "minSize is 1; at least 3 (one per AZ) required",
    ),
    Case(
        "ecs-service-multi-az",
        "one-task",
        lambda b: b.set("api-svc", desiredCount=1),
        "desiredCount is 1; at least 3",
    ),
    Case(
        "ecs-service-multi-az",
        "one-az",
        lambda b: b.set("api-svc", networkConfiguration={"subnets": [b.ref(b["app-b"])]}),
        "spans 1 AZ",
    ),
    Case(
        "lambda-vpc-multi-az",
        "one-az",
        lambda b: b.patch("transcoder", _set_in(("vpcConfig", "subnetIds"), [b.ref(b["app-c"])])),
        "spans 1 AZ",
    ),
    Case(
        "data-subnet-groups-multi-az",
        "one-az",
        lambda b: b.set("db-subnets", subnetIds=[b.ref(b["data-a"])]),
        "subnet group spans 1 AZ",
    ),
    Case(
        "rds-storage-encrypted",
        "aws-managed-key",
        lambda b: b.set("catalog-db", kmsKeyId="arn:aws:kms:us-west-2:123456789012:alias/aws/rds"),
        "is the AWS-managed key arn:aws:kms:us-west-2:123456789012:alias/aws/rds",
    ),
    Case(
        "sqs-queue-encrypted",
        "aws-managed-key",
        lambda b: b.set("transcode-jobs", kmsMasterKeyId="alias/aws/sqs"),
        "kmsMasterKeyId is the AWS-managed key alias/aws/sqs",
    ),
    Case("rds-multi-az", "single-az", lambda b: b.set("catalog-db", multiAz=False), "multiAz is not true"),
    Case(
        "elasticache-multi-az",
        "one-node",
        lambda b: b.set("sessions", numCacheClusters=1, multiAzEnabled=False),
        "numCacheClusters is 1",
    ),
    Case("private-subnet-nat-same-az", "shared-nat", _single_nat, "uses NAT gateway nat-a in us-west-2a"),
    Case(
        "private-subnet-nat-same-az",
        "igw-default-route",
        lambda b: b.set("app-b-default", natGatewayId=None, gatewayId=b.ref(b["igw"])),
        "does not go through a NAT gateway",
    ),
    # --- WAF --------------------------------------------------------------------------------
    Case("cloudfront-waf-attached", "no-acl", lambda b: b.set("cdn", webAclId=None), "no webAclId"),
    Case(
        "cloudfront-waf-attached",
        "regional-acl",
        lambda b: b.set("cdn", webAclId=b.ref(b["regional-acl"], "arn")),
        "scope is 'REGIONAL'",
    ),
    Case(
        "waf-web-acl-baseline-rules",
        "common-in-count-mode",
        lambda b: b.set(
            "regional-acl",
            rules=[{**r, "overrideAction": {"count": {}}} if r["name"] == "common" else r for r in web_acl_rules("r")],
        ),
        "AWSManagedRulesCommonRuleSet is in count mode",
    ),
    Case(
        "waf-web-acl-baseline-rules",
        "huge-rate-limit",
        lambda b: b.patch(
            "regional-acl", _set_in(("rules", 1, "statement", "rateBasedStatement", "limit"), 2_000_000_000)
        ),
        "limit 2000000000 > maxRateLimit 10000",
    ),
    Case(
        "waf-web-acl-baseline-rules",
        "allow-all-first",
        lambda b: b.set(
            "regional-acl",
            rules=[
                {
                    "name": "allow-everything",
                    "priority": 0,
                    "action": {"allow": {}},
                    "statement": {"notStatement": {"statement": {"byteMatchStatement": {"searchString": "x"}}}},
                    "visibilityConfig": {"cloudwatchMetricsEnabled": True, "metricName": "a"},
                },
                *web_acl_rules("r"),
            ],
        ),
        "allows requests at priority 0",
    ),
    Case(
        "waf-web-acl-baseline-rules",
        "scoped-down",
        lambda b: b.patch(
            "regional-acl",
            _set_in(
                ("rules", 0, "statement", "managedRuleGroupStatement", "scopeDownStatement"),
                {"byteMatchStatement": {"searchString": "never-sent", "fieldToMatch": {"singleHeader": {"name": "x"}}}},
            ),
        ),
        "has a scopeDownStatement",
    ),
    Case(
        "waf-logging-enabled",
        "filter-drops-all",
        lambda b: b.set("regional-acl-logging", loggingFilter={"defaultBehavior": "DROP", "filters": []}),
        "loggingFilter drops every record",
    ),
    Case("alb-waf-attached", "no-association", lambda b: b.remove("alb-waf"), "no WebAclAssociation"),
    Case(
        "alb-waf-attached",
        "cloudfront-acl",
        lambda b: b.set("alb-waf", webAclArn=b.ref(b["edge-acl"], "arn")),
        "scope is not REGIONAL",
    ),
    Case("apigateway-stage-waf-attached", "no-association", lambda b: b.remove("api-waf"), "no WebAclAssociation"),
    Case(
        "waf-web-acl-baseline-rules",
        "no-rate-rule",
        lambda b: b.patch("regional-acl", lambda i: i["rules"].pop()),
        "no enforced rate-based rule",
    ),
    Case(
        "waf-web-acl-baseline-rules",
        "no-common-set",
        lambda b: b.patch("edge-acl", lambda i: i["rules"].pop(0)),
        "AWSManagedRulesCommonRuleSet",
    ),
    Case("waf-web-acl-baseline-rules", "no-rules", lambda b: b.set("edge-acl", rules=[]), "has no rules"),
    Case(
        "waf-web-acl-metrics",
        "rule-metrics-off",
        lambda b: b.patch("edge-acl", _set_in(("rules", 0, "visibilityConfig", "cloudwatchMetricsEnabled"), False)),
        "rule 'common' has CloudWatch metrics disabled",
    ),
    Case(
        "waf-web-acl-metrics",
        "acl-metrics-off",
        lambda b: b.patch("regional-acl", _set_in(("visibilityConfig", "cloudwatchMetricsEnabled"), False)),
        "on the web ACL",
    ),
    Case("waf-logging-enabled", "no-logging", lambda b: b.remove("edge-acl-logging"), "no WebAclLoggingConfiguration"),
    # --- encryption -------------------------------------------------------------------------
    Case("s3-bucket-sse-kms", "no-config", lambda b: b.remove("uploads-sse"), "no BucketServerSideEncryption"),
    Case(
        "s3-bucket-sse-kms",
        "aes256-without-exception",
        lambda b: b.set("uploads-sse", rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]),
        "sseAlgorithm is 'AES256'",
    ),
    Case(
        "s3-bucket-sse-kms",
        "no-bucket-key",
        lambda b: b.patch("renditions-sse", _set_in(("rules", 0, "bucketKeyEnabled"), False)),
        "bucketKeyEnabled is not true",
    ),
    Case(
        "s3-bucket-public-access-block",
        "missing",
        lambda b: b.remove("access-logs-pab"),
        "no BucketPublicAccessBlock",
    ),
    Case(
        "s3-bucket-public-access-block",
        "partial",
        lambda b: b.set("uploads-pab", restrictPublicBuckets=False),
        "restrictPublicBuckets",
    ),
    Case("s3-bucket-tls-only", "no-policy", lambda b: b.remove("uploads-policy"), "no BucketPolicy"),
    Case(
        "dynamodb-cmk-encryption",
        "aws-owned",
        lambda b: b.set("views", serverSideEncryption=None),
        "AWS owned key",
    ),
    Case(
        "dynamodb-cmk-encryption",
        "aws-managed",
        lambda b: b.set("views", serverSideEncryption={"enabled": True}),
        "kmsKeyArn is not set",
        also_update=frozenset({"kms-key-of-this-stack"}),
    ),
    Case("rds-storage-encrypted", "unencrypted", lambda b: b.set("catalog-db", storageEncrypted=False), "not true"),
    Case(
        "rds-storage-encrypted",
        "no-cmk",
        lambda b: b.set("catalog-db", kmsKeyId=None),
        "kmsKeyId is not set",
        also_update=frozenset({"kms-key-of-this-stack"}),
    ),
    Case(
        "rds-force-ssl",
        "param-missing",
        lambda b: b.set("pg16", parameters=[{"name": "log_connections", "value": "1"}]),
        "does not set rds.force_ssl=1",
    ),
    Case(
        "rds-force-ssl",
        "default-group",
        lambda b: b.set("catalog-db", parameterGroupName="default.postgres16"),
        "not managed in this stack",
    ),
    Case(
        "elasticache-encrypted",
        "no-tls",
        lambda b: b.set("sessions", transitEncryptionEnabled=False),
        "transitEncryptionEnabled is not true",
    ),
    Case("sqs-queue-encrypted", "plain", lambda b: b.set("transcode-dlq", kmsMasterKeyId=None), "neither"),
    Case("sns-topic-encrypted", "plain", lambda b: b.set("alarms", kmsMasterKeyId=None), "kmsMasterKeyId is not set"),
    Case("log-group-kms", "plain", lambda b: b.set("app-logs", kmsKeyId=None), "kmsKeyId is not set"),
    Case("lambda-env-kms", "plain", lambda b: b.set("transcoder", kmsKeyArn=None), "kmsKeyArn is not set"),
    Case(
        "launch-template-ebs-encrypted",
        "string-false",
        lambda b: b.patch("web-lt", _set_in(("blockDeviceMappings", 0, "ebs", "encrypted"), "false")),
        "ebs.encrypted='false'",
    ),
    Case(
        "launch-template-ebs-encrypted",
        "no-mappings",
        lambda b: b.set("web-lt", blockDeviceMappings=None),
        "no blockDeviceMappings",
    ),
    Case("kms-key-rotation", "off", lambda b: b.set("data-key", enableKeyRotation=False), "enableKeyRotation"),
    Case(
        "cloudfront-viewer-https",
        "allow-all",
        lambda b: b.patch("cdn", _set_in(("orderedCacheBehaviors", 0, "viewerProtocolPolicy"), "allow-all")),
        "cache behavior /videos/* has viewerProtocolPolicy='allow-all'",
    ),
    Case(
        "cloudfront-tls-policy",
        "old-tls",
        lambda b: b.patch("cdn", _set_in(("viewerCertificate", "minimumProtocolVersion"), "TLSv1.1_2016")),
        "TLSv1.1_2016",
    ),
    Case(
        "cloudfront-tls-policy",
        "default-cert",
        lambda b: b.set("cdn", viewerCertificate={"cloudfrontDefaultCertificate": True}),
        "default certificate",
    ),
    Case(
        "cloudfront-origin-https",
        "http-origin",
        lambda b: b.patch("cdn", _set_in(("origins", 0, "customOriginConfig", "originProtocolPolicy"), "http-only")),
        "originProtocolPolicy='http-only'",
    ),
    Case(
        "cloudfront-origin-https",
        "tls1",
        lambda b: b.patch("cdn", _set_in(("origins", 0, "customOriginConfig", "originSslProtocols"), ["TLSv1"])),
        "deprecated protocols TLSv1",
    ),
    Case(
        "alb-http-redirects-to-https",
        "forward",
        lambda b: b.set("http", defaultActions=[{"type": "forward", "targetGroupArn": b.ref(b["web-tg"], "arn")}]),
        "default action is 'forward'",
    ),
    Case(
        "alb-https-tls-policy",
        "old-policy",
        lambda b: b.set("https", sslPolicy="ELBSecurityPolicy-2016-08"),
        "sslPolicy is ELBSecurityPolicy-2016-08",
    ),
    Case("alb-https-tls-policy", "unset", lambda b: b.set("https", sslPolicy=None), "unset"),
    # --- data safety ------------------------------------------------------------------------
    Case("rds-deletion-protection", "off", lambda b: b.set("catalog-db", deletionProtection=False), "not true"),
    Case("rds-backup-retention", "short", lambda b: b.set("catalog-db", backupRetentionPeriod=1), "is 1; at least 7"),
    Case("dynamodb-pitr", "off", lambda b: b.set("views", pointInTimeRecovery=None), "pointInTimeRecovery"),
    Case(
        "dynamodb-deletion-protection",
        "off",
        lambda b: b.set("views", deletionProtectionEnabled=False),
        "deletionProtectionEnabled",
    ),
    Case(
        "video-buckets-versioned",
        "suspended",
        lambda b: b.set("uploads-versioning", versioningConfiguration={"status": "Suspended"}),
        "versioning is not Enabled: uploads-versioning is Suspended",
    ),
    Case("video-buckets-versioned", "missing", lambda b: b.remove("renditions-versioning"), "no BucketVersioning"),
    Case(
        "video-buckets-versioned",
        "untagged-log-bucket",
        lambda b: (b.set("access-logs", tags={"LogDelivery": "sse-s3"}), b.remove("access-logs-versioning")),
        "no BucketVersioning",
    ),
    # --- hardening ------------------------------------------------------------------------
    Case(
        "security-group-no-open-ingress",
        "ssh-from-world",
        lambda b: b.set("alb-https-in", fromPort=22, toPort=22),
        "opens tcp 22-22 to the internet",
    ),
    Case(
        "security-group-no-open-ingress",
        "all-ports-ipv6",
        lambda b: b.set("alb-https-in", ipProtocol="-1", cidrIpv4=None, cidrIpv6="::/0"),
        "opens all protocols and ports",
    ),
    Case(
        "security-group-no-open-ingress",
        "inline-postgres",
        lambda b: b.set(
            "alb-sg", ingress=[{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["0.0.0.0/0"]}]
        ),
        "alb-sg.ingress[0] opens tcp 5432-5432",
    ),
    Case(
        "default-security-group-closed",
        "reopened",
        lambda b: b.set("default-sg", ingress=[{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]),
        "has ingress rules",
    ),
    Case("stateful-resources-protected", "rds", lambda b: b.protect("catalog-db", False), "not protected"),
    Case("stateful-resources-protected", "bucket", lambda b: b.protect("uploads", False), "not protected"),
    Case("no-public-datastores", "public-rds", lambda b: b.set("catalog-db", publiclyAccessible=True), "publicly"),
    Case(
        "no-public-datastores",
        "cache-in-public-subnets",
        lambda b: b.set("cache-subnets", subnetIds=[b.ref(b["public-a"]), b.ref(b["public-b"]), b.ref(b["public-c"])]),
        "contains public subnets: public-a, public-b",
    ),
    Case(
        "launch-template-imdsv2",
        "optional",
        lambda b: b.patch("web-lt", _set_in(("metadataOptions", "httpTokens"), "optional")),
        "httpTokens is optional",
    ),
]


CASES += EXTRA_CASES
CASES += JOB_CASES
