"""Mutation test, continued: the pack judges the job, not one resource type.

Each case takes the synthesized prod stack, makes one realistic change (another resource type doing a job
the stack already does, a setting that satisfies the letter of a rule but not its intent, or an unknown
value beside a definite defect) and requires a MANDATORY violation of the named policy in preview (ids
unknown, as on a new stack) and in update mode, as test_prod_mutations.py does.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from offline.engine import UNKNOWN, Recording, ResourceRecord

from .mutations import (
    Mutation,
    named,
    prod,
    run,
    squeeze_into_one_az,
    typed,
    waf_rules,
    with_inputs,
    with_recording,
)

ASG = "aws:autoscaling/group:Group"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
TABLE = "aws:dynamodb/table:Table"
# The inputs a multi-tenant distribution shares with a standard one (pulumi-aws cloudfront.MultitenantDistribution).
TENANT_INPUTS = ("defaultCacheBehavior", "origins", "viewerCertificate", "enabled", "restrictions")
SSE_CONFIG = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def add_beside(
    rec: Recording, like: tuple[str, str], type_: str, name: str, inputs: dict[str, Any], **deps: tuple[str, str]
) -> list[ResourceRecord]:
    """The stack plus one ``type_`` resource parented like the ``like`` (type, name) resource; each ``deps``
    entry (input -> (type, name) of a resource) makes that input an output of it: unknown in preview, its id on
    update, and a property dependency either way."""
    (base,) = [r for r in rec.resources if typed(*like)(r)]
    prefix, _, _ = base.urn.rpartition("::")
    parents = prefix.rsplit("::", 1)[0] + "::" + prefix.rsplit("::", 1)[1].rsplit("$", 1)[0]
    prop_deps: dict[str, tuple[str, ...]] = {}
    values = dict(inputs)
    for prop, source in deps.items():
        (src,) = [r for r in rec.resources if typed(*source)(r)]
        prop_deps[prop] = (src.urn,)
        values[prop] = UNKNOWN if rec.preview else src.id
    extra = replace(
        base,
        type=type_,
        name=name,
        urn=f"{parents}${type_}::{name}",
        inputs=values,
        dependencies=tuple(u for urns in prop_deps.values() for u in urns),
        property_dependencies=prop_deps,
        id=None if rec.preview else f"{name}-id",
    )
    return [*rec.resources, extra]


def every_rule_counts(rule: dict[str, Any]) -> dict[str, Any]:
    if "overrideAction" in rule:
        rule["overrideAction"] = {"count": {}}
    else:
        rule["action"] = {"count": {}}
    return rule


def scoped_to_a_header_never_sent(rule: dict[str, Any]) -> dict[str, Any]:
    if rule["name"] == "AWSManagedRulesCommonRuleSet":
        mg = rule["statement"]["managedRuleGroupStatement"]
        rule["statement"] = {
            "managedRuleGroupStatement": {
                **mg,
                "scopeDownStatement": {
                    "byteMatchStatement": {
                        "fieldToMatch": {"singleHeader": {"name": "x-never-sent"}},
                        "positionalConstraint": "EXACTLY",
                        "searchString": "1",
                        "textTransformations": [{"priority": 0, "type": "NONE"}],
                    }
                },
            }
        }
    return rule


ALLOW_ALL = {
    "name": "allow-everything",
    "priority": 0.0,
    "action": {"allow": {}},
    # Every request's URI path starts with "/".
    "statement": {
        "byteMatchStatement": {
            "fieldToMatch": {"uriPath": {}},
            "positionalConstraint": "STARTS_WITH",
            "searchString": "/",
            "textTransformations": [{"priority": 0, "type": "NONE"}],
        }
    },
    "visibilityConfig": {"cloudwatchMetricsEnabled": True, "metricName": "allow", "sampledRequestsEnabled": True},
}


def uploads_tls_deny(**changes: Any) -> Mutation:
    """The uploads bucket's DenyInsecureTransport statement with ``changes``; in preview its JSON (unknown: it
    embeds the bucket ARN) is written out as a literal, the way update mode knows it."""

    def mutate(rec: Recording) -> list[ResourceRecord]:
        policy = json.loads(prod(False).named("bucket-policies-uploads").inputs["policy"])
        (deny,) = [s for s in policy["Statement"] if s.get("Sid") == "DenyInsecureTransport"]
        bucket = deny["Resource"][0]
        deny.update({k: v.replace("BUCKET", bucket) if isinstance(v, str) else v for k, v in changes.items()})
        if "Resource" in changes:
            deny["Resource"] = [r.replace("BUCKET", bucket) for r in changes["Resource"]]
        return with_inputs(rec, named("bucket-policies-uploads"), policy=json.dumps(policy))

    return mutate


def uploads_sse(rule: dict[str, Any]) -> Mutation:
    return lambda rec: with_inputs(
        rec, lambda r: r.name == "data-uploads" and r.type == SSE_CONFIG, rules=[{"bucketKeyEnabled": True, **rule}]
    )


def override_from_another_template(rec: Recording) -> list[ResourceRecord]:
    """One instance-type override of the fleet launches a launch template id typed in from elsewhere."""
    mip = rec.named("app-fleet").inputs["mixedInstancesPolicy"]
    lt = mip["launchTemplate"]
    first = {**lt["overrides"][0], "launchTemplateSpecification": {"launchTemplateId": "lt-0a1b2c3d4e5f67890"}}
    changed = {**mip, "launchTemplate": {**lt, "overrides": [first, *lt["overrides"][1:]]}}
    return with_inputs(rec, typed(ASG, "app-fleet"), mixedInstancesPolicy=changed)


def root_mapping_moved_to(device: str) -> Mutation:
    def mutate(rec: Recording) -> list[ResourceRecord]:
        (mapping,) = rec.named("app-fleet-lt").inputs["blockDeviceMappings"]
        return with_inputs(
            rec, typed(LAUNCH_TEMPLATE, "app-fleet-lt"), blockDeviceMappings=[{**mapping, "deviceName": device}]
        )

    return mutate


def instance(**inputs: Any) -> Mutation:
    """A bastion EC2 instance beside the fleet (IMDSv2 and an encrypted root volume unless ``inputs`` say not)."""
    base = {
        "ami": "ami-0123456789abcdef0",
        "instanceType": "t3.micro",
        "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1.0},
        "rootBlockDevice": {"encrypted": True},
        "associatePublicIpAddress": False,
    }
    return lambda rec: add_beside(
        rec, (LAUNCH_TEMPLATE, "app-fleet-lt"), "aws:ec2/instance:Instance", "app-bastion", {**base, **inputs}
    )


def table_replica(**inputs: Any) -> Mutation:
    """A TableReplica of the videos table in the DR Region (its own key, PITR and deletion protection unless
    ``inputs`` say not)."""
    base = {"region": "us-east-2", "pointInTimeRecovery": True, "deletionProtectionEnabled": True}
    keys = {"kmsKeyArn": ("aws:kms/key:Key", "app-compute-key")} if "kmsKeyArn" not in inputs else {}
    values = {k: v for k, v in {**base, **inputs}.items() if v is not None}
    return lambda rec: add_beside(
        rec,
        (TABLE, "data-videos"),
        "aws:dynamodb/tableReplica:TableReplica",
        "data-videos-dr",
        values,
        globalTableArn=(TABLE, "data-videos"),
        **keys,
    )


def aurora(**inputs: Any) -> Mutation:
    base = {
        "engine": "aurora-postgresql",
        "storageEncrypted": True,
        "deletionProtection": True,
        "backupRetentionPeriod": 7.0,
        "dbSubnetGroupName": "data-postgres-subnets",
    }
    values = {k: v for k, v in {**base, **inputs}.items() if v is not None}
    return lambda rec: add_beside(
        rec, ("aws:rds/instance:Instance", "data-postgres"), "aws:rds/cluster:Cluster", "data-aurora", values
    )


def aurora_with_members(*azs: str) -> Mutation:
    """A compliant-but-for-AZs Aurora cluster (see ``aurora``) with one cluster instance per AZ given."""

    def mutate(rec: Recording) -> list[ResourceRecord]:
        out = with_recording(rec, aurora(dbClusterParameterGroupName="data-aurora-params")(rec))
        for i, az in enumerate(azs):
            member = {"instanceClass": "db.r7g.large", "engine": "aurora-postgresql", "availabilityZone": az}
            out = with_recording(
                out,
                add_beside(
                    out,
                    ("aws:rds/cluster:Cluster", "data-aurora"),
                    "aws:rds/clusterInstance:ClusterInstance",
                    f"data-aurora-{i}",
                    member,
                    clusterIdentifier=("aws:rds/cluster:Cluster", "data-aurora"),
                ),
            )
        return out.resources

    return mutate


MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "an Aurora cluster whose writer is its only instance": (
        aurora_with_members("us-west-2a"),
        "rds-cluster-multi-az",
    ),
    "an Aurora cluster's instances in two of prod's three AZs": (
        aurora_with_members("us-west-2a", "us-west-2b", "us-west-2b"),
        "rds-cluster-multi-az",
    ),
    # --- another resource type doing the same job ---------------------------------------------------
    "an Aurora cluster with storage unencrypted": (aurora(storageEncrypted=False), "rds-storage-encrypted"),
    "an Aurora cluster on the AWS-managed key alias/aws/rds": (
        aurora(kmsKeyId="alias/aws/rds"),
        "rds-storage-encrypted",
    ),
    "an Aurora cluster on the default cluster parameter group (TLS not forced)": (aurora(), "rds-force-ssl"),
    "an Aurora cluster unprotected": (
        lambda rec: [replace(r, protect=False) if r.name == "data-aurora" else r for r in aurora()(rec)],
        "stateful-resources-protected",
    ),
    "a DynamoDB TableReplica unprotected": (
        lambda rec: [replace(r, protect=False) if r.name == "data-videos-dr" else r for r in table_replica()(rec)],
        "stateful-resources-protected",
    ),
    "a Lambda function URL with authorizationType NONE": (
        lambda rec: add_beside(
            rec,
            ("aws:lambda/function:Function", "media-transcoder"),
            "aws:lambda/functionUrl:FunctionUrl",
            "media-transcoder-url",
            {"authorizationType": "NONE"},
            functionName=("aws:lambda/function:Function", "media-transcoder"),
        ),
        "no-entry-points-without-waf",
    ),
    "a multi-tenant distribution without a web ACL": (
        lambda rec: add_beside(
            rec,
            ("aws:cloudfront/distribution:Distribution", "edge-cdn"),
            "aws:cloudfront/multitenantDistribution:MultitenantDistribution",
            "edge-tenants",
            {k: v for k, v in rec.named("edge-cdn").inputs.items() if k in TENANT_INPUTS},
        ),
        "cloudfront-waf-attached",
    ),
    "an unencrypted EBS volume": (
        lambda rec: add_beside(
            rec,
            (LAUNCH_TEMPLATE, "app-fleet-lt"),
            "aws:ebs/volume:Volume",
            "app-scratch",
            {"availabilityZone": "us-west-2a", "size": 100.0, "encrypted": False},
        ),
        "launch-template-ebs-encrypted",
    ),
    "an EC2 instance on IMDSv1": (
        instance(metadataOptions={"httpTokens": "optional", "httpPutResponseHopLimit": 1.0}),
        "launch-template-imdsv2",
    ),
    "an EC2 instance with an unencrypted root volume": (
        instance(rootBlockDevice={"encrypted": False, "volumeSize": 20.0}),
        "launch-template-ebs-encrypted",
    ),
    "an EC2 instance with a public IP": (instance(associatePublicIpAddress=True), "ec2-no-public-ip"),
    "the fleet's launch template asking for public IPs": (
        lambda rec: with_inputs(
            rec,
            typed(LAUNCH_TEMPLATE, "app-fleet-lt"),
            networkInterfaces=[
                {**eni, "associatePublicIpAddress": "true"}
                for eni in rec.named("app-fleet-lt").inputs["networkInterfaces"]
            ],
        ),
        "ec2-no-public-ip",
    ),
    "a multi-tenant distribution serving plain HTTP": (
        lambda rec: add_beside(
            rec,
            ("aws:cloudfront/distribution:Distribution", "edge-cdn"),
            "aws:cloudfront/multitenantDistribution:MultitenantDistribution",
            "edge-tenants",
            {
                **{k: v for k, v in rec.named("edge-cdn").inputs.items() if k in TENANT_INPUTS},
                "defaultCacheBehavior": {
                    **rec.named("edge-cdn").inputs["defaultCacheBehavior"],
                    "viewerProtocolPolicy": "allow-all",
                },
            },
        ),
        "cloudfront-viewer-https",
    ),
    "a DynamoDB TableReplica on the AWS-managed key": (table_replica(kmsKeyArn=None), "dynamodb-cmk-encryption"),
    "a DynamoDB TableReplica without PITR": (table_replica(pointInTimeRecovery=False), "dynamodb-pitr"),
    "a global-table replicas block without its key": (
        lambda rec: with_inputs(
            rec, typed(TABLE, "data-videos"), replicas=[{"regionName": "us-east-2", "pointInTimeRecovery": True}]
        ),
        "dynamodb-cmk-encryption",
    ),
    "an ec2/securityGroupRule opening SSH to 0.0.0.0/0": (
        lambda rec: add_beside(
            rec,
            ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "app-alb-to-frontend-in"),
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            "app-frontend-ssh",
            {"type": "ingress", "protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["0.0.0.0/0"]},
            securityGroupId=("aws:ec2/securityGroup:SecurityGroup", "app-frontend-sg"),
        ),
        "security-group-no-open-ingress",
    ),
    "the session secret on aws/secretsmanager (no kmsKeyId)": (
        lambda rec: with_inputs(rec, typed("aws:secretsmanager/secret:Secret", "app-session-key"), kmsKeyId=None),
        "secrets-cmk-encrypted",
    ),
    "the session secret on alias/aws/secretsmanager": (
        lambda rec: with_inputs(
            rec, typed("aws:secretsmanager/secret:Secret", "app-session-key"), kmsKeyId="alias/aws/secretsmanager"
        ),
        "secrets-cmk-encrypted",
    ),
    # --- the letter satisfied, not the intent ---------------------------------------------------------
    "every edge WAF rule in count mode": (
        lambda rec: waf_rules(rec, "edge-waf", every_rule_counts),
        "waf-web-acl-baseline-rules",
    ),
    "an allow-all rule at priority 0": (
        lambda rec: with_inputs(rec, named("app-waf"), rules=[ALLOW_ALL, *rec.named("app-waf").inputs["rules"]]),
        "waf-web-acl-baseline-rules",
    ),
    "an allow-all rule after the managed groups, before the rate limit": (
        lambda rec: with_inputs(
            rec,
            named("app-waf"),
            rules=[
                *(r for r in rec.named("app-waf").inputs["rules"] if "rateBasedStatement" not in r["statement"]),
                {**ALLOW_ALL, "priority": 3.0},
                *(
                    {**r, "priority": 4.0}
                    for r in rec.named("app-waf").inputs["rules"]
                    if "rateBasedStatement" in r["statement"]
                ),
            ],
        ),
        "waf-web-acl-baseline-rules",
    ),
    "the common rule set scoped down to a header never sent": (
        lambda rec: waf_rules(rec, "app-api-acl", scoped_to_a_header_never_sent),
        "waf-web-acl-baseline-rules",
    ),
    "a WAF logging filter that drops every record": (
        lambda rec: with_inputs(
            rec, named("edge-waf-logging"), loggingFilter={"defaultBehavior": "DROP", "filters": []}
        ),
        "waf-logging-enabled",
    ),
    "uploads bucket on SSE-KMS with the AWS-managed key aws/s3": (
        uploads_sse(
            {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "alias/aws/s3"}}
        ),
        "s3-bucket-sse-kms",
    ),
    "uploads bucket on SSE-KMS without a key (S3 uses aws/s3)": (
        uploads_sse({"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}),
        "s3-bucket-sse-kms",
    ),
    "TLS-only deny narrowed to one action": (uploads_tls_deny(Action="s3:GetObject"), "s3-bucket-tls-only"),
    "TLS-only deny narrowed to one principal": (
        uploads_tls_deny(Principal={"AWS": "arn:aws:iam::111122223333:root"}),
        "s3-bucket-tls-only",
    ),
    "TLS-only deny narrowed to one prefix": (
        uploads_tls_deny(Resource=["BUCKET", "BUCKET/incoming/*"]),
        "s3-bucket-tls-only",
    ),
    "the EBS mapping moved off the root device": (root_mapping_moved_to("/dev/sdb"), "launch-template-ebs-encrypted"),
    "an ASG override launching a launch template outside the stack": (
        override_from_another_template,
        "autoscaling-launch-template-of-this-stack",
    ),
    "DynamoDB with no SSE block": (
        lambda rec: with_inputs(rec, typed(TABLE, "data-videos"), serverSideEncryption=None),
        "dynamodb-cmk-encryption",
    ),
    # --- robustness: an unknown value beside a definite defect ----------------------------------------
    "ASG squeezed into one AZ beside an unknown availabilityZones": (
        lambda rec: with_inputs(
            with_recording(rec, squeeze_into_one_az(ASG, "app-fleet", "vpcZoneIdentifiers")(rec)),
            typed(ASG, "app-fleet"),
            availabilityZones=UNKNOWN,
        ),
        "autoscaling-group-multi-az",
    ),
    "an unknown WAF rule beside the common rule set in count mode": (
        lambda rec: with_inputs(
            rec,
            named("app-waf"),
            rules=[
                UNKNOWN,
                *(
                    {**r, "overrideAction": {"count": {}}} if r["name"] == "AWSManagedRulesCommonRuleSet" else r
                    for r in rec.named("app-waf").inputs["rules"]
                ),
            ],
        ),
        "waf-web-acl-baseline-rules",
    ),
}


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_another_way_to_do_the_job_is_a_mandatory_violation(mutation, preview):
    mutate, policy = MUTATIONS[mutation]
    rec = prod(preview)
    report = run(rec, mutate(rec))
    assert policy in {d.policy for d in report.mandatory}, report.render()
