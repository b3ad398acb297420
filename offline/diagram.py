"""The architecture pictures of a stack, generated from what the program registered; never drawn by hand.

    python -m offline.diagram [--stack prod]   rewrite docs/architecture-<stack>.{dot,png,drawio} (default:
                                               dev and prod) and the picture block of README.md
    python -m offline.diagram --check          exit 1 when any of them is stale (the tests run this)

The README picture (AWS icons, one node per logical thing with its count) is ``offline/picture.py``;
this module draws the every-resource views: draw.io (``docs/architecture-<stack>.drawio``) and, for
``offline.preview --diagram FILE.mmd``, a compact Mermaid flowchart. Both follow these rules:

The picture is derived from the recording (``offline.engine``) alone:

* **Which resources.** Every AWS resource is a node, except configuration and glue (IAM, bucket
  sub-resources, security group rules, target groups, listeners...), which are hidden. Log groups,
  KMS keys, security groups and alarms are folded into one counted node per place.
* **Where.** Subnets sit in their ``Tier`` tag's tier and their AZ. Any other resource is placed by
  following its property dependencies (through hidden resources, such as a DB subnet group) to the
  subnets it runs in: one AZ puts it in that AZ's box, several put it at tier level. Route tables
  are placed by the subnets associated with them. Resources outside the VPC go to their service's tier
  (``SERVICE_TIERS``), and a service nobody listed yet goes to ``operations``, so a new tier
  never breaks the picture; it only asks for a line in that table.
* **Edges.** "A uses B": the property dependencies of A that reach B, directly or through hidden
  resources (an ECS service reaches the tables and buckets named in its task definition). Links that
  live in glue resources are drawn between the resources they connect (``LINKS``: route, listener,
  event source mapping, bucket notification, WAF association, DNS record, event target). Edges to the
  VPC, subnets, route tables and folded nodes are left out: placement shows those.

Two renderings: draw.io XML with every resource (the format the source designs came in) and a compact
Mermaid flowchart where the resources of one type in one place are one counted node.
"""

from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from offline.engine import PROJECT_DIR, Recording, ResourceRecord

BEGIN, END = "<!-- architecture:begin -->", "<!-- architecture:end -->"
DOCS_DIR = PROJECT_DIR / "docs"

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
            nodes[node_id] = Node(node_id, r.type, label(r.type), (r.name,), tier, az)
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
    """One node per resource type and place, counted; edges merged. For the README."""
    merged: dict[str, Node] = {}
    node_map: dict[str, str] = {}
    for n in diagram.nodes:
        key = _slug(f"{n.tier}_{n.az or 'all'}_{n.type.rsplit(':', 1)[-1]}")
        old = merged.get(key)
        merged[key] = replace(n, id=key, names=tuple(sorted((*old.names, *n.names))) if old else n.names)
        node_map[n.id] = key
    edges = {(node_map[a], node_map[b]) for a, b in diagram.edges if node_map[a] != node_map[b]}
    return replace(diagram, nodes=sorted(merged.values(), key=_node_order), edges=sorted(edges))


# --- rendering -----------------------------------------------------------------------------------


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def render_mermaid(diagram: Diagram) -> str:
    """A Mermaid flowchart: one subgraph per tier, one per AZ inside the VPC tiers."""
    lines = [
        "flowchart LR",
        f"  %% {diagram.project}/{diagram.stack}: generated by `make docs` (python -m offline.diagram); do not edit",
    ]
    for tier in TIERS:
        tier_nodes = [n for n in diagram.nodes if n.tier == tier]
        if not tier_nodes:
            continue
        title = TIER_TITLES[tier]
        if tier == "public" and diagram.vpc_cidr:
            title = f"VPC {diagram.vpc_cidr}: {title}"
        lines.append(f'  subgraph tier_{tier}["{_mermaid_text(title)}"]')
        for az in sorted({n.az for n in tier_nodes if n.az}):
            lines.append(f'    subgraph {tier}_{_slug(az)}["{az}"]')
            lines.extend(f"      {_mermaid_node(n)}" for n in diagram.in_box(tier, az))
            lines.append("    end")
        lines.extend(f"    {_mermaid_node(n)}" for n in diagram.in_box(tier, None))
        lines.append("  end")
    lines.extend(f"  {a} --> {b}" for a, b in diagram.edges)
    return "\n".join(lines) + "\n"


