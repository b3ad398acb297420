"""Mutation test: take the synthesized prod stack, turn off one safeguard at a time, and the pack must say no.

Every mutation is checked in preview mode (ids unknown, as on a new stack) and in update mode,
and must produce a MANDATORY violation of the named policy, never only the advisory
"can't run during preview".
"""

from __future__ import annotations

import pytest

from .mutations import (
    METHOD,
    REDIS,
    Mutation,
    add_record,
    common_rule_set_counts,
    distribution_allows_plain_http,
    drop_alb_web_acl_association,
    drop_dependency,
    http_listener_rule_forwards,
    named,
    narrow_subnets_in_apply,
    prod,
    rate_limit_of_two_billion,
    repoint_distribution_web_acl,
    reroute_app_to_the_first_nat,
    run,
    squeeze_into_one_az,
    squeeze_into_two_azs,
    squeeze_transcoder_into_one_az,
    ssh_open_to_the_world,
    subnets_of,
    task_container,
    the_postgres_primary,
    typed,
    unknown_behavior_beside_plain_http,
    unprotect,
    uploads_bucket,
    waf_rules,
    waf_rules_as_resources,
    with_inputs,
    with_recording,
)

MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "app subnets squeezed into one AZ": (
        lambda rec: with_inputs(rec, subnets_of("app"), availabilityZone="us-west-2a"),
        "subnet-tiers-span-azs",
    ),
    "data subnets squeezed into one AZ": (
        lambda rec: with_inputs(rec, subnets_of("data"), availabilityZone="us-west-2b"),
        "subnet-tiers-span-azs",
    ),
    "every AZ routed through one NAT gateway": (reroute_app_to_the_first_nat, "private-subnet-nat-same-az"),
    "KMS key rotation off": (
        lambda rec: with_inputs(rec, lambda r: r.type == "aws:kms/key:Key", enableKeyRotation=False),
        "kms-key-rotation",
    ),
    "flow-log group without its KMS key": (
        lambda rec: with_inputs(rec, lambda r: r.type == "aws:cloudwatch/logGroup:LogGroup", kmsKeyId=None),
        "log-group-kms",
    ),
    "KMS keys unprotected": (unprotect("aws:kms/key:Key"), "stateful-resources-protected"),
    "transcoder Lambda squeezed into one AZ": (squeeze_transcoder_into_one_az, "lambda-vpc-multi-az"),
    "ALB squeezed into one AZ": (
        squeeze_into_one_az("aws:lb/loadBalancer:LoadBalancer", "app-alb", "subnets"),
        "load-balancer-multi-az",
    ),
    "ASG squeezed into one AZ": (
        squeeze_into_one_az("aws:autoscaling/group:Group", "app-fleet", "vpcZoneIdentifiers"),
        "autoscaling-group-multi-az",
    ),
    "ECS service squeezed into one AZ": (
        squeeze_into_one_az("aws:ecs/service:Service", "app-api", "networkConfiguration", "subnets"),
        "ecs-service-multi-az",
    ),
    "ALB web ACL association removed": (drop_alb_web_acl_association, "alb-waf-attached"),
    "distribution web ACL removed": (repoint_distribution_web_acl(None), "cloudfront-waf-attached"),
    "distribution webAclId points at the REGIONAL web ACL": (
        repoint_distribution_web_acl("app-waf"),
        "cloudfront-waf-attached",
    ),
    "distribution viewer protocol allow-all": (distribution_allows_plain_http, "cloudfront-viewer-https"),
    "upload queue without its KMS key": (
        lambda rec: with_inputs(
            rec, lambda r: r.name == "media-queue" and r.type == "aws:sqs/queue:Queue", kmsMasterKeyId=None
        ),
        "sqs-queue-encrypted",
    ),
    "RDS storage unencrypted": (
        lambda rec: with_inputs(rec, named("data-postgres"), storageEncrypted=False, kmsKeyId=None),
        "rds-storage-encrypted",
    ),
    "RDS primary single-AZ": (lambda rec: with_inputs(rec, named("data-postgres"), multiAz=False), "rds-multi-az"),
    "RDS TLS not forced": (
        lambda rec: with_inputs(
            rec, named("data-postgres-params"), parameters=[{"name": "rds.force_ssl", "value": "0"}]
        ),
        "rds-force-ssl",
    ),
    "RDS publicly accessible": (
        lambda rec: with_inputs(rec, named("data-postgres"), publiclyAccessible=True),
        "no-public-datastores",
    ),
    "RDS deletion protection off": (
        lambda rec: with_inputs(rec, named("data-postgres"), deletionProtection=False),
        "rds-deletion-protection",
    ),
    "Redis in-transit encryption off": (
        lambda rec: with_inputs(rec, named("data-redis"), transitEncryptionEnabled=False, transitEncryptionMode=None),
        "elasticache-encrypted",
    ),
    "Redis at-rest encryption off": (
        lambda rec: with_inputs(rec, named("data-redis"), atRestEncryptionEnabled=False, kmsKeyId=None),
        "elasticache-encrypted",
    ),
    "Redis without automatic failover": (
        lambda rec: with_inputs(rec, named("data-redis"), automaticFailoverEnabled=False, multiAzEnabled=False),
        "elasticache-multi-az",
    ),
    "DynamoDB on the AWS-owned key": (
        lambda rec: with_inputs(rec, named("data-videos"), serverSideEncryption={"enabled": False}),
        "dynamodb-cmk-encryption",
    ),
    "DynamoDB without PITR": (
        lambda rec: with_inputs(rec, named("data-sessions"), pointInTimeRecovery={"enabled": False}),
        "dynamodb-pitr",
    ),
    "uploads bucket on SSE-S3": (
        lambda rec: with_inputs(
            rec,
            lambda r: r.name == "data-uploads" and r.type.endswith("BucketServerSideEncryptionConfiguration"),
            rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
        ),
        "s3-bucket-sse-kms",
    ),
    # --- multi-AZ through capacity and minAzs ---------------------------------------------
    "ASG spread over three AZs with a minimum of one instance": (
        lambda rec: with_inputs(rec, named("app-fleet"), minSize=1.0, desiredCapacity=1.0),
        "autoscaling-group-multi-az",
    ),
    "ECS service spread over three AZs with one task": (
        lambda rec: with_inputs(rec, named("app-video"), desiredCount=1.0),
        "ecs-service-multi-az",
    ),
    "ALB on two of prod's three AZs": (
        squeeze_into_two_azs("aws:lb/loadBalancer:LoadBalancer", "app-alb", "subnets"),
        "load-balancer-multi-az",
    ),
    # --- the letter, not the intent ----------------------------------------------------------
    "REGIONAL common rule set in count mode": (
        lambda rec: waf_rules(rec, "app-waf", common_rule_set_counts),
        "waf-web-acl-baseline-rules",
    ),
    "edge rate limit of 2,000,000,000": (
        lambda rec: waf_rules(rec, "edge-waf", rate_limit_of_two_billion),
        "waf-web-acl-baseline-rules",
    ),
    "RDS on the AWS-managed key alias/aws/rds": (
        lambda rec: with_inputs(rec, named("data-postgres"), kmsKeyId="alias/aws/rds"),
        "rds-storage-encrypted",
    ),
    # --- hardening ---------------------------------------------------------------------------
    "SSH open to 0.0.0.0/0": (ssh_open_to_the_world, "security-group-no-open-ingress"),
    # --- rules that never applied to the real program ---------------------------------------
    "uploads bucket versioning suspended": (
        lambda rec: with_inputs(
            rec,
            lambda r: r.name == "data-uploads" and r.type.endswith("BucketVersioning"),
            versioningConfiguration={"status": "Suspended"},
        ),
        "video-buckets-versioned",
    ),
    "uploads bucket tagged LogDelivery=sse-s3 and switched to AES256": (
        lambda rec: with_inputs(
            with_recording(
                rec,
                with_inputs(
                    rec,
                    lambda r: r.name == "data-uploads" and r.type == "aws:s3/bucket:Bucket",
                    tags={**uploads_bucket(rec).inputs["tags"], "LogDelivery": "sse-s3"},
                ),
            ),
            lambda r: r.name == "data-uploads" and r.type.endswith("BucketServerSideEncryptionConfiguration"),
            rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
        ),
        "s3-bucket-sse-kms",
    ),
    # --- another resource type doing the same job ---------------------------------------------
    "REGIONAL WAF rules as WebAclRule resources, the common rule set in count mode": (
        lambda rec: waf_rules_as_resources(rec, "app-waf", common_rule_set_counts),
        "waf-web-acl-baseline-rules",
    ),
    "the API Gateway NLB made internet-facing": (
        lambda rec: with_inputs(rec, named("app-nlb"), internal=False),
        "alb-waf-attached",
    ),
    "a standalone ElastiCache cluster beside the replication group": (
        lambda rec: add_record(
            rec,
            "data-redis",
            "aws:elasticache/cluster:Cluster",
            "data-memcached",
            {
                "engine": "memcached",
                "nodeType": "cache.t4g.small",
                "numCacheNodes": 1.0,
                "transitEncryptionEnabled": True,
            },
        ),
        "elasticache-multi-az",
    ),
    "an HTTP API beside the REST API": (
        lambda rec: add_record(rec, "app-users", "aws:apigatewayv2/api:Api", "app-direct", {"protocolType": "HTTP"}),
        "no-entry-points-without-waf",
    ),
    # --- the letter, not the intent (more) -----------------------------------------------------
    "ALB WAF fail-open": (
        lambda rec: with_inputs(rec, named("app-alb"), enableWafFailOpen=True),
        "alb-waf-attached",
    ),
    "Redis transit encryption preferred": (
        lambda rec: with_inputs(rec, typed(REDIS, "data-redis"), transitEncryptionMode="preferred"),
        "elasticache-encrypted",
    ),
    "a listener rule forwarding on the HTTP listener": (http_listener_rule_forwards, "alb-http-redirects-to-https"),
    "a log group's key typed in as an ARN string": (
        lambda rec: drop_dependency(
            rec, "network-flow-logs", "kmsKeyId", kmsKeyId="arn:aws:kms:us-west-2:111122223333:key/typed-in"
        ),
        "kms-key-of-this-stack",
    ),
    # --- AnalyzeStack sees outputs: what the program left unset ----------------------------------
    "RDS primary without kmsKeyId (AWS fills in its managed key)": (
        lambda rec: with_inputs(rec, the_postgres_primary, kmsKeyId=None),
        "rds-storage-encrypted",
    ),
    "DynamoDB SSE without a key ARN": (
        lambda rec: with_inputs(rec, named("data-videos"), serverSideEncryption={"enabled": True}),
        "dynamodb-cmk-encryption",
    ),
    "ALB internal omitted and its web ACL association removed": (
        lambda rec: with_inputs(
            with_recording(rec, drop_alb_web_acl_association(rec)), named("app-alb"), internal=None
        ),
        "alb-waf-attached",
    ),
    # --- multi-AZ through capacity (more) --------------------------------------------------------
    "RDS primary without a subnet group": (
        lambda rec: with_inputs(rec, the_postgres_primary, dbSubnetGroupName=None),
        "rds-multi-az",
    ),
    "Redis nodes in two of three AZs": (
        lambda rec: with_inputs(
            rec, typed(REDIS, "data-redis"), preferredCacheClusterAzs=["us-west-2a", "us-west-2b", "us-west-2a"]
        ),
        "elasticache-multi-az",
    ),
    # --- values known in update mode contradicting the graph -------------------------------------
    "ECS subnets narrowed to one inside an apply (the graph still lists three)": (
        narrow_subnets_in_apply,
        "ecs-service-multi-az",
    ),
    # --- hardening (more) ------------------------------------------------------------------------
    "an API method without an authorizer": (
        lambda rec: with_inputs(rec, typed(METHOD, "app-api-proxy"), authorization="NONE", authorizerId=None),
        "apigateway-methods-authorized",
    ),
    "a privileged root container with a writable root filesystem": (
        lambda rec: task_container(rec, "app-api-task", privileged=True, user="root", readonlyRootFilesystem=False),
        "ecs-task-hardened",
    ),
    "ECS tasks with public IPs": (
        lambda rec: with_inputs(
            rec,
            lambda r: r.type == "aws:ecs/service:Service" and r.name == "app-video",
            networkConfiguration={**rec.named("app-video").inputs["networkConfiguration"], "assignPublicIp": True},
        ),
        "ecs-service-no-public-ip",
    ),
    "the flow log removed": (
        lambda rec: [r for r in rec.resources if r.type != "aws:ec2/flowLog:FlowLog"],
        "vpc-flow-logs-enabled",
    ),
    "ALB deletion protection off": (
        lambda rec: with_inputs(rec, named("app-alb"), enableDeletionProtection=False),
        "load-balancer-hardened",
    ),
    "Cognito deletion protection off": (
        lambda rec: with_inputs(rec, named("app-users"), deletionProtection="INACTIVE"),
        "cognito-user-pool-deletion-protection",
    ),
    "RDS skipFinalSnapshot with deleteAutomatedBackups": (
        lambda rec: with_inputs(rec, the_postgres_primary, skipFinalSnapshot=True, deleteAutomatedBackups=True),
        "rds-backup-retention",
    ),
    "IMDS hop limit 2": (
        lambda rec: with_inputs(
            rec,
            lambda r: r.type == "aws:ec2/launchTemplate:LaunchTemplate",
            metadataOptions={
                **rec.of_type("aws:ec2/launchTemplate:LaunchTemplate")[0].inputs["metadataOptions"],
                "httpPutResponseHopLimit": 2.0,
            },
        ),
        "launch-template-imdsv2",
    ),
    # --- robustness ----------------------------------------------------------------------------
    "unknown cache behavior beside a plain-HTTP one": (unknown_behavior_beside_plain_http, "cloudfront-viewer-https"),
    "renditions bucket accepts public ACLs": (
        lambda rec: with_inputs(
            rec,
            lambda r: r.name == "data-renditions" and r.type.endswith("BucketPublicAccessBlock"),
            blockPublicAcls=False,
        ),
        "s3-bucket-public-access-block",
    ),
}


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_the_synthesized_prod_stack_passes(preview):
    report = run(prod(preview), prod(preview).resources)
    # The aws-api pillar's known findings on the real stack are pinned in test_aws_api.py.
    assert [d for d in report.mandatory if not d.policy.startswith("aws-")] == []
    assert [d for d in report.advisory if not d.unknown] == []


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_turning_off_one_safeguard_is_a_mandatory_violation(mutation, preview):
    mutate, policy = MUTATIONS[mutation]
    rec = prod(preview)
    report = run(rec, mutate(rec))
    # The named guardrail fires as MANDATORY; a mutation may trip related ones too (squeezing the app
    # subnets into one AZ also leaves two AZs routed to another AZ's NAT gateway).
    assert policy in {d.policy for d in report.mandatory}, report.render()
