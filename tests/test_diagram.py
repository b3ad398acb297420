"""The architecture pictures are generated from the recording, regenerate identically, and show tiers and AZs.

The README pictures (offline/picture.py) are checked through their DOT source, which is deterministic;
the every-resource draw.io and Mermaid views (offline/diagram.py) through their placement model."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from offline import diagram
from offline.diagram import BEGIN, END, Diagram, Node, build, compact, readme_block, render_drawio, render_mermaid
from offline.engine import PROJECT_DIR, Recording, ResourceRecord
from offline.picture import ICON_PLACEHOLDER, build_dot, dot_sha256, png_text, render_png, stamp_png
from offline.preview import main as preview_main

PROD_AZS = ["us-west-2a", "us-west-2b", "us-west-2c"]


@pytest.fixture(scope="module")
def prod(recording) -> Recording:
    return recording("prod")


@pytest.fixture(scope="module")
def prod_diagram(prod) -> Diagram:
    return build(prod)


def nodes_of(d: Diagram, type_: str) -> list[Node]:
    return [n for n in d.nodes if n.type == type_]


def only(d: Diagram, type_: str, name: str) -> Node:
    (node,) = [n for n in d.nodes if n.type == type_ and name in n.names]
    return node


@pytest.fixture(scope="module")
def dev(recording) -> Recording:
    return recording("dev")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_generated_files_match_the_code(stack, recording):
    """Stale? Run `make docs` (python -m offline.diagram) and commit the result (DOT, PNG, draw.io, README)."""
    assert diagram.stale_files(recording(stack)) == []


def test_readme_shows_the_png_of_each_stack_once():
    readme = (PROJECT_DIR / "README.md").read_text()
    assert readme.count(BEGIN) == 1 and readme.count(END) == 1
    block = readme[readme.index(BEGIN) + len(BEGIN) : readme.index(END)]
    assert block == readme_block()
    images = re.findall(r"!\[[^]]*\]\((docs/architecture-(\w+)\.png)\)", block)
    assert [stack for _, stack in images] == ["dev", "prod"]
    for path, _ in images:
        assert (PROJECT_DIR / path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "```mermaid" not in readme


def test_a_png_not_rendered_from_the_committed_dot_is_stale(prod, tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for path, text in diagram.generated_files(prod, tmp_path).items():
        path.write_text(text)
    dot = build_dot(prod)
    png = docs / "architecture-prod.png"
    png.write_bytes(stamp_png((PROJECT_DIR / "docs" / "architecture-prod.png").read_bytes(), dot_sha256(dot + " ")))
    assert diagram.stale_files(prod, tmp_path) == [png]
    png.write_bytes(stamp_png((PROJECT_DIR / "docs" / "architecture-prod.png").read_bytes(), dot_sha256(dot)))
    assert diagram.stale_files(prod, tmp_path) == []
    (docs / "architecture-prod.dot").write_text(dot.replace("NAT gateway", "NAT"))
    assert diagram.stale_files(prod, tmp_path) == [docs / "architecture-prod.dot"]


def test_png_stamp_is_a_valid_text_chunk_after_the_header():
    png = (PROJECT_DIR / "docs" / "architecture-dev.png").read_bytes()
    stamped = stamp_png(png, "abc123")
    assert png_text(stamped)["dot-sha256"] == "abc123"
    # after IHDR: signature (8) + IHDR chunk (4 length + 4 type + 13 data + 4 crc)
    assert stamped[33 + 4 : 33 + 8] == b"tEXt"
    with pytest.raises(ValueError, match="not a PNG"):
        stamp_png(b"GIF89a" + png[6:], "x")


def dot_nodes(dot: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """node id -> (label, the clusters it sits in, outermost first)."""
    clusters: list[str] = []
    nodes: dict[str, tuple[str, tuple[str, ...]]] = {}
    token = re.compile(r'subgraph "?(cluster_[\w-]+)"? \{|^\s*\}\s*$|^\s*(\w+) \[label=(?:"([^"]*)"|(\w+))', re.M)
    for m in token.finditer(dot):
        if m.group(1):
            clusters.append(m.group(1))
        elif m.group(2):
            nodes[m.group(2)] = (m.group(3) or m.group(4), tuple(clusters))
        elif clusters:
            clusters.pop()
        else:  # the closing brace of the digraph itself
            assert dot[m.end() :].strip() == ""
    assert clusters == []
    return nodes


def test_prod_picture_puts_each_az_nat_gateway_tasks_fleet_and_cache_node_in_its_az_box(prod):
    nodes = dot_nodes(build_dot(prod))
    for az in PROD_AZS:
        slug = az.replace("-", "_")
        box = ("cluster_region", "cluster_vpc", f"cluster_az_{slug}")
        assert nodes[f"nat_{slug}"] == ("NAT gateway", box)
        # 5 services x 3 tasks / 3 AZs on Fargate; the frontend's 3 tasks on the fleet's capacity provider
        assert nodes[f"tasks_{slug}"] == ("ECS on Fargate\nservice ×5, ~5 tasks", box)
        assert nodes[f"fleet_tasks_{slug}"] == ("ECS on the EC2 fleet\nservice, ~1 task", box)
        assert nodes[f"fleet_{slug}"] == ("EC2 fleet (t3.large)\n1 of min 3, max 12", box)
        assert nodes[f"cache_{slug}"] == ("ElastiCache cache.r7g.large\nnode", box)
    assert {k: v[1][-1] for k, v in nodes.items() if k.startswith("replica_")} == {
        "replica_us_west_2b": "cluster_az_us_west_2b",
        "replica_us_west_2c": "cluster_az_us_west_2c",
    }
    assert nodes["rds_0"] == (
        "RDS PostgreSQL db.r7g.large\nprimary + Multi-AZ standby\n200 GB gp3",
        ("cluster_region", "cluster_vpc"),
    )
    assert nodes["s3_us_east_2"] == ("S3 replica bucket ×2\nKMS key", ("cluster_dr_us-east-2",))
    assert nodes["alarms"][0] == "CloudWatch alarm ×63"  # 61 in us-west-2 (4 S3 replication), 2 in us-east-1
    assert nodes["waf_edge"] == ("WAF web ACL\n6 rules", ("cluster_edge",))  # + rate-limit-media
    assert nodes["users"] == ("Viewers", ()) and nodes["route53"] == ("Route 53\nadopted hosted zone, health check", ())


def test_dev_picture_has_one_nat_gateway_two_az_boxes_and_no_fleet(dev):
    nodes = dot_nodes(build_dot(dev))
    assert [k for k in nodes if k.startswith("nat_")] == ["nat_us_east_2a"]
    assert sorted({v[1][-1] for v in nodes.values() if v[1] and v[1][-1].startswith("cluster_az_")}) == [
        "cluster_az_us_east_2a",
        "cluster_az_us_east_2b",
    ]
    assert not [k for k in nodes if k.startswith(("fleet_", "replica_", "s3_us"))]
    assert nodes["tasks_us_east_2a"][0] == "ECS on Fargate\nservice ×6, ~6 tasks"  # 6 services x 2 tasks / 2 AZs
    assert not [k for k in nodes if k.startswith("fleet_tasks_")]  # every dev service is on FARGATE_SPOT


def test_picture_edges_follow_the_request_path(prod):
    dot = build_dot(prod)
    edges = set(re.findall(r"^\s*(\w+) -> (\w+)", dot, re.M))
    assert {("users", "route53"), ("route53", "cloudfront"), ("cloudfront", "alb"), ("cloudfront", "s3")} <= edges
    assert {("alb", f"tasks_{az.replace('-', '_')}") for az in PROD_AZS} <= edges
    assert {(f"tasks_{az.replace('-', '_')}", "rds_0") for az in PROD_AZS} <= edges
    # the load balancer reaches the frontend's tasks on the fleet, which run on its instances
    for slug in (az.replace("-", "_") for az in PROD_AZS):
        assert {("alb", f"fleet_tasks_{slug}"), (f"fleet_tasks_{slug}", f"fleet_{slug}")} <= edges
        assert ("alb", f"fleet_{slug}") not in edges
    assert ("s3", "s3_us_east_2") in edges and ("api", "nlb") in edges


def test_picture_source_is_deterministic_and_machine_independent(prod):
    shuffled = list(prod.resources)
    random.Random(11).shuffle(shuffled)
    dot = build_dot(prod)
    assert build_dot(replace(prod, resources=shuffled)) == dot
    assert "site-packages" not in dot and str(PROJECT_DIR) not in dot
    assert dot.count(f'image="{ICON_PLACEHOLDER}/resources/aws/') == len(dot_nodes(dot)) - 1  # every node but Users


def test_rendering_does_not_depend_on_registration_order(prod):
    shuffled = list(prod.resources)
    random.Random(7).shuffle(shuffled)
    again = build(replace(prod, resources=shuffled))
    first = build(prod)
    assert render_drawio(again) == render_drawio(first)
    assert render_mermaid(compact(again)) == render_mermaid(compact(first))


def test_prod_draws_the_three_azs_in_each_subnet_tier_with_one_subnet_each(prod_diagram):
    assert prod_diagram.availability_zones == PROD_AZS
    for tier in ("public", "app", "data"):
        assert sorted({n.az for n in prod_diagram.nodes if n.tier == tier and n.az}) == PROD_AZS
        for az in PROD_AZS:
            subnets = [n for n in prod_diagram.in_box(tier, az) if n.type == "aws:ec2/subnet:Subnet"]
            assert [s.names for s in subnets] == [(f"network-{tier}-{az}",)]


def test_prod_places_each_nat_gateway_and_private_route_table_in_its_az(prod_diagram):
    for az in PROD_AZS:
        assert only(prod_diagram, "aws:ec2/natGateway:NatGateway", f"network-nat-{az}").az == az
        assert only(prod_diagram, "aws:ec2/natGateway:NatGateway", f"network-nat-{az}").tier == "public"
        for tier in ("app", "data"):
            table = only(prod_diagram, "aws:ec2/routeTable:RouteTable", f"network-{tier}-rt-{az}")
            assert (table.tier, table.az) == (tier, az)
    public_rt = only(prod_diagram, "aws:ec2/routeTable:RouteTable", "network-public-rt")
    assert (public_rt.tier, public_rt.az) == ("public", None)


def test_each_app_route_table_points_at_the_nat_gateway_of_its_own_az(prod_diagram):
    for az in PROD_AZS:
        table = only(prod_diagram, "aws:ec2/routeTable:RouteTable", f"network-app-rt-{az}")
        targets = [b for a, b in prod_diagram.edges if a == table.id]
        assert [prod_diagram.node(t).names for t in targets] == [(f"network-nat-{az}",)]
        data_table = only(prod_diagram, "aws:ec2/routeTable:RouteTable", f"network-data-rt-{az}")
        assert not [b for a, b in prod_diagram.edges if a == data_table.id]  # no internet route


def test_main_resources_are_in_their_tiers(prod, prod_diagram):
    expected_tiers = {
        "aws:ec2/vpc:Vpc": "public",
        "aws:ec2/internetGateway:InternetGateway": "public",
        "aws:rds/instance:Instance": "data",
        "aws:elasticache/replicationGroup:ReplicationGroup": "data",
        "aws:dynamodb/table:Table": "data",
        "aws:s3/bucket:Bucket": "data",
        "aws:kms/key:Key": "operations",
        "aws:cloudwatch/logGroup:LogGroup": "operations",
        "aws:ec2/flowLog:FlowLog": "operations",
    }
    for type_, tier in expected_tiers.items():
        names = sorted(r.name for r in prod.of_type(type_))
        assert names, type_
        nodes = nodes_of(prod_diagram, type_)
        assert sorted(name for n in nodes for name in n.names) == names
        assert {n.tier for n in nodes} == {tier}, type_
    # Multi-AZ stores sit at tier level; replicas pinned to an AZ sit in that AZ.
    assert only(prod_diagram, "aws:rds/instance:Instance", "data-postgres").az is None
    assert only(prod_diagram, "aws:elasticache/replicationGroup:ReplicationGroup", "data-redis").az is None
    replicas = [n for n in nodes_of(prod_diagram, "aws:rds/instance:Instance") if n.az]
    assert sorted(n.az for n in replicas) == PROD_AZS[1:]


def test_resources_in_subnets_take_the_tier_of_their_subnets(prod, prod_diagram):
    """Placement follows the graph: an ECS service or Lambda is in the tier of the subnets it runs in."""
    for type_ in ("aws:ecs/service:Service", "aws:lambda/function:Function", "aws:autoscaling/group:Group"):
        for n in nodes_of(prod_diagram, type_):
            assert (n.tier, n.az) == ("app", None), (type_, n.names)
    for n in nodes_of(prod_diagram, "aws:lb/loadBalancer:LoadBalancer"):
        record = prod.named(n.names[0])
        assert n.tier == ("app" if record.inputs.get("internal") else "public")


def test_glue_is_hidden_and_noise_is_folded(prod, prod_diagram):
    shown_types = {n.type for n in prod_diagram.nodes}
    assert not [t for t in shown_types if t.startswith("aws:iam/")]
    assert "aws:ec2/routeTableAssociation:RouteTableAssociation" not in shown_types
    assert "aws:s3/bucketPolicy:BucketPolicy" not in shown_types
    (keys,) = nodes_of(prod_diagram, "aws:kms/key:Key")
    assert keys.count == len(prod.of_type("aws:kms/key:Key"))
    folded = {n.id for n in prod_diagram.nodes if n.type in diagram.FOLDED_TYPES}
    assert not [e for e in prod_diagram.edges if set(e) & folded]


def test_links_made_by_glue_resources_are_edges(prod_diagram):
    def linked(a_type: str, a_name: str, b_type: str, b_name: str) -> bool:
        return (only(prod_diagram, a_type, a_name).id, only(prod_diagram, b_type, b_name).id) in prod_diagram.edges

    assert linked(
        "aws:ec2/routeTable:RouteTable", "network-public-rt", "aws:ec2/internetGateway:InternetGateway", "network-igw"
    )
    assert linked("aws:lb/loadBalancer:LoadBalancer", "app-alb", "aws:ecs/service:Service", "app-frontend")
    assert linked("aws:wafv2/webAcl:WebAcl", "app-waf", "aws:lb/loadBalancer:LoadBalancer", "app-alb")
    assert linked("aws:s3/bucket:Bucket", "data-uploads", "aws:sqs/queue:Queue", "media-queue")
    assert linked("aws:sqs/queue:Queue", "media-queue", "aws:lambda/function:Function", "media-transcoder")
    # ...and "uses" edges through hidden resources: the task definition names the stores a service uses.
    assert linked("aws:ecs/service:Service", "app-api", "aws:dynamodb/table:Table", "data-videos")


def test_compact_counts_resources_of_one_type_in_one_place(prod_diagram):
    small = compact(prod_diagram)
    assert sum(n.count for n in small.nodes) == sum(n.count for n in prod_diagram.nodes)
    assert len({(n.tier, n.az, n.type, n.label) for n in small.nodes}) == len(small.nodes)
    ids = {n.id for n in small.nodes}
    assert all(a in ids and b in ids and a != b for a, b in small.edges)


def test_ecs_services_are_labelled_by_where_their_tasks_run(prod_diagram, dev):
    """prod's frontend runs on the fleet's capacity provider; every other service, and all of dev's, on Fargate."""
    labels = {n.names[0]: n.label for n in nodes_of(prod_diagram, "aws:ecs/service:Service")}
    assert labels == {
        "app-frontend": "ECS service (EC2)",
        **{f"app-{s}": "ECS service (Fargate)" for s in ("api", "video", "user", "comment", "notification")},
    }
    counted = {n.label: n.count for n in nodes_of(compact(prod_diagram), "aws:ecs/service:Service")}
    assert counted == {"ECS service (EC2)": 1, "ECS service (Fargate)": 5}
    assert {n.label for n in nodes_of(build(dev), "aws:ecs/service:Service")} == {"ECS service (Fargate)"}


