"""Non-compliant cases for the rules that judge the job (issue: other resource types doing the same job,
the letter satisfied but not the intent, capacity, hardening, values that contradict the graph, and the
attributes AnalyzeStack only sees as outputs). Each is the compliant reference platform with one defect.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from .builder import StackBuilder

Mutation = Callable[[StackBuilder], object]


@dataclass(frozen=True)
class Case:
    policy: str
    id: str
    mutate: Mutation
    expect: str  # substring of the violation message
    stack: str = "prod"
    also: frozenset[str] = frozenset()  # policies the same defect necessarily trips too
    # ... and only in update mode, where AnalyzeStack sees what AWS filled in (its managed key)
    also_update: frozenset[str] = frozenset()


def waf_rules_as_resources(b: StackBuilder, acl: str, change: Callable[[dict], dict] = lambda r: r) -> None:
    """Move ``acl``'s rules out of its inputs into aws:wafv2/webAclRule resources (``change`` edits each)."""
    rules = b[acl].inputs["rules"]
    b.set(acl, rules=None)
    for rule in rules:
        b.add(
            "aws:wafv2/webAclRule:WebAclRule",
            f"{acl}-{rule['name']}",
            webAclArn=b.ref(b[acl], "arn"),
            **change(json.loads(json.dumps(rule))),
        )


def count_mode(rule: dict) -> dict:
    if "managedRuleGroupStatement" in rule["statement"]:
        rule["overrideAction"] = {"count": {}}
    return rule


def _container(b: StackBuilder, **changes: object) -> None:
    (c,) = json.loads(b["api-task"].inputs["containerDefinitions"])
    b.set("api-task", containerDefinitions=json.dumps([{**c, **changes}]))


def _narrowed_in_apply(b: StackBuilder) -> None:
    """The subnets list is computed from all three subnets (the graph keeps them) but holds one id."""
    subnets = [b.ref(b[f"app-{z}"]) for z in "abc"]
    b.set("api-svc", networkConfiguration={"subnets": [b.computed(lambda a, _b, _c: a, *subnets)]})


AURORA_AZS = ("us-west-2a", "us-west-2b", "us-west-2c")


def _aurora(b: StackBuilder, members: tuple[str | None, ...] = AURORA_AZS, **changes: object) -> None:
    """An Aurora PostgreSQL cluster beside the instance, compliant but for ``changes`` (None drops an input), with
    one cluster instance per entry of ``members`` (its availabilityZone; None leaves it to RDS)."""
    pg = b.add(
        "aws:rds/clusterParameterGroup:ClusterParameterGroup",
        "aurora-pg16",
        family="aurora-postgresql16",
        parameters=[{"name": "rds.force_ssl", "value": "1"}],
    )
    inputs = {
        "engine": "aurora-postgresql",
        "storageEncrypted": True,
        "kmsKeyId": b.ref(b["data-key"], "arn"),
        "deletionProtection": True,
        "backupRetentionPeriod": 7,
        "dbClusterParameterGroupName": b.ref(pg, "name"),
        "dbSubnetGroupName": b.ref(b["db-subnets"], "name"),
        **changes,
    }
    cluster = b.add(
        "aws:rds/cluster:Cluster", "aurora", protect=True, **{k: v for k, v in inputs.items() if v is not None}
    )
    for i, az in enumerate(members):
        member = {"clusterIdentifier": b.ref(cluster), "instanceClass": "db.r7g.large", "engine": "aurora-postgresql"}
        b.add(
            "aws:rds/clusterInstance:ClusterInstance",
            f"aurora-{i}",
            protect=True,
            **member,
            **({"availabilityZone": az} if az else {}),
        )


