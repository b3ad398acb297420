"""The README picture of a stack: AWS icons, one node per logical thing with its count, laid out like the
source designs (users -> Route 53 -> CloudFront + WAF -> load balancer -> compute in each AZ -> cache,
database and tables; S3, Cognito and CloudWatch beside them).

Built from the recording alone (resource types, names, counts and inputs), drawn with the ``diagrams``
library over Graphviz. Placement per AZ comes from the inputs AWS itself uses: a NAT gateway's subnet,
a read replica's ``availabilityZone``, the cache's ``preferredCacheClusterAzs``, and the subnets of
the ECS services and the Auto Scaling group (their tasks and instances are spread over those AZs, so
each AZ box shows its share).

Two files per stack in ``docs/``: ``architecture-<stack>.dot``, the Graphviz source with stable node
ids and icon paths relative to the ``diagrams`` package, and ``architecture-<stack>.png``, rendered
from it. PNG bytes differ between Graphviz builds, so the staleness test compares the DOT source, and
the PNG carries the SHA-256 of the DOT it was rendered from in a ``tEXt`` chunk (key ``dot-sha256``):
a test checks that the committed PNG was rendered from the committed DOT, without needing Graphviz.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import diagrams
from diagrams import Cluster, Diagram, Edge, Node, setdiagram
from diagrams.aws.compute import EC2AutoScaling, ElasticContainerServiceService, Fargate, Lambda
from diagrams.aws.database import RDS, Dynamodb, ElastiCache
from diagrams.aws.integration import SNS, SQS, Eventbridge
from diagrams.aws.management import Cloudwatch, CloudwatchAlarm
from diagrams.aws.network import (
    APIGateway,
    CloudFront,
    ElbApplicationLoadBalancer,
    ElbNetworkLoadBalancer,
    Endpoint,
    NATGateway,
    Route53,
)
from diagrams.aws.security import KMS, WAF, Cognito, SecretsManager
from diagrams.aws.storage import S3
from diagrams.onprem.client import Users

from offline.diagram_model import ecs_launch
from offline.engine import Recording, ResourceRecord

ICON_ROOT = str(Path(diagrams.__file__).resolve().parent.parent)
ICON_PLACEHOLDER = "<diagrams>"
PNG_KEY = "dot-sha256"
GRAPH = {"fontsize": "22", "pad": "0.4", "nodesep": "0.9", "ranksep": "0.9", "compound": "true"}
NODE = {"fontsize": "12"}


class _Picture(Diagram):
    """A Diagram that only builds the graph: rendering is ours, from the normalised source."""

    def __exit__(self, *exc: object) -> None:
        setdiagram(None)


def _count(label: str, n: int) -> str:
    return label if n == 1 else f"{label} ×{n}"


class _Builder:
    def __init__(self, recording: Recording) -> None:
        self.rec = recording
        self.by_urn = {r.urn: r for r in recording.resources}
        self.home = recording.config.get("aws:region", "us-east-1")
        self.subnet_az = {r.urn: r.inputs.get("availabilityZone") for r in recording.of_type("aws:ec2/subnet:Subnet")}
        self.azs = sorted({az for az in self.subnet_az.values() if isinstance(az, str)})

    def of(self, type_: str, region: str | None = None) -> list[ResourceRecord]:
        return [r for r in self.rec.of_type(type_) if region is None or self.region(r) == region]

    def region(self, r: ResourceRecord) -> str:
        value = r.inputs.get("region")
        return value if isinstance(value, str) and value else self.home

    def azs_of(self, r: ResourceRecord, prop: str) -> list[str]:
        urns = r.property_dependencies.get(prop, ())
        return sorted({az for u in urns if isinstance(az := self.subnet_az.get(u), str)})


def build_dot(recording: Recording) -> str:
    """The Graphviz source of the picture, deterministic (stable ids, icon paths relative to diagrams)."""
    return _normalise(_graph(recording).source)


def _graph(recording: Recording) -> Any:
    b = _Builder(recording)
    n_az = max(len(b.azs), 1)
    title = f"{recording.project}/{recording.stack}: {b.home}, {len(b.azs)} AZs ({len(recording.resources)} resources)"
    with _Picture(title, filename=f"architecture-{recording.stack}", direction="TB", curvestyle="curved", show=False,
                  graph_attr=GRAPH, node_attr=NODE) as picture:  # fmt: skip
        users = Users("Viewers", nodeid="users")
        zones, checks = b.of("aws:route53/zone:Zone"), b.of("aws:route53/healthCheck:HealthCheck")
        zone = _count("hosted zone", len(zones)) if zones else "adopted hosted zone"  # hostedZoneId: not ours
        dns = Route53(f"Route 53\n{zone}, {_count('health check', len(checks))}", nodeid="route53")
        users >> dns
        with _cluster("Edge (global)", "edge"):
            cdn = CloudFront(_count("CloudFront distribution", len(b.of("aws:cloudfront/distribution:Distribution"))),
                             nodeid="cloudfront")  # fmt: skip
            edge_acls = [a for a in b.of("aws:wafv2/webAcl:WebAcl") if a.inputs.get("scope") == "CLOUDFRONT"]
            waf = WAF(
                f"WAF web ACL\n{sum(len(a.inputs.get('rules') or ()) for a in edge_acls)} rules", nodeid="waf_edge"
            )
            waf - Edge(style="dashed") - cdn
            cognito = Cognito(_count("Cognito user pool", len(b.of("aws:cognito/userPool:UserPool"))), nodeid="cognito")
        dns >> cdn
        with _cluster(f"Region {b.home}", "region"):
            api = None
            if b.of("aws:apigateway/restApi:RestApi"):
                api = APIGateway("API Gateway REST API\n(Cognito authorizer)", nodeid="api")
                cognito >> Edge(style="dotted") >> api
            vpcs = b.of("aws:ec2/vpc:Vpc")
            cidr = vpcs[0].inputs.get("cidrBlock", "") if len(vpcs) == 1 else ""
            with _cluster(f"VPC {cidr}", "vpc"):
                lbs = b.of("aws:lb/loadBalancer:LoadBalancer")
                albs = [lb for lb in lbs if lb.inputs.get("loadBalancerType", "application") == "application"]
                nlbs = [lb for lb in lbs if lb.inputs.get("loadBalancerType") == "network"]
                alb = ElbApplicationLoadBalancer(_count("Application Load Balancer", len(albs)) + "\n(regional WAF)",
                                                 nodeid="alb")  # fmt: skip
                nlb = ElbNetworkLoadBalancer(_count("internal NLB", len(nlbs)), nodeid="nlb") if nlbs else None
                endpoints = [e for e in b.of("aws:ec2/vpcEndpoint:VpcEndpoint")]
                kinds = Counter(e.inputs.get("vpcEndpointType", "Gateway") for e in endpoints)
                Endpoint(
                    "VPC endpoints\n" + ", ".join(f"{k.lower()} ×{v}" for k, v in sorted(kinds.items())),
                    nodeid="endpoints",
                )
                az_tasks, az_fleet, az_cache, az_replicas = _az_boxes(b, n_az)
                primaries = [d for d in b.of("aws:rds/instance:Instance") if not d.inputs.get("replicateSourceDb")]
                if primaries:
                    for i, db in enumerate(primaries):
                        standby = " + Multi-AZ standby" if db.inputs.get("multiAz") else ""
                        gb = int(db.inputs.get("allocatedStorage") or 0)
                        label = f"RDS PostgreSQL {db.inputs.get('instanceClass')}\nprimary{standby}\n{gb} GB gp3"
                        primary = RDS(label, nodeid=f"rds_{i}")
                        for tasks in az_tasks.values():
                            tasks >> primary
                        for replica in az_replicas.values():
                            primary >> Edge(style="dashed") >> replica
                for az, tasks in az_tasks.items():
                    if az in az_cache:
                        tasks >> az_cache[az]
                for az in az_tasks:
                    alb >> az_tasks[az]
                    if nlb is not None:
                        nlb >> az_tasks[az]
                for az in az_fleet:
                    alb >> az_fleet[az]
            if api is not None and nlb is not None:
                api >> Edge(xlabel="VPC link") >> nlb
            with _cluster("Tables, objects and secrets", "stores"):
                tables = Dynamodb(_count("DynamoDB table", len(b.of("aws:dynamodb/table:Table"))) + "\non-demand",
                                  nodeid="dynamodb")  # fmt: skip
                buckets = b.of("aws:s3/bucket:Bucket", b.home)
                s3 = S3(_count("S3 bucket", len(buckets)) + "\n(uploads, renditions, logs)", nodeid="s3")
                SecretsManager(_count("Secrets Manager secret", len(b.of("aws:secretsmanager/secret:Secret"))),
                               nodeid="secrets")  # fmt: skip
                KMS(_count("KMS key", len(b.of("aws:kms/key:Key", b.home))), nodeid="kms")
            first = next(iter(az_tasks.values()), None)
            if first is not None:
                first >> Edge(ltail="cluster_vpc", lhead="cluster_stores") >> tables
            with _cluster("Media pipeline", "media"):
                queues = SQS(_count("SQS queue", len(b.of("aws:sqs/queue:Queue"))) + "\n(uploads, DLQs)", nodeid="sqs")
                functions = Lambda(
                    _count("Lambda function", len(b.of("aws:lambda/function:Function"))), nodeid="lambda"
                )
                s3 >> Edge() >> queues >> functions
                if b.of("aws:cloudwatch/eventRule:EventRule"):
                    functions >> Eventbridge("EventBridge rule\n(MediaConvert job state)", nodeid="events")
            with _cluster("Observability", "observability"):
                alarms = b.of("aws:cloudwatch/metricAlarm:MetricAlarm")
                CloudwatchAlarm(_count("CloudWatch alarm", len(alarms)), nodeid="alarms")
                Cloudwatch(
                    _count("dashboard", len(b.of("aws:cloudwatch/dashboard:Dashboard")))
                    + "\n"
                    + _count("log group", len(b.of("aws:cloudwatch/logGroup:LogGroup"))),
                    nodeid="cloudwatch",
                )
                SNS(_count("SNS alarm topic", len(b.of("aws:sns/topic:Topic"))), nodeid="sns")
        cdn >> Edge() >> alb
        cdn >> Edge() >> s3
        for region in sorted({b.region(r) for r in b.of("aws:s3/bucket:Bucket")} - {b.home}):
            with _cluster(f"DR region {region}", f"dr_{region}"):
                dr = b.of("aws:s3/bucket:Bucket", region)
                keys = _count("KMS key", len(b.of("aws:kms/key:Key", region)))
                replica = S3(
                    _count("S3 replica bucket", len(dr)) + f"\n{keys}", nodeid=f"s3_{region.replace('-', '_')}"
                )
            s3 >> Edge(style="dashed", xlabel="cross-region replication") >> replica
    return picture.dot


def _az_boxes(b: _Builder, n_az: int) -> tuple[dict[str, Node], dict[str, Node], dict[str, Node], dict[str, Node]]:
    """One box per AZ: its NAT gateway, its share of the ECS tasks (on Fargate, and on the fleet through its
    capacity provider) and of the fleet, its cache nodes, its replicas. The second dict is what the load
    balancer reaches on the fleet: the ECS tasks placed there, else the instances themselves."""
    services = b.of("aws:ecs/service:Service")
    on_fargate = [s for s in services if ecs_launch(s) == "Fargate"]
    on_fleet = [s for s in services if ecs_launch(s) == "EC2"]
    groups = b.of("aws:autoscaling/group:Group")
    caches = b.of("aws:elasticache/replicationGroup:ReplicationGroup")
    cache_azs = Counter(az for c in caches for az in (c.inputs.get("preferredCacheClusterAzs") or ()))
    nat_azs = Counter(az for nat in b.of("aws:ec2/natGateway:NatGateway") for az in b.azs_of(nat, "subnetId"))
    tasks: dict[str, Node] = {}
    fleet_tasks: dict[str, Node] = {}
    fleet: dict[str, Node] = {}
    cache: dict[str, Node] = {}
    replicas: dict[str, Node] = {}
    dbs = b.of("aws:rds/instance:Instance")
    replica_azs = Counter(d.inputs.get("availabilityZone") for d in dbs if d.inputs.get("replicateSourceDb"))
    for az in b.azs:
        slug = az.replace("-", "_")
        with _cluster(f"Availability Zone {az}", f"az_{slug}"):
            if nat_azs[az]:
                NATGateway(_count("NAT gateway", nat_azs[az]), nodeid=f"nat_{slug}")
            if on_fargate:
                label = f"ECS on Fargate\n{_count('service', len(on_fargate))}, {_task_share(on_fargate, n_az)}"
                tasks[az] = Fargate(label, nodeid=f"tasks_{slug}")
            if on_fleet:
                label = f"ECS on the EC2 fleet\n{_count('service', len(on_fleet))}, {_task_share(on_fleet, n_az)}"
                fleet_tasks[az] = ElasticContainerServiceService(label, nodeid=f"fleet_tasks_{slug}")
            for g in groups:
                minimum = int(g.inputs.get("minSize") or 0)
                share = f"{minimum // n_az}" if minimum % n_az == 0 else f"{minimum}/{n_az}"
                maximum = int(g.inputs.get("maxSize") or 0)
                label = f"EC2 fleet ({_fleet_type(g)})\n{share} of min {minimum}, max {maximum}"
                fleet[az] = EC2AutoScaling(label, nodeid=f"fleet_{slug}")
                if az in fleet_tasks:
                    fleet_tasks[az] >> Edge(style="dashed", xlabel="capacity provider") >> fleet[az]
            for c in caches:
                if cache_azs[az]:
                    cache[az] = ElastiCache(f"ElastiCache {c.inputs.get('nodeType')}\n{_count('node', cache_azs[az])}",
                                            nodeid=f"cache_{slug}")  # fmt: skip
            if replica_azs[az]:
                replicas[az] = RDS(
                    _count("RDS read replica", replica_azs[az]) + "\n(async from the primary)", nodeid=f"replica_{slug}"
                )
    return tasks, fleet_tasks or fleet, cache, replicas


def _task_share(services: list[ResourceRecord], n_az: int) -> str:
    """Each AZ's share of the services' minimum tasks (desiredCount), spread over the AZs."""
    total = sum(int(s.inputs.get("desiredCount") or 0) for s in services)
    if total % n_az:
        return f"{total} tasks over {n_az} AZs"
    return f"~{total // n_az} task" + ("s" if total // n_az != 1 else "")


def _fleet_type(group: ResourceRecord) -> str:
    overrides = ((group.inputs.get("mixedInstancesPolicy") or {}).get("launchTemplate") or {}).get("overrides") or []
    return str(overrides[0].get("instanceType")) if overrides else "launch template"


@contextmanager
def _cluster(label: str, name: str) -> Iterator[Cluster]:
    """A cluster with a stable Graphviz name (diagrams derives it from the label otherwise)."""
    with Cluster(label) as cluster:
        cluster.dot.name = f"cluster_{name}"
        yield cluster


def _normalise(source: str) -> str:
    return source.replace(ICON_ROOT, ICON_PLACEHOLDER)


def render_png(dot_source: str) -> bytes:
    """Render normalised DOT with the local Graphviz, and stamp the PNG with the DOT's SHA-256."""
    import graphviz

    png = graphviz.Source(dot_source.replace(ICON_PLACEHOLDER, ICON_ROOT)).pipe(format="png", quiet=True)
    return stamp_png(png, dot_sha256(dot_source))


def dot_sha256(dot_source: str) -> str:
    return hashlib.sha256(dot_source.encode()).hexdigest()


def stamp_png(png: bytes, digest: str) -> bytes:
    """Put one tEXt chunk ``dot-sha256=<digest>`` right after IHDR (PNG spec, 11.3.4.3), replacing any earlier one."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    chunks = []
    for kind, data, raw in _chunks(png):
        if not (kind == b"tEXt" and data.partition(b"\0")[0] == PNG_KEY.encode()):
            chunks.append(raw)
    body = PNG_KEY.encode() + b"\0" + digest.encode()
    stamp = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
    return png[:8] + chunks[0] + stamp + b"".join(chunks[1:])


def _chunks(png: bytes) -> Iterator[tuple[bytes, bytes, bytes]]:
    pos = 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        yield png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length], png[pos : pos + 12 + length]
        pos += 12 + length


def png_text(png: bytes) -> dict[str, str]:
    """The tEXt chunks of a PNG."""
    out = {}
    for kind, data, _ in _chunks(png):
        if kind == b"tEXt":
            key, _, value = data.partition(b"\0")
            out[key.decode("latin-1")] = value.decode("latin-1")
    return out