@pytest.mark.parametrize(
    ("inputs", "launch"),
    [
        ({"capacityProviderStrategies": [{"capacityProvider": "FARGATE"}, {"capacityProvider": "FARGATE_SPOT"}]},
         "Fargate"),
        ({"capacityProviderStrategies": [{"capacityProvider": "streaming-prod-fleet", "base": 0.0}]}, "EC2"),
        ({"capacityProviderStrategies": [{"capacityProvider": "FARGATE"}, {"capacityProvider": "fleet"}]},
         "Fargate + EC2"),
        ({"launchType": "EC2"}, "EC2"),
        ({"launchType": "FARGATE"}, "Fargate"),
        ({"launchType": "EXTERNAL"}, "external"),
        ({}, "cluster default"),
    ],
)  # fmt: skip
def test_ecs_launch_reads_the_strategy_then_the_launch_type(inputs, launch):
    assert diagram.ecs_launch(_record("aws:ecs/service:Service", "s", **inputs)) == launch


def test_mermaid_is_well_formed(prod_diagram):
    text = render_mermaid(compact(prod_diagram))
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert sum(1 for line in lines if line.strip().startswith("subgraph ")) == sum(
        1 for line in lines if line.strip() == "end"
    )
    declared = set(re.findall(r"^\s+(\w+)\[\"", text, flags=re.M))
    for a, b in re.findall(r"^\s+(\w+) --> (\w+)$", text, flags=re.M):
        assert a in declared and b in declared
    assert all(re.fullmatch(r"[A-Za-z0-9_]+", i) for i in declared)