EXTRA_CASES = [
    # --- another resource type doing the same job ------------------------------------------------
    Case(
        "rds-cluster-multi-az",
        "aurora-writer-alone",
        lambda b: _aurora(b, members=("us-west-2a",)),
        "1 cluster instance(s) of this stack: the writer has no failover target in another AZ",
    ),
    Case(
        "rds-cluster-multi-az",
        "aurora-one-az",
        lambda b: _aurora(b, members=("us-west-2a", "us-west-2a", "us-west-2a")),
        "its 3 instances span 1 AZ(s) (us-west-2a); at least 3 required",
    ),
    Case(
        "rds-cluster-multi-az",
        "aurora-two-of-three-azs",
        lambda b: _aurora(b, members=("us-west-2a", "us-west-2b", "us-west-2b")),
        "its 3 instances span 2 AZ(s) (us-west-2a, us-west-2b); at least 3 required",
    ),
    Case(
        "rds-cluster-multi-az",
        "aurora-az-left-to-rds",
        lambda b: _aurora(b, members=("us-west-2a", None, "us-west-2c")),
        "cluster instance aurora-1 has no availabilityZone",
    ),
    Case(
        "rds-cluster-multi-az",
        "aurora-without-subnet-group",
        lambda b: _aurora(b, dbSubnetGroupName=None),
        "dbSubnetGroupName is not set",
    ),
    Case(
        "waf-web-acl-baseline-rules",
        "web-acl-rule-resources-in-count-mode",
        lambda b: waf_rules_as_resources(b, "regional-acl", count_mode),
        "managed rule group AWSManagedRulesCommonRuleSet is in count mode",
    ),
    Case(
        "alb-waf-attached",
        "internet-facing-nlb",
        lambda b: b.add(
            "aws:lb/loadBalancer:LoadBalancer",
            "nlb",
            loadBalancerType="network",
            internal=False,
            enableDeletionProtection=True,
            subnets=[b.ref(b[f"public-{z}"]) for z in "abc"],
        ),
        "internet-facing network load balancer",
    ),
    Case(
        "no-entry-points-without-waf",
        "http-api",
        lambda b: b.add("aws:apigatewayv2/api:Api", "http-api", name="direct", protocolType="HTTP"),
        "API Gateway v2 HTTP API",
    ),
    Case(
        "no-entry-points-without-waf",
        "function-url",
        lambda b: b.add(
            "aws:lambda/functionUrl:FunctionUrl",
            "transcoder-url",
            functionName=b.ref(b["transcoder"], "name"),
            authorizationType="NONE",
        ),
        "function URL with authorizationType NONE",
    ),
    Case(
        "elasticache-multi-az",
        "standalone-cluster",
        lambda b: b.add(
            "aws:elasticache/cluster:Cluster",
            "memcached",
            engine="memcached",
            nodeType="cache.t4g.small",
            numCacheNodes=1,
            transitEncryptionEnabled=True,
        ),
        "standalone cache cluster",
    ),
    Case(
        "rds-storage-encrypted",
        "aurora-unencrypted",
        lambda b: _aurora(b, storageEncrypted=False),
        "storageEncrypted is not true",
    ),
    Case(
        "stateful-resources-protected",
        "aurora-cluster",
        lambda b: (_aurora(b), b.protect("aurora", False)),
        "not protected",
    ),
    Case(
        "rds-force-ssl",
        "aurora-default-cluster-parameter-group",
        lambda b: _aurora(b, dbClusterParameterGroupName=None),
        "parameter group (default) is not managed in this stack",
    ),
    Case(
        "launch-template-ebs-encrypted",
        "ebs-volume",
        lambda b: b.add("aws:ebs/volume:Volume", "scratch", availabilityZone="us-west-2a", size=10, encrypted=False),
        "encrypted is False",
    ),
    Case(
        "launch-template-ebs-encrypted",
        "instance-root-volume",
        lambda b: b.add(
            "aws:ec2/instance:Instance",
            "bastion",
            ami="ami-0123456789abcdef0",
            instanceType="t3.micro",
            metadataOptions={"httpTokens": "required", "httpPutResponseHopLimit": 1},
            rootBlockDevice={"encrypted": False},
        ),
        "rootBlockDevice.encrypted is False",
    ),
    Case(
        "dynamodb-cmk-encryption",
        "table-replica-on-the-aws-managed-key",
        lambda b: b.add(
            "aws:dynamodb/tableReplica:TableReplica",
            "views-dr",
            protect=True,
            globalTableArn=b.ref(b["views"], "arn"),
            region="us-east-2",
            pointInTimeRecovery=True,
            deletionProtectionEnabled=True,
        ),
        "kmsKeyArn (unset: alias/aws/dynamodb) is not set",
    ),
    Case(
        "dynamodb-cmk-encryption",
        "replicas-block-without-key",
        lambda b: b.set("views", replicas=[{"regionName": "us-east-2", "pointInTimeRecovery": True}]),
        "replicas[us-east-2].kmsKeyArn (unset: alias/aws/dynamodb) is not set",
    ),
    Case(
        "dynamodb-pitr",
        "table-replica-without-pitr",
        lambda b: b.add(
            "aws:dynamodb/tableReplica:TableReplica",
            "views-dr",
            protect=True,
            globalTableArn=b.ref(b["views"], "arn"),
            kmsKeyArn=b.ref(b["data-key"], "arn"),
            deletionProtectionEnabled=True,
        ),
        "pointInTimeRecovery (default false) is not true",
    ),
    Case(
        "dynamodb-pitr",
        "replicas-block-without-pitr",
        lambda b: b.set("views", replicas=[{"regionName": "us-east-2", "kmsKeyArn": b.ref(b["data-key"], "arn")}]),
        "replicas[us-east-2].pointInTimeRecovery is not true (default false)",
    ),
    Case(
        "dynamodb-deletion-protection",
        "table-replica",
        lambda b: b.add(
            "aws:dynamodb/tableReplica:TableReplica",
            "views-dr",
            protect=True,
            globalTableArn=b.ref(b["views"], "arn"),
            kmsKeyArn=b.ref(b["data-key"], "arn"),
            pointInTimeRecovery=True,
        ),
        "deletionProtectionEnabled is not true",
    ),
    Case(
        "secrets-cmk-encrypted",
        "no-key",
        lambda b: b.set("session-key", kmsKeyId=None),
        "kmsKeyId (unset: aws/secretsmanager) is not set",
    ),
    Case(
        "secrets-cmk-encrypted",
        "aws-managed-key",
        lambda b: b.set("session-key", kmsKeyId="alias/aws/secretsmanager"),
        "is the AWS-managed key alias/aws/secretsmanager",
    ),
    Case(
        "secrets-cmk-encrypted",
        "rds-managed-master-password",
        lambda b: b.set("catalog-db", masterUserSecretKmsKeyId=None),
        "masterUserSecretKmsKeyId (unset: aws/secretsmanager) is not set",
    ),
    # --- the letter, not the intent ----------------------------------------------------------------
    Case(
        "waf-web-acl-baseline-rules",
        "allow-all-before-the-rate-rule",
        lambda b: b.set(
            "regional-acl",
            rules=[
                r if r["name"] == "common" else {**r, "priority": 3}
                for r in json.loads(json.dumps(b["regional-acl"].inputs["rules"]))
            ]
            + [
                {
                    "name": "allow-everything",
                    "priority": 2,
                    "action": {"allow": {}},
                    "statement": {"notStatement": {"statement": {"byteMatchStatement": {"searchString": "x"}}}},
                    "visibilityConfig": {"cloudwatchMetricsEnabled": True, "metricName": "a"},
                }
            ],
        ),
        "rule allow-everything allows requests at priority 2, before the rate-based rule rate",
    ),
    Case(
        "launch-template-ebs-encrypted",
        "root-mapping-moved-to-sdb",
        lambda b: b.patch("web-lt", lambda i: i["blockDeviceMappings"][0].update(deviceName="/dev/sdb")),
        "no ebs mapping for the root device (/dev/xvda / /dev/sda1); mapped: /dev/sdb",
    ),
    Case(
        "autoscaling-launch-template-of-this-stack",
        "override-from-elsewhere",
        lambda b: b.set(
            "web-asg",
            launchTemplate=None,
            mixedInstancesPolicy={
                "launchTemplate": {
                    "launchTemplateSpecification": {"launchTemplateId": b.ref(b["web-lt"]), "version": "$Latest"},
                    "overrides": [
                        {"instanceType": "t3.medium"},
                        {
                            "instanceType": "m6i.large",
                            "launchTemplateSpecification": {"launchTemplateId": "lt-0a1b2c3d4e5f67890"},
                        },
                    ],
                }
            },
        ),
        "overrides[1].launchTemplateSpecification is lt-0a1b2c3d4e5f67890, not a launch template of this stack",
    ),
    Case(
        "autoscaling-launch-template-of-this-stack",
        "template-id-typed-in",
        lambda b: b.set("web-asg", launchTemplate={"id": "lt-0a1b2c3d4e5f67890", "version": "$Latest"}),
        "launchTemplate is lt-0a1b2c3d4e5f67890, not a launch template of this stack",
    ),
    Case(
        "autoscaling-launch-template-of-this-stack",
        "launch-configuration",
        lambda b: b.set("web-asg", launchTemplate=None, launchConfiguration="web-lc"),
        "launchConfiguration is set",
    ),
    Case(
        "alb-waf-attached",
        "waf-fail-open",
        lambda b: b.set("alb", enableWafFailOpen=True),
        "enableWafFailOpen is true",
    ),
    Case(
        "alb-http-redirects-to-https",
        "forwarding-listener-rule",
        lambda b: b.add(
            "aws:lb/listenerRule:ListenerRule",
            "http-api-rule",
            listenerArn=b.ref(b["http"], "arn"),
            priority=10,
            conditions=[{"pathPattern": {"values": ["/api/*"]}}],
            actions=[{"type": "forward", "targetGroupArn": b.ref(b["web-tg"], "arn")}],
        ),
        "listener rule http-api-rule on the HTTP listener has a 'forward' action",
    ),
    Case(
        "elasticache-encrypted",
        "transit-preferred",
        lambda b: b.set("sessions", transitEncryptionMode="preferred"),
        "transitEncryptionMode is preferred",
    ),
    Case(
        "s3-bucket-sse-kms",
        "aws-managed-s3-key",
        lambda b: b.set(
            "uploads-sse",
            rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}, "bucketKeyEnabled": True}],
        ),
        "kmsMasterKeyId is not set (S3 uses the AWS-managed key aws/s3)",
    ),
    Case(
        "kms-key-of-this-stack",
        "typed-in-key-arn",
        lambda b: b.set("app-logs", kmsKeyId="arn:aws:kms:us-west-2:123456789012:key/typed-in"),
        "kmsKeyId is arn:aws:kms:us-west-2:123456789012:key/typed-in, which is not a KMS key of this stack",
    ),
    # --- AnalyzeStack sees outputs: what the program left unset -----------------------------------
    Case(
        "alb-waf-attached",
        "internal-omitted-without-acl",
        lambda b: (b.set("alb", internal=None), b.remove("alb-waf")),
        "no WebAclAssociation links this internet-facing ALB",
    ),
    Case(
        "rds-force-ssl",
        "parameter-group-omitted",
        lambda b: b.set("catalog-db", parameterGroupName=None),
        "is not managed in this stack",
    ),
    # --- multi-AZ through capacity -----------------------------------------------------------------
    Case(
        "rds-multi-az",
        "no-subnet-group",
        lambda b: b.set("catalog-db", dbSubnetGroupName=None),
        "dbSubnetGroupName is not set",
    ),
    Case(
        "elasticache-multi-az",
        "nodes-in-two-of-three-azs",
        lambda b: b.set("sessions", preferredCacheClusterAzs=["us-west-2a", "us-west-2a", "us-west-2b"]),
        "preferredCacheClusterAzs spans 2 AZ(s) (us-west-2a, us-west-2b); at least 3",
    ),
    Case(
        "elasticache-multi-az",
        "two-nodes-for-three-azs",
        lambda b: b.set("sessions", numCacheClusters=2, preferredCacheClusterAzs=None),
        "numCacheClusters is 2; at least 3 (one per AZ) required",
    ),
    # --- values that contradict the graph ------------------------------------------------------------
    Case(
        "ecs-service-multi-az",
        "subnets-narrowed-in-apply",
        _narrowed_in_apply,
        # preview: "lists 1 subnet(s)" (ids unknown); update: "spans 1 AZ(s) (us-west-2a)" (the id is known)
        "ECS service ",
    ),
    # --- hardening -----------------------------------------------------------------------------------
    Case(
        "ecs-task-hardened",
        "privileged-root-writable",
        lambda b: _container(b, privileged=True, user="0", readonlyRootFilesystem=False),
        "container api is privileged",
    ),
    Case(
        "ecs-task-hardened",
        "root-init-container-keeping-capabilities",
        lambda b: b.set(
            "api-task",
            containerDefinitions=json.dumps(
                [
                    *json.loads(b["api-task"].inputs["containerDefinitions"]),
                    {
                        "name": "tmp-init",
                        "essential": False,
                        "user": "0",
                        "readonlyRootFilesystem": True,
                        "linuxParameters": {"capabilities": {"drop": ["NET_RAW"]}},
                    },
                ]
            ),
        ),
        "container tmp-init runs as 0",
    ),
    Case(
        "ecs-service-no-public-ip",
        "public-ip",
        lambda b: b.set(
            "api-svc",
            networkConfiguration={"subnets": [b.ref(b[f"app-{z}"]) for z in "abc"], "assignPublicIp": True},
        ),
        "assignPublicIp is true",
    ),
    Case(
        "apigateway-methods-authorized",
        "method-without-authorizer",
        lambda b: b.set("api-get", authorization="NONE", authorizerId=None),
        "GET method has authorization NONE",
    ),
    Case(
        "load-balancer-hardened",
        "no-deletion-protection",
        lambda b: b.set("alb", enableDeletionProtection=None),
        "enableDeletionProtection is not true",
    ),
    Case("vpc-flow-logs-enabled", "removed", lambda b: b.remove("vpc-flow-log"), "no FlowLog references this VPC"),
    Case(
        "cognito-user-pool-deletion-protection",
        "inactive",
        lambda b: b.set("users", deletionProtection="INACTIVE"),
        "deletionProtection is INACTIVE",
    ),
    Case(
        "rds-backup-retention",
        "no-final-snapshot",
        lambda b: b.set("catalog-db", skipFinalSnapshot=True),
        "skipFinalSnapshot with deleteAutomatedBackups",
    ),
    Case(
        "ec2-no-public-ip",
        "launch-template-public-ip",
        lambda b: b.set("web-lt", networkInterfaces=[{"deviceIndex": 0, "associatePublicIpAddress": "true"}]),
        "networkInterfaces[0].associatePublicIpAddress is 'true'",
    ),
    Case(
        "ec2-no-public-ip",
        "instance-public-ip",
        lambda b: b.add(
            "aws:ec2/instance:Instance",
            "bastion",
            ami="ami-0123456789abcdef0",
            instanceType="t3.micro",
            metadataOptions={"httpTokens": "required", "httpPutResponseHopLimit": 1},
            rootBlockDevice={"encrypted": True},
            associatePublicIpAddress=True,
        ),
        "associatePublicIpAddress is true",
    ),
    Case(
        "launch-template-imdsv2",
        "hop-limit-2",
        lambda b: b.patch("web-lt", lambda i: i["metadataOptions"].update(httpPutResponseHopLimit=2)),
        "httpPutResponseHopLimit is 2; at most 1",
    ),
]
