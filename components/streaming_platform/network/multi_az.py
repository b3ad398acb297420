"""MultiAzNetwork: a VPC with public, private-app and private-data subnets in every AZ."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent
from streaming_platform.iam import account_admin_statement, cloudwatch_logs_statement, policy_document
from streaming_platform.network.cidr_plan import DEFAULT_PREFIX_LENGTHS, CidrPlan, Tier, plan_subnets


def _service_name(region: pulumi.Output[str], service: str) -> pulumi.Output[str]:
    return region.apply(lambda r: f"com.amazonaws.{r}.{service}")


class NatGatewayStrategy(StrEnum):
    """How private-app subnets reach the internet.

    ONE_PER_AZ: a NAT gateway in every AZ, each serving its own AZ, so losing an AZ
    loses only that AZ's egress. SINGLE: one NAT gateway in the first AZ serves all
    of them; cheaper, but every AZ loses egress when that AZ fails, and cross-AZ
    traffic is billed. NONE: no NAT gateways; private subnets reach AWS only
    through VPC endpoints.
    """

    ONE_PER_AZ = "ONE_PER_AZ"
    SINGLE = "SINGLE"
    NONE = "NONE"


@dataclass
class MultiAzNetworkArgs:
    """Inputs of MultiAzNetwork. Plain values: the component computes the layout from them."""

    availability_zones: Sequence[str]
    """AZ names, in the order subnets are planned. Appending an AZ never renumbers existing subnets."""

    vpc_cidr: str = "10.0.0.0/16"
    """IPv4 CIDR of the VPC. Default: 10.0.0.0/16, which holds eight AZ blocks at the default prefix lengths."""

    subnet_prefix_lengths: Mapping[Tier, int] = field(default_factory=lambda: dict(DEFAULT_PREFIX_LENGTHS))
    """Prefix length per tier. Default: public /22, app /20, data /22 (an AZ block of /19)."""

    nat_gateway_strategy: NatGatewayStrategy = NatGatewayStrategy.ONE_PER_AZ
    """Default: one NAT gateway per AZ; SINGLE saves cost but loses egress when that AZ fails."""

    interface_endpoints: Sequence[str] = ()
    """Short service names (``ecr.api``, ``logs``...) for interface endpoints in the private-app subnets.
    Default: none; S3 and DynamoDB always get free gateway endpoints on every private route table."""

    flow_log_retention_days: int = 365
    """Days CloudWatch keeps the VPC flow logs. Default: one year."""

    log_kms_key_arn: pulumi.Input[str] | None = None
    """Customer-managed key for the flow-log group. Default: the component creates a rotating key whose
    policy lets only CloudWatch Logs in this account and region use it."""

    protect: bool = False
    """Protect the flow-log group and its key against deletion and replacement. Default: off (dev);
    prod turns it on so audit logs outlive a mistaken ``pulumi destroy``."""

    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every child that takes tags, merged under each child's Name and Tier tags."""