def test_drawio_is_valid_xml_with_resolvable_cells(prod_diagram):
    tree = ET.fromstring(render_drawio(prod_diagram))
    cells = tree.findall(".//mxCell")
    ids = [c.get("id") for c in cells]
    assert len(ids) == len(set(ids))
    for cell in cells:
        assert cell.get("parent") in (None, *ids)
        if cell.get("edge"):
            assert cell.get("source") in ids and cell.get("target") in ids
    names = {name for n in prod_diagram.nodes for name in n.names}
    tooltips = ",".join(c.get("tooltip", "") for c in cells)
    assert all(name in tooltips for name in names)


def _record(type_: str, name: str, deps: dict[str, tuple[str, ...]] | None = None, **inputs: object) -> ResourceRecord:
    return ResourceRecord(
        type=type_,
        name=name,
        urn=f"urn:pulumi:t::p::{type_}::{name}",
        parent=None,
        custom=True,
        provider=None,
        dependencies=(),
        property_dependencies=deps or {},
        protect=False,
        retain_on_delete=False,
        ignore_changes=(),
        inputs=inputs,
    )


def test_types_added_later_fall_into_a_sensible_tier():
    subnet = _record("aws:ec2/subnet:Subnet", "s-a", availabilityZone="eu-west-1a", tags={"Tier": "data"})
    records = [
        subnet,
        _record("aws:cloudfront/distribution:Distribution", "cdn"),
        _record("aws:newservice/widget:Widget", "widget"),
        _record("aws:opensearch/domain:Domain", "search", {"vpcOptions": (subnet.urn,)}),
        _record("aws:iam/role:Role", "role"),
    ]
    d = build(Recording(project="p", stack="t", preview=True, config={}, resources=records))
    placed = {n.names[0]: (n.tier, n.az, n.label) for n in d.nodes}
    assert placed == {
        "s-a": ("data", "eu-west-1a", "Subnet"),
        "cdn": ("edge", None, "CloudFront distribution"),
        "widget": ("operations", None, "newservice Widget"),
        "search": ("data", "eu-west-1a", "opensearch Domain"),
    }
    assert [(d.node(a).names[0], d.node(b).names[0]) for a, b in d.edges] == []  # subnets are placement, not edges


def test_picture_source_renders_with_graphviz(dev):
    png = render_png(build_dot(dev))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png_text(png)["dot-sha256"] == dot_sha256(build_dot(dev))


def test_preview_writes_a_diagram_file(tmp_path: Path, capsys):
    out = tmp_path / "dev.drawio"
    assert preview_main(["--stack", "dev", "--no-policy", "--diagram", str(out)]) == 0
    ET.fromstring(out.read_text())
    assert f"wrote {out}" in capsys.readouterr().out


def test_preview_rejects_an_unknown_diagram_format(tmp_path: Path):
    with pytest.raises(SystemExit) as exc:
        preview_main(["--stack", "dev", "--diagram", str(tmp_path / "x.png")])
    assert exc.value.code == 2
