"""The architecture picture is generated from the recording, regenerates identically, and shows tiers and AZs."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from offline import diagram
from offline.diagram import BEGIN, END, Diagram, Node, build, compact, render_drawio, render_mermaid
from offline.engine import PROJECT_DIR, Recording, ResourceRecord
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


def test_generated_files_match_the_code(prod):
    """Stale? Run `make docs` (python -m offline.diagram) and commit the result."""
    assert diagram.stale_files(prod) == []


def test_readme_embeds_the_generated_prod_picture_once():
    readme = (PROJECT_DIR / "README.md").read_text()
    assert readme.count(BEGIN) == 1 and readme.count(END) == 1
    block = readme[readme.index(BEGIN) + len(BEGIN) : readme.index(END)]
    assert block.startswith("\n```mermaid\n") and block.endswith("```\n")
    mmd = (PROJECT_DIR / "docs" / "architecture-prod.mmd").read_text()
    assert block == f"\n```mermaid\n{mmd}```\n"


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
    assert len({(n.tier, n.az, n.type) for n in small.nodes}) == len(small.nodes)
    ids = {n.id for n in small.nodes}
    assert all(a in ids and b in ids and a != b for a, b in small.edges)


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


def test_preview_writes_a_diagram_file(tmp_path: Path, capsys):
    out = tmp_path / "dev.drawio"
    assert preview_main(["--stack", "dev", "--no-policy", "--diagram", str(out)]) == 0
    ET.fromstring(out.read_text())
    assert f"wrote {out}" in capsys.readouterr().out


def test_preview_rejects_an_unknown_diagram_format(tmp_path: Path):
    with pytest.raises(SystemExit) as exc:
        preview_main(["--stack", "dev", "--diagram", str(tmp_path / "x.png")])
    assert exc.value.code == 2
