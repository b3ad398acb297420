"""MultiAzNetwork, as the dev and prod stacks register it."""

from __future__ import annotations

import json

import pytest

from offline.engine import Recording, ResourceRecord, run_program
from tests.graph import dep, deps, only_component, tag

SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"


@pytest.fixture(scope="session")
def recording(recording):
    """The shared recordings, narrowed to the network component and its children (other components
    register security groups, keys and log groups of their own)."""

    def get(stack: str, *, preview: bool = True) -> Recording:
        return only_component(recording(stack, preview=preview), "streaming:network:MultiAzNetwork")

    return get


def subnets(rec: Recording, tier: str) -> list[ResourceRecord]:
    return [s for s in rec.of_type(SUBNET) if tag(s, "Tier") == tier]


def tables(rec: Recording, tier: str) -> list[ResourceRecord]:
    return [t for t in rec.of_type(ROUTE_TABLE) if tag(t, "Tier") == tier]


def subnet_of_table(rec: Recording, table: ResourceRecord) -> ResourceRecord:
    (assoc,) = [a for a in rec.of_type(ASSOCIATION) if dep(rec, a, "routeTableId").urn == table.urn]
    return dep(rec, assoc, "subnetId")


def default_routes(rec: Recording, table: ResourceRecord) -> list[ResourceRecord]:
    return [
        r
        for r in rec.of_type(ROUTE)
        if dep(rec, r, "routeTableId").urn == table.urn and r.inputs.get("destinationCidrBlock") == "0.0.0.0/0"
    ]


@pytest.mark.parametrize(
    ("stack", "azs"), [("dev", ["us-east-2a", "us-east-2b"]), ("prod", ["us-west-2a", "us-west-2b", "us-west-2c"])]
)
def test_every_az_gets_one_subnet_of_every_tier(recording, stack, azs):
    rec = recording(stack)
    assert len(rec.of_type(SUBNET)) == 3 * len(azs)
    for tier in ("public", "app", "data"):
        assert sorted(s.inputs["availabilityZone"] for s in subnets(rec, tier)) == azs
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in rec.of_type(SUBNET))


def test_dev_has_one_nat_gateway_serving_both_private_app_route_tables(recording):
    rec = recording("dev")
    (nat,) = rec.of_type(NAT)
    assert dep(rec, nat, "subnetId").inputs["availabilityZone"] == "us-east-2a"
    assert tag(dep(rec, nat, "subnetId"), "Tier") == "public"
    app_tables = tables(rec, "app")
    assert len(app_tables) == 2
    for table in app_tables:
        (route,) = default_routes(rec, table)
        assert dep(rec, route, "natGatewayId").urn == nat.urn


def test_prod_places_one_nat_gateway_in_each_az_and_routes_each_az_to_its_own(recording):
    rec = recording("prod")
    nats = rec.of_type(NAT)
    assert len(nats) == 3
    nat_azs = sorted(dep(rec, n, "subnetId").inputs["availabilityZone"] for n in nats)
    assert nat_azs == ["us-west-2a", "us-west-2b", "us-west-2c"]
    for nat in nats:
        assert tag(dep(rec, nat, "subnetId"), "Tier") == "public"
        assert dep(rec, nat, "allocationId").type == "aws:ec2/eip:Eip"
        assert nat.inputs["connectivityType"] == "public"
    app_tables = tables(rec, "app")
    assert len(app_tables) == 3
    for table in app_tables:
        subnet = subnet_of_table(rec, table)
        assert tag(subnet, "Tier") == "app"
        (route,) = default_routes(rec, table)
        nat_subnet = dep(rec, dep(rec, route, "natGatewayId"), "subnetId")
        assert nat_subnet.inputs["availabilityZone"] == subnet.inputs["availabilityZone"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_private_data_route_tables_have_no_route_at_all(recording, stack):
    rec = recording(stack)
    data_tables = tables(rec, "data")
    assert len(data_tables) == len(rec.outputs["availabilityZones"])
    for table in data_tables:
        assert tag(subnet_of_table(rec, table), "Tier") == "data"
        assert [r for r in rec.of_type(ROUTE) if dep(rec, r, "routeTableId").urn == table.urn] == []
        assert "routes" not in table.inputs


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_public_subnets_route_to_the_internet_gateway(recording, stack):
    rec = recording(stack)
    (public_table,) = tables(rec, "public")
    (route,) = default_routes(rec, public_table)
    assert dep(rec, route, "gatewayId").type == "aws:ec2/internetGateway:InternetGateway"
    public_assocs = [a for a in rec.of_type(ASSOCIATION) if dep(rec, a, "routeTableId").urn == public_table.urn]
    assert sorted(dep(rec, a, "subnetId").urn for a in public_assocs) == sorted(s.urn for s in subnets(rec, "public"))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_gateway_endpoints_for_s3_and_dynamodb_are_on_every_private_route_table(recording, stack):
    rec = recording(stack, preview=False)
    private = sorted(t.urn for t in tables(rec, "app") + tables(rec, "data"))
    gateways = [e for e in rec.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Gateway"]
    region = rec.config["aws:region"]
    assert sorted(e.inputs["serviceName"] for e in gateways) == [
        f"com.amazonaws.{region}.dynamodb",
        f"com.amazonaws.{region}.s3",
    ]
    for endpoint in gateways:
        assert sorted(d.urn for d in deps(rec, endpoint, "routeTableIds")) == private
        assert len(endpoint.inputs["routeTableIds"]) == len(private)


def test_prod_interface_endpoints_sit_in_every_app_subnet_behind_an_https_only_group(recording):
    rec = recording("prod", preview=False)
    interface = [e for e in rec.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Interface"]
    assert sorted(e.inputs["serviceName"] for e in interface) == [
        f"com.amazonaws.us-west-2.{s}" for s in ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts")
    ]
    app_urns = sorted(s.urn for s in subnets(rec, "app"))
    for endpoint in interface:
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert sorted(d.urn for d in deps(rec, endpoint, "subnetIds")) == app_urns
    (sg,) = rec.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert sg.inputs["ingress"] == [
        {
            "protocol": "tcp",
            "fromPort": 443.0,
            "toPort": 443.0,
            "cidrBlocks": ["10.30.0.0/16"],
            "description": "HTTPS from the VPC",
        }
    ]
    assert sg.inputs["egress"] == []


def test_dev_has_no_interface_endpoints(recording):
    rec = recording("dev")
    assert [e for e in rec.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] != "Gateway"] == []
    assert rec.of_type("aws:ec2/securityGroup:SecurityGroup") == []


@pytest.mark.parametrize(("stack", "retention"), [("dev", 30), ("prod", 365)])
def test_flow_logs_capture_all_traffic_into_a_kms_encrypted_log_group(recording, stack, retention):
    rec = recording(stack, preview=False)
    (flow,) = rec.of_type("aws:ec2/flowLog:FlowLog")
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["logDestinationType"] == "cloud-watch-logs"
    assert dep(rec, flow, "vpcId").type == "aws:ec2/vpc:Vpc"
    group = dep(rec, flow, "logDestination")
    assert group.type == "aws:cloudwatch/logGroup:LogGroup"
    assert group.inputs["retentionInDays"] == retention
    key = dep(rec, group, "kmsKeyId")
    assert key.type == "aws:kms/key:Key"
    assert key.inputs["enableKeyRotation"] is True
    policy = json.loads(key.inputs["policy"])
    logs_statement = next(s for s in policy["Statement"] if s["Principal"].get("Service"))
    region = rec.config["aws:region"]
    assert logs_statement["Principal"] == {"Service": f"logs.{region}.amazonaws.com"}
    assert logs_statement["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:111122223333:log-group:*"}
    }
    role = dep(rec, flow, "iamRoleArn")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}
    (role_policy,) = rec.of_type("aws:iam/rolePolicy:RolePolicy")
    group_arn = f"arn:aws:logs:{region}:111122223333:log-group:{group.name}-{group.id[-7:]}"
    assert json.loads(role_policy.inputs["policy"])["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [group_arn, f"{group_arn}:log-stream:*"],
        }
    ]


