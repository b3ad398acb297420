"""EC2 / VPC: subnet tiers across AZs, NAT per AZ, launch templates (EBS encryption, IMDSv2).

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import Severity

from . import graph as g
from .checks import MIN_AZS
from .graph import Node, is_unknown, subnet_az, truthy
from .rule import Ctx, Finding, Option, Rule, Unknown

INSTANCE = "aws:ec2/instance:Instance"
EBS_VOLUME = "aws:ebs/volume:Volume"
TIER_TAG = Option("tierTag", {"type": "string", "default": "Tier"}, "Subnet tag that names the tier.")


TIERS = Option(
    "tiers",
    {"type": "array", "items": {"type": "string"}, "default": ["public", "app", "data"]},
    "Allowed tier names (values of the tier tag).",
)


PRIVATE_TIERS = Option(
    "privateTiers",
    {"type": "array", "items": {"type": "string"}, "default": ["app", "data"]},
    "Tiers whose subnets are private (egress through NAT).",
)


def _tier_groups(ctx: Ctx, rule: Rule) -> dict[str, list[Node]]:
    """Subnets grouped by tier tag (computed once per AnalyzeStack and cached on the graph)."""
    assert ctx.graph is not None
    cache = ctx.graph.cache.setdefault("tiers", {})
    key = (rule.name, str(ctx.opt("tierTag", rule)))
    if key not in cache:
        groups: dict[str, list[Node]] = {}
        for s in ctx.graph.of_types(g.SUBNET):
            tier = s.tag(key[1])
            groups.setdefault(tier if isinstance(tier, str) else "", []).append(s)
        cache[key] = groups
    return cache[key]


def _check_subnet_tier(node: Node, ctx: Ctx) -> Iterator[Finding]:
    tag = ctx.opt("tierTag", SUBNET_TIERS)
    tiers = list(ctx.opt("tiers", SUBNET_TIERS))
    tier = node.tag(tag)
    if is_unknown(tier):
        yield Unknown(f"tags.{tag}")
        return
    if tier not in tiers:
        yield f"subnet has {tag}={tier!r}; expected one of {', '.join(tiers)}" if tier else f"subnet has no {tag} tag"
        return
    yield from _tier_verdict(ctx, tier)


def _tier_verdict(ctx: Ctx, tier: str) -> tuple[Finding, ...]:
    """The tier's AZ verdict, computed once per tier per AnalyzeStack (not once per member subnet)."""
    assert ctx.graph is not None
    min_azs = int(ctx.opt("minAzs", SUBNET_TIERS))
    verdicts = ctx.graph.cache.setdefault("tier-verdicts", {})
    key = (tier, min_azs, str(ctx.opt("tierTag", SUBNET_TIERS)))
    if key not in verdicts:
        azs = {subnet_az(s) for s in _tier_groups(ctx, SUBNET_TIERS)[tier]}
        known = sorted(a for a in azs if a and not is_unknown(a))
        if any(is_unknown(a) for a in azs):
            verdicts[key] = (Unknown("availabilityZone of a subnet in tier " + tier),)
        elif len(known) < min_azs:
            shown = ", ".join(known) or "none"
            verdicts[key] = (f"tier {tier!r} spans {len(known)} AZ(s) ({shown}); at least {min_azs} required",)
        else:
            verdicts[key] = ()
    return verdicts[key]


SUBNET_TIERS = Rule(
    name="subnet-tiers-span-azs",
    description="Every subnet carries a Tier tag and each tier's subnets span at least minAzs Availability Zones.",
    pillar="multi-az",
    types=(g.SUBNET,),
    scope="stack",
    check=_check_subnet_tier,
    options=(MIN_AZS, TIER_TAG, TIERS),
    why="A tier confined to fewer AZs than the rest of the platform makes one AZ outage take the tier down.",
    remediation="Tag every subnet Tier=public|app|data and create one subnet per tier in each of minAzs AZs "
    "(set availabilityZone explicitly).",
)


