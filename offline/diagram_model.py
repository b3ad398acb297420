"""The placement model behind the every-resource views: which resources are nodes, where they sit (tier
and AZ), which edges join them, and the compact form with one counted node per type and place. The
rules are in ``offline/diagram.py``'s module doc; the draw.io and Mermaid renderings of this model are
``offline/diagram_render.py``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from offline.engine import Recording, ResourceRecord

TIERS = ("edge", "public", "app", "data", "operations")
TIER_TITLES = {
    "edge": "edge: DNS, CDN, WAF, identity",
    "public": "public subnets",
    "app": "private-app subnets",
    "data": "private-data subnets and stores",
    "operations": "operations: keys, logs, alarms",
}
TIER_COLORS = {  # draw.io fill colours per tier
    "edge": "#dae8fc",
    "public": "#d5e8d4",
    "app": "#fff2cc",
    "data": "#f8cecc",
    "operations": "#e1d5e7",
}

# Where a resource outside the subnets goes, by the service part of its type token (aws:<service>/...).
SERVICE_TIERS: Mapping[str, str] = {
    "acm": "edge",
    "apigateway": "edge",
    "apigatewayv2": "edge",
    "cloudfront": "edge",
    "cognito": "edge",
    "route53": "edge",
    "shield": "edge",
    "wafv2": "edge",
    "ec2": "public",
    "lb": "public",
    "autoscaling": "app",
    "ecs": "app",
    "ecr": "app",
    "lambda": "app",
    "mediaconvert": "app",
    "servicediscovery": "app",
    "sfn": "app",
    "sqs": "app",
    "dynamodb": "data",
    "elasticache": "data",
    "rds": "data",
    "s3": "data",
    "secretsmanager": "data",
    "cloudwatch": "operations",
    "kms": "operations",
    "sns": "operations",
}
DEFAULT_TIER = "operations"
# Exceptions to SERVICE_TIERS, by type.
TYPE_TIERS: Mapping[str, str] = {
    "aws:ec2/flowLog:FlowLog": "operations",
    "aws:cloudwatch/eventRule:EventRule": "app",
    "aws:route53/healthCheck:HealthCheck": "edge",
}

# Resources that are configuration or glue, not parts of the architecture.
HIDDEN_TYPES = frozenset(
    {
        "aws:acm/certificateValidation:CertificateValidation",
        "aws:apigateway/account:Account",
        "aws:apigateway/authorizer:Authorizer",
        "aws:apigateway/basePathMapping:BasePathMapping",
        "aws:apigateway/deployment:Deployment",
        "aws:apigateway/integration:Integration",
        "aws:apigateway/integrationResponse:IntegrationResponse",
        "aws:apigateway/method:Method",
        "aws:apigateway/methodResponse:MethodResponse",
        "aws:apigateway/methodSettings:MethodSettings",
        "aws:apigateway/resource:Resource",
        "aws:apigateway/vpcLink:VpcLink",
        "aws:appautoscaling/policy:Policy",
        "aws:appautoscaling/target:Target",
        "aws:autoscaling/policy:Policy",
        "aws:cloudwatch/eventTarget:EventTarget",
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
        "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
        "aws:cognito/userPoolClient:UserPoolClient",
        "aws:cognito/userPoolDomain:UserPoolDomain",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:ec2/eip:Eip",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/route:Route",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
        "aws:ecs/taskDefinition:TaskDefinition",
        "aws:elasticache/parameterGroup:ParameterGroup",
        "aws:elasticache/subnetGroup:SubnetGroup",
        "aws:elasticache/user:User",
        "aws:elasticache/userGroup:UserGroup",
        "aws:kms/alias:Alias",
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "aws:lambda/permission:Permission",
        "aws:lb/listener:Listener",
        "aws:lb/listenerRule:ListenerRule",
        "aws:lb/targetGroup:TargetGroup",
        "aws:lb/targetGroupAttachment:TargetGroupAttachment",
        "aws:rds/parameterGroup:ParameterGroup",
        "aws:rds/subnetGroup:SubnetGroup",
        "aws:route53/record:Record",
        "aws:secretsmanager/secretVersion:SecretVersion",
        "aws:sns/topicPolicy:TopicPolicy",
        "aws:sns/topicSubscription:TopicSubscription",
        "aws:sqs/queuePolicy:QueuePolicy",
        "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    }
)
HIDDEN_SERVICES = frozenset({"iam"})
HIDDEN_PREFIXES = ("aws:s3/bucket",)  # bucket sub-resources; aws:s3/bucket:Bucket itself is shown

# Shown as one counted node per place, with no edges: everything uses them.
FOLDED_TYPES = frozenset(
    {
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:kms/key:Key",
    }
)
# Placement is drawn as boxes, so edges to these are left out (except the ones LINKS draws).
PLACEMENT_TYPES = frozenset({"aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/routeTable:RouteTable"})
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"

# Glue resource -> (property naming the source, properties naming the targets): an edge source -> target.
LINKS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "aws:ec2/route:Route": ("routeTableId", ("gatewayId", "natGatewayId", "vpcEndpointId", "transitGatewayId")),
    ASSOCIATION: ("subnetId", ("routeTableId",)),
    "aws:lb/listener:Listener": ("loadBalancerArn", ("defaultActions",)),
    "aws:lb/listenerRule:ListenerRule": ("listenerArn", ("actions",)),
    "aws:lambda/eventSourceMapping:EventSourceMapping": ("eventSourceArn", ("functionName",)),
    "aws:s3/bucketNotification:BucketNotification": ("bucket", ("queues", "lambdaFunctions", "topics")),
    "aws:wafv2/webAclAssociation:WebAclAssociation": ("webAclArn", ("resourceArn",)),
    "aws:route53/record:Record": ("zoneId", ("aliases",)),
    "aws:cloudwatch/eventTarget:EventTarget": ("rule", ("arn",)),
    "aws:apigateway/integration:Integration": ("restApi", ("connectionId", "uri")),
    "aws:apigateway/authorizer:Authorizer": ("restApi", ("providerArns",)),
    "aws:apigateway/basePathMapping:BasePathMapping": ("domainName", ("restApi",)),
}

LABELS: Mapping[str, str] = {
    "aws:acm/certificate:Certificate": "ACM certificate",
    "aws:apigateway/domainName:DomainName": "API custom domain",
    "aws:apigateway/restApi:RestApi": "API Gateway REST API",
    "aws:apigateway/stage:Stage": "API Gateway stage",
    "aws:autoscaling/group:Group": "EC2 Auto Scaling group",
    "aws:cloudfront/distribution:Distribution": "CloudFront distribution",
    "aws:cloudwatch/dashboard:Dashboard": "CloudWatch dashboard",
    "aws:cloudwatch/eventRule:EventRule": "EventBridge rule",
    "aws:cloudwatch/logGroup:LogGroup": "CloudWatch log group",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "CloudWatch alarm",
    "aws:cognito/userPool:UserPool": "Cognito user pool",
    "aws:dynamodb/table:Table": "DynamoDB table",
    "aws:ec2/flowLog:FlowLog": "VPC flow log",
    "aws:ec2/internetGateway:InternetGateway": "Internet gateway",
    "aws:ec2/natGateway:NatGateway": "NAT gateway",
    "aws:ec2/routeTable:RouteTable": "Route table",
    "aws:ec2/securityGroup:SecurityGroup": "Security group",
    "aws:ec2/subnet:Subnet": "Subnet",
    "aws:ec2/vpc:Vpc": "VPC",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "VPC endpoint",
    "aws:ecs/cluster:Cluster": "ECS cluster",
    "aws:ecs/service:Service": "ECS service",
    "aws:elasticache/replicationGroup:ReplicationGroup": "ElastiCache Redis",
    "aws:kms/key:Key": "KMS key",
    "aws:lambda/function:Function": "Lambda function",
    "aws:lb/loadBalancer:LoadBalancer": "Load balancer",
    "aws:rds/instance:Instance": "RDS PostgreSQL",
    "aws:route53/healthCheck:HealthCheck": "Route 53 health check",
    "aws:route53/zone:Zone": "Route 53 zone",
    "aws:s3/bucket:Bucket": "S3 bucket",
    "aws:secretsmanager/secret:Secret": "Secrets Manager secret",
    "aws:servicediscovery/httpNamespace:HttpNamespace": "Cloud Map namespace",
    "aws:sns/topic:Topic": "SNS topic",
    "aws:sqs/queue:Queue": "SQS queue",
    "aws:wafv2/webAcl:WebAcl": "WAF web ACL",
}


@dataclass(frozen=True)
class Node:
    id: str
    type: str
    label: str  # the kind: "S3 bucket"
    names: tuple[str, ...]  # resource names it stands for
    tier: str
    az: str | None  # the AZ box it sits in, or None for tier level

    @property
    def count(self) -> int:
        return len(self.names)


@dataclass
class Diagram:
    project: str
    stack: str
    vpc_cidr: str | None
    availability_zones: list[str]
    nodes: list[Node] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def in_box(self, tier: str, az: str | None) -> list[Node]:
        return [n for n in self.nodes if n.tier == tier and n.az == az]


def service(type_: str) -> str:
    return type_.split(":")[1].split("/")[0] if type_.count(":") >= 2 else ""


def label(type_: str) -> str:
    if type_ in LABELS:
        return LABELS[type_]
    kind = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", type_.rsplit(":", 1)[-1])
    return f"{service(type_)} {kind}".strip()


FARGATE_PROVIDERS = frozenset({"FARGATE", "FARGATE_SPOT"})
SERVICE = "aws:ecs/service:Service"


def ecs_launch(service: ResourceRecord) -> str:
    """Where an ECS service's tasks run, from its own inputs: "Fargate", "EC2" or "cluster default".

    (Amazon ECS API Reference, CreateService: a capacityProviderStrategy and a launchType are exclusive;
    with neither, the cluster's default capacity provider strategy is used. Developer Guide, "Capacity
    provider strategies": FARGATE and FARGATE_SPOT are the Fargate providers, any other name is an Auto
    Scaling group capacity provider, whose tasks run on the group's EC2 instances.)"""
    providers = {item.get("capacityProvider") for item in service.inputs.get("capacityProviderStrategies") or ()}
    if providers:
        if providers <= FARGATE_PROVIDERS:
            return "Fargate"
        return "EC2" if not providers & FARGATE_PROVIDERS else "Fargate + EC2"
    launch = service.inputs.get("launchType")
    if not launch:
        return "cluster default"
    return {"FARGATE": "Fargate", "EC2": "EC2", "EXTERNAL": "external"}.get(launch, str(launch))


def label_of(record: ResourceRecord) -> str:
    """The node label of one resource: its type's, and for an ECS service where its tasks run."""
    if record.type == SERVICE:
        return f"{label(record.type)} ({ecs_launch(record)})"
    return label(record.type)


def is_hidden(record: ResourceRecord) -> bool:
    t = record.type
    if not record.custom or not t.startswith("aws:") or t in HIDDEN_TYPES or service(t) in HIDDEN_SERVICES:
        return True
    return t != "aws:s3/bucket:Bucket" and t.startswith(HIDDEN_PREFIXES)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def _tier_tag(record: ResourceRecord) -> str | None:
    value = (record.inputs.get("tags") or {}).get("Tier")
    return value if value in TIERS else None


class _Graph:
    def __init__(self, recording: Recording, shown: set[str]) -> None:
        self.by_urn = {r.urn: r for r in recording.resources}
        self.shown = shown
        self.dependents: dict[str, set[str]] = defaultdict(set)
        for r in recording.resources:
            for urns in r.property_dependencies.values():
                for urn in urns:
                    self.dependents[urn].add(r.urn)

    def deps(self, record: ResourceRecord, props: Iterable[str] | None = None) -> list[ResourceRecord]:
        keys = sorted(record.property_dependencies) if props is None else props
        urns = {u for k in keys for u in record.property_dependencies.get(k, ())}
        return [self.by_urn[u] for u in sorted(urns) if u in self.by_urn]

    def reach(self, start: Iterable[ResourceRecord], targets: set[str]) -> list[ResourceRecord]:
        """Resources in ``targets`` among ``start`` or reachable from it through hidden resources only.

        Glue in ``LINKS`` is not walked through: its link is drawn by itself (a certificate's DNS
        validation record does not make the custom domain "use" the zone)."""
        found: dict[str, ResourceRecord] = {}
        seen: set[str] = set()
        todo = list(start)
        while todo:
            r = todo.pop()
            if r.urn in seen:
                continue
            seen.add(r.urn)
            if r.urn in targets:
                found[r.urn] = r
            elif r.urn not in self.shown and r.type not in LINKS:
                todo.extend(self.deps(r))
        return [found[u] for u in sorted(found)]


def build(recording: Recording) -> Diagram:
    """Every shown resource as a node, placed by tier and AZ, with "uses" edges (see the module doc)."""
    shown = [r for r in recording.resources if not is_hidden(r)]
    shown_urns = {r.urn for r in shown}
    graph = _Graph(recording, shown_urns)
    subnet_place = {
        r.urn: (_tier_tag(r) or "app", r.inputs.get("availabilityZone"))
        for r in recording.resources
        if r.type == SUBNET
    }
    # Route tables are placed by the subnets associated with them.
    table_subnets: dict[str, set[str]] = defaultdict(set)
    for assoc in recording.of_type(ASSOCIATION):
        for table in graph.deps(assoc, ["routeTableId"]):
            table_subnets[table.urn].update(s.urn for s in graph.deps(assoc, ["subnetId"]))

    def place(r: ResourceRecord) -> tuple[str, str | None]:
        if r.urn in subnet_place:
            return subnet_place[r.urn]
        if r.type == ROUTE_TABLE and table_subnets.get(r.urn):
            subnets = sorted(table_subnets[r.urn])
        else:
            subnets = [s.urn for s in graph.reach(graph.deps(r), set(subnet_place)) if s.urn != r.urn]
        pinned_az = r.inputs.get("availabilityZone") if isinstance(r.inputs.get("availabilityZone"), str) else None
        if subnets:
            tiers = Counter(subnet_place[s][0] for s in subnets)
            tier = sorted(tiers, key=lambda t: (-tiers[t], TIERS.index(t)))[0]
            azs = {subnet_place[s][1] for s in subnets}
            return tier, pinned_az or (azs.pop() if len(azs) == 1 else None)
        if r.type in (ROUTE_TABLE, "aws:ec2/vpcEndpoint:VpcEndpoint"):
            own = _tier_tag(r)
            table_tiers = Counter(tag for t in graph.deps(r) if t.type == ROUTE_TABLE and (tag := _tier_tag(t)))
            if own or table_tiers:
                return own or sorted(table_tiers, key=lambda t: (-table_tiers[t], TIERS.index(t)))[0], None
        return TYPE_TIERS.get(r.type) or SERVICE_TIERS.get(service(r.type), DEFAULT_TIER), pinned_az

    nodes: dict[str, Node] = {}
    node_of: dict[str, str] = {}  # urn -> node id
    for r in sorted(shown, key=lambda r: r.urn):
        tier, az = place(r)
        if r.type in FOLDED_TYPES:
            node_id = _slug(f"{tier}_{az or 'all'}_{r.type.rsplit(':', 1)[-1]}")
            old = nodes.get(node_id)
            names = (*old.names, r.name) if old else (r.name,)
            nodes[node_id] = Node(node_id, r.type, label(r.type), tuple(sorted(names)), tier, az)
        else:
            base = node_id = _slug(f"{r.type.rsplit(':', 1)[-1]}_{r.name}")
            while node_id in nodes:  # the same type and name under two parents
                node_id = f"{node_id}_{base.count('_') + len(nodes)}"
            nodes[node_id] = Node(node_id, r.type, label_of(r), (r.name,), tier, az)
        node_of[r.urn] = node_id

    edge_targets = {u for u in shown_urns if graph.by_urn[u].type not in FOLDED_TYPES | PLACEMENT_TYPES}
    edges: set[tuple[str, str]] = set()
    for r in shown:
        if r.type in FOLDED_TYPES:
            continue
        for target in graph.reach(graph.deps(r), edge_targets):
            if target.urn != r.urn:
                edges.add((node_of[r.urn], node_of[target.urn]))

    def resolve(records: list[ResourceRecord]) -> list[ResourceRecord]:
        """Shown resources behind ``records``: themselves, what hidden ones use, or else what uses them."""
        out: dict[str, ResourceRecord] = {}
        for rec in records:
            if rec.urn in shown_urns:
                out[rec.urn] = rec
                continue
            if rec.type in LINKS:  # a listener stands for its load balancer, not its certificate
                below = resolve(graph.deps(rec, [LINKS[rec.type][0]]))
            else:
                below = graph.reach(graph.deps(rec), edge_targets)
            above = [graph.by_urn[u] for u in sorted(graph.dependents.get(rec.urn, ())) if u in shown_urns]
            for x in below or above:
                out[x.urn] = x
        return [out[u] for u in sorted(out)]

    for r in recording.resources:
        if r.type not in LINKS:
            continue
        source_prop, target_props = LINKS[r.type]
        for source in resolve(graph.deps(r, [source_prop])):
            for target in resolve(graph.deps(r, target_props)):
                if source.urn != target.urn and target.type not in FOLDED_TYPES:
                    edges.add((node_of[source.urn], node_of[target.urn]))

    vpcs = recording.of_type("aws:ec2/vpc:Vpc")
    azs = sorted({az for _, az in subnet_place.values() if az})
    return Diagram(
        project=recording.project,
        stack=recording.stack,
        vpc_cidr=vpcs[0].inputs.get("cidrBlock") if len(vpcs) == 1 else None,
        availability_zones=azs,
        nodes=sorted(nodes.values(), key=_node_order),
        edges=sorted(edges),
    )


def _node_order(n: Node) -> tuple[object, ...]:
    return (TIERS.index(n.tier) if n.tier in TIERS else len(TIERS), n.az or "~", n.label, n.names)


def compact(diagram: Diagram) -> Diagram:
    """One node per resource type (and refined label) and place, counted; edges merged."""
    merged: dict[str, Node] = {}
    node_map: dict[str, str] = {}
    for n in diagram.nodes:
        key = _slug(f"{n.tier}_{n.az or 'all'}_{n.type.rsplit(':', 1)[-1]}")
        if n.label != label(n.type):  # a refined label (an ECS service's launch) keeps its own node
            key = _slug(f"{key}_{n.label[len(label(n.type)) :]}")
        old = merged.get(key)
        merged[key] = replace(n, id=key, names=tuple(sorted((*old.names, *n.names))) if old else n.names)
        node_map[n.id] = key
    edges = {(node_map[a], node_map[b]) for a, b in diagram.edges if node_map[a] != node_map[b]}
    return replace(diagram, nodes=sorted(merged.values(), key=_node_order), edges=sorted(edges))