def test_prod_protects_the_flow_log_group_and_its_key_and_dev_does_not(recording):
    for stack, protected in (("prod", True), ("dev", False)):
        rec = recording(stack)
        for type_ in ("aws:cloudwatch/logGroup:LogGroup", "aws:kms/key:Key"):
            (record,) = rec.of_type(type_)
            assert (record.protect, record.retain_on_delete) == (protected, protected), (stack, type_)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_vpc_has_dns_and_an_empty_default_security_group(recording, stack):
    rec = recording(stack)
    (vpc,) = rec.of_type("aws:ec2/vpc:Vpc")
    assert vpc.inputs["enableDnsSupport"] is True and vpc.inputs["enableDnsHostnames"] is True
    (default_sg,) = rec.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert dep(rec, default_sg, "vpcId").urn == vpc.urn
    assert default_sg.inputs.get("ingress", []) == [] and default_sg.inputs.get("egress", []) == []


def test_nat_strategy_none_leaves_private_app_subnets_without_a_default_route():
    # Without NAT the tasks reach ECR, logs and Secrets Manager through interface endpoints (settings require them).
    endpoints = '["ecr.api", "ecr.dkr", "logs", "secretsmanager"]'
    rec = run_program(
        "dev", config_overrides={"streaming:natGatewayStrategy": "NONE", "streaming:interfaceEndpoints": endpoints}
    )
    assert rec.of_type(NAT) == [] and rec.of_type("aws:ec2/eip:Eip") == []
    assert all(default_routes(rec, t) == [] for t in tables(rec, "app"))


def test_every_child_is_parented_to_the_component_and_named_after_it(recording):
    rec = recording("prod")
    (component,) = rec.of_type("streaming:network:MultiAzNetwork")
    assert component.parent == rec.stack_urn
    children = [r for r in rec.resources if r is not component]
    assert all(r.parent == component.urn and r.name.startswith("network-") for r in children)


def test_outputs_list_subnets_by_tier_in_az_order(recording):
    rec = recording("prod", preview=False)
    for tier, output in (("public", "publicSubnetIds"), ("app", "appSubnetIds"), ("data", "dataSubnetIds")):
        by_az = sorted(subnets(rec, tier), key=lambda s: s.inputs["availabilityZone"])
        assert rec.outputs[output] == [s.id for s in by_az]
    assert rec.outputs["natGatewayIds"] == [n.id for n in rec.of_type(NAT)]
    assert rec.outputs["cidrPlan"]["subnets"]["app"] == {
        "us-west-2a": "10.30.0.0/20",
        "us-west-2b": "10.30.32.0/20",
        "us-west-2c": "10.30.64.0/20",
    }