class MultiAzNetwork(StreamingComponent):
    """VPC, subnets per tier and AZ, internet gateway, NAT egress, route tables, VPC endpoints and flow logs.

    Public subnets route to the internet gateway. Each private-app subnet routes 0.0.0.0/0 to the NAT
    gateway of its own AZ (or the single one). Private-data subnets have no internet route at all.
    The default security group is taken over and left with no rules.
    """

    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    availability_zones: list[str]
    cidr_plan: CidrPlan
    public_subnet_ids: list[pulumi.Output[str]]
    app_subnet_ids: list[pulumi.Output[str]]
    data_subnet_ids: list[pulumi.Output[str]]
    nat_gateway_ids: list[pulumi.Output[str]]
    public_route_table_id: pulumi.Output[str]
    app_route_table_ids: list[pulumi.Output[str]]
    data_route_table_ids: list[pulumi.Output[str]]
    endpoint_security_group_id: pulumi.Output[str] | None
    flow_log_group_name: pulumi.Output[str]
    log_kms_key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: MultiAzNetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        azs = list(args.availability_zones)
        if len(azs) < 2:
            raise ValueError(f"MultiAzNetworkArgs.availability_zones: got {azs}; allowed: at least 2 AZs")
        super().__init__("streaming:network:MultiAzNetwork", name, protect=args.protect, tags=args.tags, opts=opts)
        self.cidr_plan = plan_subnets(args.vpc_cidr, azs, args.subnet_prefix_lengths)
        self.availability_zones = azs
        self.vpc_cidr = args.vpc_cidr
        child, stateful, tags = self.child(), self.stateful(), self.tags

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=tags(f"{name}-vpc"),
            opts=child,
        )
        self.vpc_id = vpc.id

        # Take over the default security group and leave it empty, so nothing can use it by accident.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id, tags=tags(f"{name}-default-deny"), opts=child)

        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=tags(f"{name}-igw"), opts=child)

        subnets: dict[Tier, list[aws.ec2.Subnet]] = {tier: [] for tier in Tier}
        for plan in self.cidr_plan.subnets:
            subnets[plan.tier].append(
                aws.ec2.Subnet(
                    f"{name}-{plan.tier.value}-{plan.availability_zone}",
                    vpc_id=vpc.id,
                    cidr_block=plan.cidr,
                    availability_zone=plan.availability_zone,
                    map_public_ip_on_launch=False,
                    tags=tags(f"{name}-{plan.tier.value}-{plan.availability_zone}", Tier=plan.tier.value),
                    opts=child,
                )
            )
        self.public_subnet_ids = [s.id for s in subnets[Tier.PUBLIC]]
        self.app_subnet_ids = [s.id for s in subnets[Tier.APP]]
        self.data_subnet_ids = [s.id for s in subnets[Tier.DATA]]

        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=vpc.id, tags=tags(f"{name}-public", Tier="public"), opts=child
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        for az, subnet in zip(azs, subnets[Tier.PUBLIC], strict=False):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{az}", subnet_id=subnet.id, route_table_id=public_rt.id, opts=child
            )
        self.public_route_table_id = public_rt.id

        nat_azs = {NatGatewayStrategy.ONE_PER_AZ: azs, NatGatewayStrategy.SINGLE: azs[:1], NatGatewayStrategy.NONE: []}[
            args.nat_gateway_strategy
        ]
        nats: dict[str, aws.ec2.NatGateway] = {}
        for az in nat_azs:
            eip = aws.ec2.Eip(f"{name}-nat-eip-{az}", domain="vpc", tags=tags(f"{name}-nat-{az}"), opts=child)
            nats[az] = aws.ec2.NatGateway(
                f"{name}-nat-{az}",
                allocation_id=eip.id,
                subnet_id=subnets[Tier.PUBLIC][azs.index(az)].id,
                connectivity_type="public",
                tags=tags(f"{name}-nat-{az}"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )
        self.nat_gateway_ids = [nats[az].id for az in nat_azs]

        private_tables: dict[Tier, list[aws.ec2.RouteTable]] = {Tier.APP: [], Tier.DATA: []}
        for tier in (Tier.APP, Tier.DATA):
            for az, subnet in zip(azs, subnets[tier], strict=False):
                table = aws.ec2.RouteTable(
                    f"{name}-{tier.value}-rt-{az}",
                    vpc_id=vpc.id,
                    tags=tags(f"{name}-{tier.value}-{az}", Tier=tier.value),
                    opts=child,
                )
                aws.ec2.RouteTableAssociation(
                    f"{name}-{tier.value}-{az}", subnet_id=subnet.id, route_table_id=table.id, opts=child
                )
                private_tables[tier].append(table)
                nat = nats.get(az) or (nats[nat_azs[0]] if nat_azs else None)
                if tier is Tier.APP and nat is not None:
                    aws.ec2.Route(
                        f"{name}-app-default-{az}",
                        route_table_id=table.id,
                        destination_cidr_block="0.0.0.0/0",
                        nat_gateway_id=nat.id,
                        opts=child,
                    )
        self.app_route_table_ids = [t.id for t in private_tables[Tier.APP]]
        self.data_route_table_ids = [t.id for t in private_tables[Tier.DATA]]

        region = self.region
        private_table_ids = [t.id for tier in (Tier.APP, Tier.DATA) for t in private_tables[tier]]
        for service in ("s3", "dynamodb"):
            aws.ec2.VpcEndpoint(
                f"{name}-{service}-endpoint",
                vpc_id=vpc.id,
                service_name=_service_name(region, service),
                vpc_endpoint_type="Gateway",
                route_table_ids=private_table_ids,
                tags=tags(f"{name}-{service}"),
                opts=child,
            )

        self.endpoint_security_group_id = None
        if args.interface_endpoints:
            endpoint_sg = aws.ec2.SecurityGroup(
                f"{name}-endpoints-sg",
                vpc_id=vpc.id,
                description="HTTPS from inside the VPC to interface endpoints",
                ingress=[
                    {
                        "protocol": "tcp",
                        "from_port": 443,
                        "to_port": 443,
                        "cidr_blocks": [args.vpc_cidr],
                        "description": "HTTPS from the VPC",
                    }
                ],
                egress=[],
                tags=tags(f"{name}-endpoints"),
                opts=child,
            )
            self.endpoint_security_group_id = endpoint_sg.id
            for service in args.interface_endpoints:
                aws.ec2.VpcEndpoint(
                    f"{name}-{service.replace('.', '-')}-endpoint",
                    vpc_id=vpc.id,
                    service_name=_service_name(region, service),
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=self.app_subnet_ids,
                    security_group_ids=[endpoint_sg.id],
                    tags=tags(f"{name}-{service}"),
                    opts=child,
                )

        self.log_kms_key_arn = (
            pulumi.Output.from_input(args.log_kms_key_arn)
            if args.log_kms_key_arn
            else self._logs_key(name, tags(f"{name}-logs"), stateful).arn
        )
        log_group = self.log_group(
            f"{name}-flow-logs", kms_key_arn=self.log_kms_key_arn, retention_days=args.flow_log_retention_days
        )
        self.flow_log_group_name = log_group.name
        role, write = self._flow_log_role(name, log_group, tags(f"{name}-flow-logs"), child)
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=tags(f"{name}-flow-log"),
            # After the role may write: CreateFlowLogs accepts a role without permissions, and the flow log then
            # delivers nothing ("Access error" in DescribeFlowLogs' DeliverLogsErrorMessage) until it can.
            opts=self.child(depends_on=[write]),
        )

        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "vpcCidr": self.vpc_cidr,
                "availabilityZones": self.availability_zones,
                "cidrPlan": self.cidr_plan.to_dict(),
                "publicSubnetIds": self.public_subnet_ids,
                "appSubnetIds": self.app_subnet_ids,
                "dataSubnetIds": self.data_subnet_ids,
                "natGatewayIds": self.nat_gateway_ids,
                "publicRouteTableId": self.public_route_table_id,
                "appRouteTableIds": self.app_route_table_ids,
                "dataRouteTableIds": self.data_route_table_ids,
                "endpointSecurityGroupId": self.endpoint_security_group_id,
                "flowLogGroupName": self.flow_log_group_name,
                "logKmsKeyArn": self.log_kms_key_arn,
            }
        )

    def _logs_key(self, name: str, key_tags: dict[str, str], opts: pulumi.ResourceOptions) -> aws.kms.Key:
        account, partition, region = self.account, self.partition, self.region
        policy = pulumi.Output.all(partition, account, region).apply(
            lambda a: policy_document(
                [account_admin_statement(a[0], a[1]), cloudwatch_logs_statement(a[0], a[1], a[2])]
            )
        )
        return aws.kms.Key(
            f"{name}-logs-key",
            description=f"{name}: encrypts VPC flow logs",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=policy,
            tags=key_tags,
            opts=opts,
        )

    def _flow_log_role(
        self, name: str, log_group: aws.cloudwatch.LogGroup, role_tags: dict[str, str], opts: pulumi.ResourceOptions
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        account, partition, region = self.account, self.partition, self.region
        trust = pulumi.Output.all(account, partition, region).apply(
            lambda a: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            # Confused-deputy guard: only flow logs of this account may assume the role.
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": a[0]},
                                "ArnLike": {"aws:SourceArn": f"arn:{a[1]}:ec2:{a[2]}:{a[0]}:vpc-flow-log/*"},
                            },
                        }
                    ],
                }
            )
        )
        role = aws.iam.Role(f"{name}-flow-log-role", assume_role_policy=trust, tags=role_tags, opts=opts)
        write = aws.iam.RolePolicy(
            f"{name}-flow-log-write",
            role=role.id,
            policy=log_group.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                                "Resource": [arn, f"{arn}:log-stream:*"],
                            }
                        ],
                    }
                )
            ),
            opts=opts,
        )
        return role, write