def _default_route_nats(ctx: Ctx, table: Node) -> Iterator[tuple[str, list[Node] | None, Any]]:
    """(where, NAT nodes or None if the target is not a NAT of this stack, raw target) per default route."""
    assert ctx.graph is not None
    for route in ctx.graph.referrers(table, (g.ROUTE,), "routeTableId"):
        dest = route.get("destinationCidrBlock")
        if is_unknown(dest):
            yield (f"route {route.name}", None, g.UNKNOWN)
        elif dest == "0.0.0.0/0":
            nats = ctx.graph.deps(route, "natGatewayId", (g.NAT_GATEWAY,))
            yield (f"route {route.name}", nats or None, route.get("natGatewayId"))
    routes = table.get("routes")
    if is_unknown(routes):
        yield (f"route table {table.name}", None, g.UNKNOWN)
        return
    for r in g.as_list(routes):
        if isinstance(r, dict) and r.get("cidrBlock") == "0.0.0.0/0":
            nats = ctx.graph.deps(table, "routes", (g.NAT_GATEWAY,))
            yield (f"route table {table.name}", nats or None, r.get("natGatewayId"))


def _check_nat_same_az(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    az = subnet_az(node)
    if is_unknown(az) or not az:
        yield Unknown("availabilityZone")
        return
    for assoc in ctx.graph.referrers(node, (g.ROUTE_TABLE_ASSOCIATION,), "subnetId"):
        for table in ctx.graph.deps(assoc, "routeTableId", (g.ROUTE_TABLE,)):
            for where, nats, target in _default_route_nats(ctx, table):
                if nats is None:
                    if is_unknown(target):
                        yield Unknown(f"{where} target")
                    else:
                        yield f"default route ({where}) does not go through a NAT gateway of this stack"
                    continue
                for nat in nats:
                    nat_azs = {subnet_az(s) for s in ctx.graph.deps(nat, "subnetId", (g.SUBNET,))}
                    if any(is_unknown(a) for a in nat_azs):
                        yield Unknown(f"NAT {nat.name} subnet availabilityZone")
                    elif az not in nat_azs:
                        shown = ", ".join(sorted(a for a in nat_azs if a)) or "unknown AZ"
                        yield f"default route ({where}) uses NAT gateway {nat.name} in {shown}, not in {az}"


def _not_private(node: Node, ctx: Ctx) -> str | None:
    tier = node.tag(ctx.opt("tierTag", NAT_PER_AZ))
    if is_unknown(tier):
        return None
    return None if tier in ctx.opt("privateTiers", NAT_PER_AZ) else "not a private tier"


NAT_PER_AZ = Rule(
    name="private-subnet-nat-same-az",
    description="Every private subnet's default route goes through a NAT gateway in the subnet's own AZ.",
    pillar="multi-az",
    types=(g.SUBNET,),
    scope="stack",
    check=_check_nat_same_az,
    exempt=_not_private,
    options=(TIER_TAG, PRIVATE_TIERS),
    severity=Severity.MEDIUM,
    why="With a shared NAT, losing its AZ cuts egress (and AWS API access without endpoints) for every AZ.",
    remediation="Create one NAT gateway per AZ in that AZ's public subnet and give each AZ's private route table "
    "a 0.0.0.0/0 route to it. Subnets without a default route (isolated data tier) are compliant.",
    notes="Private subnets are the ones whose Tier tag is in privateTiers.",
)


def _check_launch_template_ebs(node: Node, ctx: Ctx) -> Iterator[Finding]:
    if node.type == EBS_VOLUME:
        yield from _flag_true(node.get("encrypted"), "encrypted")
        return
    if node.type == INSTANCE:
        yield from _flag_true(node.get("rootBlockDevice", "encrypted"), "rootBlockDevice.encrypted")
        for i, dev in enumerate(g.as_list(node.get("ebsBlockDevices"))):
            yield from _flag_true(g.dig(dev, "encrypted"), f"ebsBlockDevices[{i}].encrypted")
        return
    mappings = node.get("blockDeviceMappings")
    if is_unknown(mappings):
        yield Unknown("blockDeviceMappings")
        return
    ebs = [m for m in g.as_list(mappings) if isinstance(m, dict) and m.get("ebs") is not None]
    if not ebs:
        yield "no blockDeviceMappings with an ebs block: volume encryption is left to the AMI / account default"
        return
    roots = list(ctx.opt("rootDeviceNames", LT_EBS))
    names = [m.get("deviceName") for m in ebs]
    if not any(is_unknown(n) for n in names) and not set(names) & set(roots):
        # A mapping on another device name adds a volume; the root volume keeps the AMI's own settings.
        shown = ", ".join(str(n) for n in names)
        yield (
            f"no ebs mapping for the root device ({' / '.join(roots)}); mapped: {shown}: the root volume "
            "keeps the AMI's encryption setting"
        )
    for m in ebs:
        v = g.dig(m, "ebs", "encrypted")
        if is_unknown(v):
            yield Unknown(f"blockDeviceMappings[{m.get('deviceName')}].ebs.encrypted")
        elif not truthy(v):
            yield f'volume {m.get("deviceName", "?")} has ebs.encrypted={v!r}, not "true"'


def _flag_true(value: Any, label: str) -> Iterator[Finding]:
    if is_unknown(value):
        yield Unknown(label)
    elif not truthy(value):
        yield f"{label} is {value!r}, not true (the volume is unencrypted unless the account default says otherwise)"


ROOT_DEVICES = Option(
    "rootDeviceNames",
    {"type": "array", "items": {"type": "string"}, "default": ["/dev/xvda", "/dev/sda1"]},
    "Device names a launch template's root-volume mapping may use: the AMI's root device name, /dev/xvda "
    '(Amazon Linux, the ECS-optimized AMIs) or /dev/sda1 (EC2 User Guide, "Device names for volumes on Amazon '
    'EC2 instances"). A mapping for any other name adds a volume and leaves the root volume as the AMI has it.',
)


LT_EBS = Rule(
    name="launch-template-ebs-encrypted",
    description='Every launch template maps its root device and every other EBS volume with ebs.encrypted = "true"; '
    "every EC2 instance volume and EBS volume is encrypted.",
    pillar="encryption",
    types=(g.LAUNCH_TEMPLATE, INSTANCE, EBS_VOLUME),
    check=_check_launch_template_ebs,
    options=(ROOT_DEVICES,),
    fsbp=("EC2.181",),
    why="Unencrypted root volumes leak data through snapshots and AMIs.",
    remediation="Add block_device_mappings=[{device_name: '/dev/xvda', ebs: {encrypted: 'true', kms_key_id: key.arn, "
    "volume_size: ..., volume_type: 'gp3'}}]. Note `encrypted` is a string in pulumi-aws.",
)


def _check_imdsv2(node: Node, ctx: Ctx) -> Iterator[Finding]:
    tokens = node.get("metadataOptions", "httpTokens")
    if is_unknown(tokens):
        yield Unknown("metadataOptions.httpTokens")
    elif tokens != "required":
        yield f"metadataOptions.httpTokens is {tokens or 'unset (optional)'}, not required"
    hops = node.get("metadataOptions", "httpPutResponseHopLimit")
    limit = int(ctx.opt("maxHopLimit", IMDSV2))
    if is_unknown(hops):
        yield Unknown("metadataOptions.httpPutResponseHopLimit")
    elif isinstance(hops, (int, float)) and hops > limit:
        # A token that may travel more hops reaches containers and proxies on the instance.
        yield f"metadataOptions.httpPutResponseHopLimit is {int(hops)}; at most {limit}"


MAX_HOPS = Option(
    "maxHopLimit",
    {"type": "integer", "minimum": 1, "maximum": 64, "default": 1},
    "Highest accepted metadataOptions.httpPutResponseHopLimit (the API default is 1; ECS on EC2 needs 2).",
)


IMDSV2 = Rule(
    name="launch-template-imdsv2",
    description="Every launch template and EC2 instance requires IMDSv2 (httpTokens = required) with a hop limit "
    "of at most maxHopLimit.",
    pillar="data-safety",
    types=(g.LAUNCH_TEMPLATE, INSTANCE),
    check=_check_imdsv2,
    options=(MAX_HOPS,),
    fsbp=("EC2.170",),
    why="IMDSv1 lets an SSRF in the web fleet steal the instance role's credentials.",
    remediation="Set metadata_options={http_tokens: 'required', http_endpoint: 'enabled', "
    "http_put_response_hop_limit: 1}.",
)


def _check_no_public_ip(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    if node.type == INSTANCE:
        v = node.get("associatePublicIpAddress")
        if is_unknown(v):
            yield Unknown("associatePublicIpAddress")
        elif truthy(v):
            yield "associatePublicIpAddress is true: the instance is reachable around the load balancer and WAF"
        return
    interfaces = node.get("networkInterfaces")
    if is_unknown(interfaces):
        yield Unknown("networkInterfaces")
        return
    for i, eni in enumerate(g.as_list(interfaces)):
        # A string in pulumi-aws ("true" / "false"), as for ebs.encrypted.
        v = g.dig(eni, "associatePublicIpAddress")
        if is_unknown(v):
            yield Unknown(f"networkInterfaces[{i}].associatePublicIpAddress")
        elif truthy(v):
            yield f"networkInterfaces[{i}].associatePublicIpAddress is {v!r}: every instance launched gets a public IP"


NO_PUBLIC_IP = Rule(
    name="ec2-no-public-ip",
    description="No launch template network interface and no EC2 instance asks for a public IPv4 address.",
    pillar="hardening",
    types=(g.LAUNCH_TEMPLATE, INSTANCE),
    check=_check_no_public_ip,
    fsbp=("EC2.25", "EC2.9"),
    severity=Severity.HIGH,
    why="An instance with a public address is an entry point that skips the ALB, its web ACL and the tiering; "
    "the app tier reaches the internet through NAT.",
    remediation="Set network_interfaces=[{associate_public_ip_address: 'false', ...}] on launch templates and "
    "associate_public_ip_address=False on instances, in private app-tier subnets.",
    notes="An unset flag takes the subnet's mapPublicIpOnLaunch; the app-tier subnets never set it, and a data "
    "store in a subnet that does is no-public-datastores' finding.",
)


# --- security groups: no ingress from the whole internet except to the public ports ----------

SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
WORLD = ("0.0.0.0/0", "::/0")

PUBLIC_PORTS = Option(
    "allowedPublicPorts",
    {"type": "array", "items": {"type": "integer"}, "default": [80, 443]},
    "TCP ports that may be open to 0.0.0.0/0 or ::/0 (the internet-facing listeners).",
)


def _ingress_entries(node: Node) -> Iterator[tuple[str, Any, Any, Any, Any]]:
    """(label, cidrs, protocol, fromPort, toPort) for every ingress permission the resource grants."""
    if node.type == SG_INGRESS:
        cidrs = [node.get("cidrIpv4"), node.get("cidrIpv6")]
        yield (node.name, cidrs, node.get("ipProtocol"), node.get("fromPort"), node.get("toPort"))
    elif node.type == SG_RULE:
        cidrs = [*g.as_list(node.get("cidrBlocks")), *g.as_list(node.get("ipv6CidrBlocks"))]
        if is_unknown(node.get("cidrBlocks")) or is_unknown(node.get("ipv6CidrBlocks")):
            cidrs.append(g.UNKNOWN)
        yield (node.name, cidrs, node.get("protocol"), node.get("fromPort"), node.get("toPort"))
    else:
        ingress = node.get("ingress")
        if is_unknown(ingress):
            yield (f"{node.name}.ingress", [g.UNKNOWN], None, None, None)
            return
        for i, rule in enumerate(g.as_list(ingress)):
            if is_unknown(rule) or not isinstance(rule, dict):
                yield (f"{node.name}.ingress[{i}]", [g.UNKNOWN], None, None, None)
                continue
            blocks = rule.get("cidrBlocks"), rule.get("ipv6CidrBlocks")
            cidrs = [c for b in blocks for c in ([g.UNKNOWN] if is_unknown(b) else g.as_list(b))]
            yield (f"{node.name}.ingress[{i}]", cidrs, rule.get("protocol"), rule.get("fromPort"), rule.get("toPort"))


def _check_open_ingress(node: Node, ctx: Ctx) -> Iterator[Finding]:
    allowed = {int(p) for p in ctx.opt("allowedPublicPorts", OPEN_INGRESS)}
    for label, cidrs, proto, lo, hi in _ingress_entries(node):
        if any(is_unknown(c) for c in cidrs):
            yield Unknown(f"{label} CIDR")
            continue
        if not any(c in WORLD for c in cidrs):
            continue
        if any(is_unknown(v) for v in (proto, lo, hi)):
            yield Unknown(f"{label} ports")
            continue
        if str(proto) in ("-1", "all"):
            yield f"{label} opens all protocols and ports to the internet"
            continue
        ports = (
            set(range(int(lo), int(hi) + 1)) if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) else None
        )
        if str(proto).lower() not in ("tcp", "6") or ports is None or not ports <= allowed:
            shown = f"{proto} {int(lo) if lo is not None else '?'}-{int(hi) if hi is not None else '?'}"
            yield f"{label} opens {shown} to the internet; only tcp {sorted(allowed)} may be"


def _egress_rule(node: Node, _ctx: Ctx) -> str | None:
    if node.type == SG_RULE and node.get("type") == "egress":
        return "egress rule"
    return None


OPEN_INGRESS = Rule(
    name="security-group-no-open-ingress",
    description="No security group, security group rule or VPC ingress rule admits 0.0.0.0/0 or ::/0 except on "
    "the allowed public TCP ports.",
    pillar="hardening",
    types=(SG, SG_RULE, SG_INGRESS),
    check=_check_open_ingress,
    exempt=_egress_rule,
    options=(PUBLIC_PORTS,),
    fsbp=("EC2.18", "EC2.19"),
    severity=Severity.CRITICAL,
    why="SSH, the database port or all ports open to the internet bypass the load balancer, WAF and the tiering "
    "the platform relies on.",
    remediation="Reference the source security group (referenced_security_group_id / security_groups) or a prefix "
    "list (e.g. CloudFront origin-facing) instead of 0.0.0.0/0; only the public listener ports may be world-open.",
)


def _check_default_sg(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    for prop in ("ingress", "egress"):
        v = node.get(prop)
        if is_unknown(v):
            yield Unknown(prop)
        elif g.as_list(v):
            yield f"the default security group has {prop} rules; it must allow nothing"


DEFAULT_SG_CLOSED = Rule(
    name="default-security-group-closed",
    description="The VPC's default security group (aws:ec2/DefaultSecurityGroup) has no ingress and no egress rules.",
    pillar="hardening",
    types=(DEFAULT_SG,),
    check=_check_default_sg,
    fsbp=("EC2.2",),
    why="Anything launched without an explicit security group lands in the default group; reopening it exposes "
    "those resources silently.",
    remediation="Manage aws.ec2.DefaultSecurityGroup(vpc_id=vpc.id) with no ingress and no egress blocks.",
)


VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"


def _check_flow_log(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    logs = ctx.graph.referrers(node, (FLOW_LOG,), "vpcId")
    if not logs:
        yield "no FlowLog references this VPC (vpcId)"
        return
    kinds = [f.get("trafficType") for f in logs]
    if any(is_unknown(k) for k in kinds):
        yield Unknown("flow log trafficType")
    elif "ALL" not in kinds and not {"ACCEPT", "REJECT"} <= set(kinds):
        yield f"flow logs record only {', '.join(sorted(str(k) for k in kinds))} traffic, not ALL"


FLOW_LOGS = Rule(
    name="vpc-flow-logs-enabled",
    description="Every VPC has a flow log recording ALL traffic.",
    pillar="hardening",
    types=(VPC,),
    scope="stack",
    check=_check_flow_log,
    fsbp=("EC2.6",),
    severity=Severity.MEDIUM,
    why="Flow logs are the only record of which addresses talked to the data tier during an incident.",
    remediation="Create aws.ec2.FlowLog(vpc_id=vpc.id, traffic_type='ALL', log_destination_type='cloud-watch-logs', "
    "log_destination=group.arn, iam_role_arn=role.arn).",
)


RULES = (
    SUBNET_TIERS,
    NAT_PER_AZ,
    LT_EBS,
    IMDSV2,
    NO_PUBLIC_IP,
    OPEN_INGRESS,
    DEFAULT_SG_CLOSED,
    FLOW_LOGS,
)