def _mermaid_node(n: Node) -> str:
    text = f"{n.label}<br/>{n.names[0]}" if n.count == 1 else f"{n.label} ×{n.count}"
    return f'{n.id}["{_mermaid_text(text)}"]'


NODE_W, NODE_H, GAP, HEADER = 180, 56, 20, 30


def render_drawio(diagram: Diagram) -> str:
    """draw.io XML (uncompressed mxGraphModel): a column per tier, an AZ box per AZ, every resource named."""
    root = ET.Element("root")
    ET.SubElement(root, "mxCell", {"id": "0"})
    ET.SubElement(root, "mxCell", {"id": "1", "parent": "0"})

    def vertex(attrs: dict[str, str], x: int, y: int, w: int, h: int) -> None:
        cell = ET.SubElement(root, "mxCell", {**attrs, "vertex": "1"})
        geometry = {"x": str(x), "y": str(y), "width": str(w), "height": str(h), "as": "geometry"}
        ET.SubElement(cell, "mxGeometry", geometry)

    def box(cell_id: str, parent: str, value: str, x: int, y: int, w: int, h: int, fill: str) -> None:
        style = f"swimlane;startSize={HEADER};rounded=1;fillColor={fill};swimlaneFillColor=#ffffff;html=1;"
        vertex({"id": cell_id, "value": value, "style": style, "parent": parent}, x, y, w, h)

    def node(n: Node, parent: str, x: int, y: int, fill: str) -> None:
        value = f"{n.label}<br><b>{n.names[0]}</b>" if n.count == 1 else f"{n.label} ×{n.count}"
        style = f"rounded=1;whiteSpace=wrap;html=1;fillColor={fill};"
        attrs = {"id": n.id, "value": value, "tooltip": ", ".join(n.names), "style": style, "parent": parent}
        vertex(attrs, x, y, NODE_W, NODE_H)

    x = 0
    for tier in TIERS:
        tier_nodes = [n for n in diagram.nodes if n.tier == tier]
        if not tier_nodes:
            continue
        azs = sorted({n.az for n in tier_nodes if n.az})
        loose = diagram.in_box(tier, None)
        az_rows = max((len(diagram.in_box(tier, az)) for az in azs), default=0)
        az_h = HEADER + GAP + az_rows * (NODE_H + GAP)
        az_w = NODE_W + 2 * GAP
        cols = max(len(azs), 2)
        width = GAP + cols * (az_w + GAP)
        loose_rows = -(-len(loose) // cols)
        height = HEADER + GAP + (az_h + GAP if azs else 0) + loose_rows * (NODE_H + GAP)
        fill = TIER_COLORS[tier]
        title = TIER_TITLES[tier]
        if tier == "public" and diagram.vpc_cidr:
            title = f"VPC {diagram.vpc_cidr}: {title}"
        box(f"tier_{tier}", "1", title, x, 0, width, height, fill)
        for i, az in enumerate(azs):
            az_id = f"{tier}_{_slug(az)}"
            box(az_id, f"tier_{tier}", az, GAP + i * (az_w + GAP), HEADER + GAP, az_w, az_h, fill)
            for row, n in enumerate(diagram.in_box(tier, az)):
                node(n, az_id, GAP, HEADER + GAP + row * (NODE_H + GAP), fill)
        top = HEADER + GAP + (az_h + GAP if azs else 0)
        for i, n in enumerate(loose):
            col, row = i % cols, i // cols
            node(n, f"tier_{tier}", GAP + col * (az_w + GAP) + GAP, top + row * (NODE_H + GAP), fill)
        x += width + 4 * GAP

    for i, (a, b) in enumerate(diagram.edges):
        style = "edgeStyle=orthogonalEdgeStyle;rounded=1;html=1;endArrow=block;strokeColor=#666666;"
        attrs = {"id": f"e{i}", "style": style, "edge": "1", "parent": "1", "source": a, "target": b}
        cell = ET.SubElement(root, "mxCell", attrs)
        ET.SubElement(cell, "mxGeometry", {"relative": "1", "as": "geometry"})

    model = ET.Element("mxGraphModel", {"grid": "1", "gridSize": "10", "page": "0", "arrows": "1"})
    model.append(root)
    mxfile = ET.Element("mxfile", {"host": "offline.diagram"})
    page = ET.SubElement(mxfile, "diagram", {"id": f"{diagram.project}-{diagram.stack}", "name": diagram.stack})
    page.append(model)
    ET.indent(mxfile)
    return ET.tostring(mxfile, encoding="unicode") + "\n"


def render(diagram: Diagram, suffix: str) -> str:
    """The diagram in the format a file suffix asks for: .drawio (every resource) or .mmd/.md (compact)."""
    if suffix == ".drawio":
        return render_drawio(diagram)
    if suffix == ".mmd":
        return render_mermaid(compact(diagram))
    if suffix == ".md":
        return f"```mermaid\n{render_mermaid(compact(diagram))}```\n"
    raise ValueError(f"diagram file suffix: got {suffix!r}; allowed: .drawio, .mmd, .md")


# --- generated files -----------------------------------------------------------------------------

README_STACKS = ("dev", "prod")


def readme_block() -> str:
    """The README's picture block: the PNG of each stack, linked to its DOT source and draw.io file."""
    parts = ["\n"]
    for stack in README_STACKS:
        parts.append(
            f"**{stack}** ([DOT source](docs/architecture-{stack}.dot), "
            f"[every resource by name](docs/architecture-{stack}.drawio)):\n\n"
            f"![{stack} architecture](docs/architecture-{stack}.png)\n\n"
        )
    return "".join(parts)


def readme_with_pictures(readme: str) -> str:
    start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
    return readme[:start] + readme_block() + readme[end:]


def generated_files(recording: Recording, project_dir: Path = PROJECT_DIR) -> dict[Path, str]:
    """The text files generated from one recording: the picture's DOT source and the draw.io file
    (and the README block, which is the same for every stack). The PNG is rendered from the DOT."""
    from offline.picture import build_dot

    docs = project_dir / "docs"
    files = {
        docs / f"architecture-{recording.stack}.dot": build_dot(recording),
        docs / f"architecture-{recording.stack}.drawio": render_drawio(build(recording)),
    }
    readme = project_dir / "README.md"
    if readme.exists() and BEGIN in readme.read_text():
        files[readme] = readme_with_pictures(readme.read_text())
    return files


def stale_files(recording: Recording, project_dir: Path = PROJECT_DIR) -> list[Path]:
    """Generated files that differ from what the recording gives, and a PNG not rendered from its DOT."""
    from offline.picture import dot_sha256, png_text

    files = generated_files(recording, project_dir)
    stale = [path for path, text in files.items() if not path.exists() or path.read_text() != text]
    png = project_dir / "docs" / f"architecture-{recording.stack}.png"
    dot = files[project_dir / "docs" / f"architecture-{recording.stack}.dot"]
    if not png.exists() or png_text(png.read_bytes()).get("dot-sha256") != dot_sha256(dot):
        stale.append(png)
    return stale


def main(argv: list[str] | None = None) -> int:
    from offline.engine import run_program
    from offline.picture import render_png

    parser = argparse.ArgumentParser(prog="python -m offline.diagram", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", action="append", help=f"repeatable; default: {', '.join(README_STACKS)}")
    parser.add_argument("--check", action="store_true", help="fail when a generated file is stale")
    args = parser.parse_args(argv)
    stale: list[Path] = []
    for stack in args.stack or README_STACKS:
        recording = run_program(stack, preview=True)
        if args.check:
            stale += stale_files(recording)
            continue
        for path, text in generated_files(recording).items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(PROJECT_DIR)}")
            if path.suffix == ".dot":
                png = path.with_suffix(".png")
                png.write_bytes(render_png(text))
                print(f"wrote {png.relative_to(PROJECT_DIR)}")
    for path in stale:
        print(f"stale: {path.relative_to(PROJECT_DIR)} (run `make docs`)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT_DIR))
    sys.exit(main())
