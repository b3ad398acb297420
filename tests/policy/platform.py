"""A compliant reference platform (every tier), built as the program is expected to build it.

Tests mutate one thing at a time and expect exactly one policy to object. This also serves as
the executable spec of the tags, names and wiring the policies expect from the components.
"""

from __future__ import annotations

import json

from .builder import Res, StackBuilder
from .platform_job import add_job_resources

AZ_NAMES = ("a", "b", "c")
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def tls_only_policy(arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [arn, f"{arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def web_acl_rules(prefix: str) -> list[dict]:
    def vis(name: str) -> dict:
        return {"cloudwatchMetricsEnabled": True, "metricName": f"{prefix}-{name}", "sampledRequestsEnabled": True}

    return [
        {
            "name": "common",
            "priority": 1,
            "overrideAction": {"none": {}},
            "statement": {"managedRuleGroupStatement": {"name": "AWSManagedRulesCommonRuleSet", "vendorName": "AWS"}},
            "visibilityConfig": vis("common"),
        },
        {
            "name": "rate",
            "priority": 2,
            "action": {"block": {}},
            "statement": {"rateBasedStatement": {"limit": 2000, "aggregateKeyType": "IP"}},
            "visibilityConfig": vis("rate"),
        },
    ]


def platform(stack: str = "prod", preview: bool = True, azs: int | None = None) -> StackBuilder:
    b = StackBuilder(stack=stack, preview=preview)
    n_azs = azs if azs is not None else (3 if stack == "prod" else 2)
    zones = [f"us-west-2{z}" for z in AZ_NAMES[:n_azs]]
    r = b.ref

    # --- network -------------------------------------------------------------------------
    net = b.add("streaming:network:Network", "network", custom=False)
    vpc = b.add("aws:ec2/vpc:Vpc", "vpc", parent=net, cidrBlock="10.0.0.0/16", enableDnsHostnames=True)
    igw = b.add("aws:ec2/internetGateway:InternetGateway", "igw", parent=net, vpcId=r(vpc))
    public_rt = b.add(
        "aws:ec2/routeTable:RouteTable",
        "public-rt",
        parent=net,
        vpcId=r(vpc),
        routes=[{"cidrBlock": "0.0.0.0/0", "gatewayId": r(igw)}],
    )
    subnets: dict[str, list[Res]] = {"public": [], "app": [], "data": []}
    for i, az in enumerate(zones):
        s = AZ_NAMES[i]
        for j, tier in enumerate(("public", "app", "data")):
            sub = b.add(
                "aws:ec2/subnet:Subnet",
                f"{tier}-{s}",
                parent=net,
                vpcId=r(vpc),
                availabilityZone=az,
                cidrBlock=f"10.0.{j * 16 + i}.0/24",
                mapPublicIpOnLaunch=False,
                tags={"Name": f"{stack}-{tier}-{s}", "Tier": tier},
            )
            subnets[tier].append(sub)
        b.add(
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            f"public-{s}-rta",
            parent=net,
            subnetId=r(subnets["public"][i]),
            routeTableId=r(public_rt),
        )
        eip = b.add("aws:ec2/eip:Eip", f"nat-{s}-eip", parent=net, domain="vpc")
        nat = b.add(
            "aws:ec2/natGateway:NatGateway",
            f"nat-{s}",
            parent=net,
            subnetId=r(subnets["public"][i]),
            allocationId=r(eip),
        )
        app_rt = b.add("aws:ec2/routeTable:RouteTable", f"app-{s}-rt", parent=net, vpcId=r(vpc))
        b.add(
            "aws:ec2/route:Route",
            f"app-{s}-default",
            parent=net,
            routeTableId=r(app_rt),
            destinationCidrBlock="0.0.0.0/0",
            natGatewayId=r(nat),
        )
        b.add(
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            f"app-{s}-rta",
            parent=net,
            subnetId=r(subnets["app"][i]),
            routeTableId=r(app_rt),
        )
        data_rt = b.add("aws:ec2/routeTable:RouteTable", f"data-{s}-rt", parent=net, vpcId=r(vpc))
        b.add(
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            f"data-{s}-rta",
            parent=net,
            subnetId=r(subnets["data"][i]),
            routeTableId=r(data_rt),
        )

    # --- keys and logs ---------------------------------------------------------------------
    key = b.add("aws:kms/key:Key", "data-key", protect=True, enableKeyRotation=True, deletionWindowInDays=30)
    b.add("aws:kms/alias:Alias", "data-key-alias", name="alias/streaming-data", targetKeyId=r(key))
    app_logs = b.add("aws:cloudwatch/logGroup:LogGroup", "app-logs", retentionInDays=30, kmsKeyId=r(key, "arn"))
    waf_logs = b.add(
        "aws:cloudwatch/logGroup:LogGroup",
        "waf-logs",
        name=f"aws-waf-logs-{stack}",
        retentionInDays=30,
        kmsKeyId=r(key, "arn"),
    )

    # --- edge --------------------------------------------------------------------------------
    us_east_1 = b.add("pulumi:providers:aws", "us-east-1", region="us-east-1")
    cf_acl = b.add(
        "aws:wafv2/webAcl:WebAcl",
        "edge-acl",
        provider=us_east_1,
        scope="CLOUDFRONT",
        defaultAction={"allow": {}},
        rules=web_acl_rules("edge"),
        visibilityConfig={"cloudwatchMetricsEnabled": True, "metricName": "edge", "sampledRequestsEnabled": True},
    )
    b.add(
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
        "edge-acl-logging",
        provider=us_east_1,
        resourceArn=r(cf_acl, "arn"),
        logDestinationConfigs=[r(waf_logs, "arn")],
    )
    regional_acl = b.add(
        "aws:wafv2/webAcl:WebAcl",
        "regional-acl",
        scope="REGIONAL",
        defaultAction={"allow": {}},
        rules=web_acl_rules("regional"),
        visibilityConfig={"cloudwatchMetricsEnabled": True, "metricName": "regional", "sampledRequestsEnabled": True},
    )
    b.add(
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
        "regional-acl-logging",
        resourceArn=r(regional_acl, "arn"),
        logDestinationConfigs=[r(waf_logs, "arn")],
    )

    # --- app -----------------------------------------------------------------------------------
    alb = b.add(
        "aws:lb/loadBalancer:LoadBalancer",
        "alb",
        loadBalancerType="application",
        internal=False,
        subnets=[r(s) for s in subnets["public"]],
        dropInvalidHeaderFields=True,
        enableDeletionProtection=True,
    )
    b.add(
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        "alb-waf",
        resourceArn=r(alb, "arn"),
        webAclArn=r(regional_acl, "arn"),
    )
    tg = b.add("aws:lb/targetGroup:TargetGroup", "web-tg", port=8080, protocol="HTTP", vpcId=r(vpc))
    b.add(
        "aws:lb/listener:Listener",
        "http",
        loadBalancerArn=r(alb, "arn"),
        port=80,
        protocol="HTTP",
        defaultActions=[
            {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
        ],
    )
    b.add(
        "aws:lb/listener:Listener",
        "https",
        loadBalancerArn=r(alb, "arn"),
        port=443,
        protocol="HTTPS",
        sslPolicy=TLS_POLICY,
        certificateArn="arn:aws:acm:us-west-2:123456789012:certificate/abc",
        defaultActions=[{"type": "forward", "targetGroupArn": r(tg, "arn")}],
    )
    lt = b.add(
        "aws:ec2/launchTemplate:LaunchTemplate",
        "web-lt",
        imageId="ami-0123456789abcdef0",
        instanceType="t3.medium",
        blockDeviceMappings=[
            {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 30, "kmsKeyId": r(key, "arn")}}
        ],
        metadataOptions={"httpTokens": "required", "httpEndpoint": "enabled", "httpPutResponseHopLimit": 1},
    )
    b.add(
        "aws:autoscaling/group:Group",
        "web-asg",
        minSize=n_azs,
        maxSize=3 * n_azs,
        vpcZoneIdentifiers=[r(s) for s in subnets["app"]],
        launchTemplate={"id": r(lt), "version": "$Latest"},
        targetGroupArns=[r(tg, "arn")],
    )
    alb_sg = b.add("aws:ec2/securityGroup:SecurityGroup", "alb-sg", vpcId=r(vpc), description="ALB")
    b.add(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "alb-https-in",
        securityGroupId=r(alb_sg),
        ipProtocol="tcp",
        fromPort=443,
        toPort=443,
        cidrIpv4="0.0.0.0/0",
    )
    b.add("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default-sg", vpcId=r(vpc))
    b.add(
        "aws:ec2/flowLog:FlowLog",
        "vpc-flow-log",
        vpcId=r(vpc),
        trafficType="ALL",
        logDestinationType="cloud-watch-logs",
        logDestination=r(app_logs, "arn"),
    )
    cluster = b.add("aws:ecs/cluster:Cluster", "ecs")
    container = {
        "name": "api",
        "image": "123456789012.dkr.ecr.us-west-2.amazonaws.com/api:1.0.0",
        "essential": True,
        "user": "10001:10001",
        "readonlyRootFilesystem": True,
        "privileged": False,
    }
    b.add(
        "aws:ecs/taskDefinition:TaskDefinition",
        "api-task",
        family="api",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=json.dumps([container]),
    )
    b.add(
        "aws:ecs/service:Service",
        "api-svc",
        cluster=r(cluster, "arn"),
        launchType="FARGATE",
        desiredCount=n_azs,
        networkConfiguration={"subnets": [r(s) for s in subnets["app"]], "assignPublicIp": False},
    )
    api = b.add("aws:apigateway/restApi:RestApi", "api", name="streaming-api")
    dep = b.add("aws:apigateway/deployment:Deployment", "api-deployment", restApi=r(api))
    stage = b.add("aws:apigateway/stage:Stage", "api-stage", restApi=r(api), deployment=r(dep), stageName="v1")
    pool = b.add("aws:cognito/userPool:UserPool", "users", protect=True, deletionProtection="ACTIVE")
    authorizer = b.add(
        "aws:apigateway/authorizer:Authorizer",
        "api-auth",
        restApi=r(api),
        type="COGNITO_USER_POOLS",
        providerArns=[r(pool, "arn")],
    )
    for verb in ("GET", "OPTIONS"):
        b.add(
            "aws:apigateway/method:Method",
            f"api-{verb.lower()}",
            restApi=r(api),
            resourceId=r(api, "rootResourceId"),
            httpMethod=verb,
            authorization="COGNITO_USER_POOLS" if verb == "GET" else "NONE",
            **({"authorizerId": r(authorizer)} if verb == "GET" else {}),
        )
    b.add(
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        "api-waf",
        resourceArn=r(stage, "arn"),
        webAclArn=r(regional_acl, "arn"),
    )

    # --- data ----------------------------------------------------------------------------------
    pg = b.add(
        "aws:rds/parameterGroup:ParameterGroup",
        "pg16",
        family="postgres16",
        parameters=[{"name": "rds.force_ssl", "value": "1"}],
    )
    db_subnets = b.add("aws:rds/subnetGroup:SubnetGroup", "db-subnets", subnetIds=[r(s) for s in subnets["data"]])
    b.add(
        "aws:rds/instance:Instance",
        "catalog-db",
        protect=True,
        engine="postgres",
        engineVersion="16.4",
        instanceClass="db.t4g.medium",
        allocatedStorage=50,
        multiAz=True,
        storageEncrypted=True,
        kmsKeyId=r(key, "arn"),
        deletionProtection=True,
        backupRetentionPeriod=7,
        publiclyAccessible=False,
        parameterGroupName=r(pg, "name"),
        dbSubnetGroupName=r(db_subnets, "name"),
        manageMasterUserPassword=True,
        masterUserSecretKmsKeyId=r(key, "arn"),
        username="app",
    )
    cache_subnets = b.add(
        "aws:elasticache/subnetGroup:SubnetGroup", "cache-subnets", subnetIds=[r(s) for s in subnets["data"]]
    )
    b.add(
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "sessions",
        protect=True,
        description="sessions",
        engine="redis",
        nodeType="cache.t4g.small",
        numCacheClusters=n_azs,
        preferredCacheClusterAzs=zones,
        automaticFailoverEnabled=True,
        multiAzEnabled=True,
        atRestEncryptionEnabled=True,
        transitEncryptionEnabled=True,
        kmsKeyId=r(key, "arn"),
        subnetGroupName=r(cache_subnets, "name"),
    )
    b.add(
        "aws:dynamodb/table:Table",
        "views",
        protect=True,
        billingMode="PAY_PER_REQUEST",
        hashKey="videoId",
        attributes=[{"name": "videoId", "type": "S"}],
        serverSideEncryption={"enabled": True, "kmsKeyArn": r(key, "arn")},
        pointInTimeRecovery={"enabled": True},
        deletionProtectionEnabled=True,
    )
    b.add(
        "aws:secretsmanager/secret:Secret",
        "session-key",
        namePrefix="streaming/session-key-",
        kmsKeyId=r(key, "arn"),
        recoveryWindowInDays=30,
    )

    def bucket(name: str, tags: dict[str, str], aes: bool = False, versioned: bool = False) -> Res:
        bk = b.add("aws:s3/bucket:Bucket", name, protect=True, tags=tags)
        default = {"sseAlgorithm": "AES256"} if aes else {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": r(key, "arn")}
        b.add(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            f"{name}-sse",
            bucket=r(bk),
            rules=[{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": not aes}],
        )
        b.add(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            f"{name}-pab",
            bucket=r(bk),
            blockPublicAcls=True,
            blockPublicPolicy=True,
            ignorePublicAcls=True,
            restrictPublicBuckets=True,
        )
        b.add(
            "aws:s3/bucketPolicy:BucketPolicy",
            f"{name}-policy",
            bucket=r(bk),
            policy=b.computed(tls_only_policy, r(bk, "arn")),
        )
        if versioned:
            b.add(
                "aws:s3/bucketVersioning:BucketVersioning",
                f"{name}-versioning",
                bucket=r(bk),
                versioningConfiguration={"status": "Enabled"},
            )
        return bk

    uploads = bucket("uploads", {"BucketRole": "uploads"}, versioned=True)
    renditions = bucket("renditions", {"BucketRole": "renditions"}, versioned=True)
    logs = bucket("access-logs", {"BucketRole": "logs", "LogDelivery": "sse-s3"}, aes=True, versioned=True)
    b.set("alb", accessLogs={"bucket": r(logs), "enabled": True, "prefix": "alb"})

    # --- media pipeline ----------------------------------------------------------------------
    dlq = b.add("aws:sqs/queue:Queue", "transcode-dlq", kmsMasterKeyId=r(key, "arn"))
    queue = b.add(
        "aws:sqs/queue:Queue",
        "transcode-jobs",
        kmsMasterKeyId=r(key, "arn"),
        redrivePolicy=b.computed(
            lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 5}), r(dlq, "arn")
        ),
    )
    b.add(
        "aws:lambda/function:Function",
        "transcoder",
        runtime="python3.12",
        handler="app.handler",
        role="arn:aws:iam::123456789012:role/transcoder",
        vpcConfig={"subnetIds": [r(s) for s in subnets["app"]], "securityGroupIds": []},
        environment={"variables": {"OUTPUT_BUCKET": r(renditions)}},
        kmsKeyArn=r(key, "arn"),
    )
    b.add(
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "transcoder-trigger",
        eventSourceArn=r(queue, "arn"),
        functionName="transcoder",
    )
    b.add("aws:sns/topic:Topic", "alarms", kmsMasterKeyId=r(key, "arn"))

    # --- distribution --------------------------------------------------------------------------
    b.add(
        "aws:cloudfront/distribution:Distribution",
        "cdn",
        enabled=True,
        webAclId=r(cf_acl, "arn"),
        origins=[
            {
                "originId": "alb",
                "domainName": r(alb, "dnsName"),
                "customOriginConfig": {
                    "httpPort": 80,
                    "httpsPort": 443,
                    "originProtocolPolicy": "https-only",
                    "originSslProtocols": ["TLSv1.2"],
                },
            },
            {"originId": "renditions", "domainName": r(renditions, "bucketRegionalDomainName")},
        ],
        defaultCacheBehavior={
            "targetOriginId": "alb",
            "viewerProtocolPolicy": "redirect-to-https",
            "allowedMethods": ["GET", "HEAD"],
            "cachedMethods": ["GET", "HEAD"],
        },
        orderedCacheBehaviors=[
            {
                "pathPattern": "/videos/*",
                "targetOriginId": "renditions",
                "viewerProtocolPolicy": "https-only",
                "allowedMethods": ["GET", "HEAD"],
                "cachedMethods": ["GET", "HEAD"],
            }
        ],
        viewerCertificate={
            "acmCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/edge",
            "sslSupportMethod": "sni-only",
            "minimumProtocolVersion": "TLSv1.2_2021",
        },
        restrictions={"geoRestriction": {"restrictionType": "none"}},
    )
    add_job_resources(b, zones)
    del uploads
    return b
