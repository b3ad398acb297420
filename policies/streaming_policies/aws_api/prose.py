"""Constraints AWS documents only in prose (not in botocore's model), each with its source.

Auto-named resources: when a name input is absent, the provider names the resource
``<logical name>-<7 random characters>`` (Pulumi docs, "Resource names": auto-naming appends a
random suffix; pulumi-aws uses a '-' and 7 random hex characters, 8 characters in all), so the
final length is ``len(logical name) + 8`` and its character set is the logical name's plus
``[a-z0-9-]``: both are known at preview time.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Iterator
from typing import Any

from .. import graph as g
from ..graph import Node, as_list, is_unknown
from ..rule import Ctx, Finding, Rule
from .model_rules import values_at

AUTONAME_SUFFIX = 8  # "-" + 7 random characters (Pulumi auto-naming)

# --- EC2 descriptions ---------------------------------------------------------------------------
# EC2 API Reference, CreateSecurityGroup (GroupDescription), IpRange / UserIdGroupPair / PrefixListId
# (Description): "Constraints: Up to 255 characters in length. Valid characters: a-z, A-Z, 0-9,
# spaces, and ._-:/()#,@[]+=&;{}!$*" (botocore's ec2 model documentation strings say the same).
EC2_DESCRIPTION_RE = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*")
SG_TYPES = ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
SG_RULE_TYPES = (
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
)
_SG_PATHS = ("description", "name", "ingress[].description", "egress[].description")


def _bad_ec2_text(value: str) -> str | None:
    if len(value) > 255:
        return f"is {len(value)} characters; at most 255"
    if not EC2_DESCRIPTION_RE.fullmatch(value):
        bad = sorted({c for c in value if not EC2_DESCRIPTION_RE.fullmatch(c)})
        return f"contains {', '.join(repr(c) for c in bad)}, outside a-zA-Z0-9 spaces ._-:/()#,@[]+=&;{{}}!$*"
    return None


def _check_ec2_text(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    paths = _SG_PATHS if node.type in SG_TYPES else ("description",)
    for path in paths:
        for where, value in values_at(node.props, path):
            if isinstance(value, str):
                problem = _bad_ec2_text(value)
                if problem:
                    yield f"{where} {value!r} {problem}"
    name = node.get("name")
    if node.type in SG_TYPES and isinstance(name, str) and name.lower().startswith("sg-"):
        yield f"name {name!r} starts with 'sg-'"


EC2_TEXT = Rule(
    name="aws-ec2-description-charset",
    description="Security group and rule descriptions use only EC2's allowed characters and are <= 255 long.",
    pillar="aws-api",
    types=SG_TYPES + SG_RULE_TYPES,
    check=_check_ec2_text,
    why="EC2 rejects the call (InvalidParameterValue) otherwise. Source: EC2 API Reference, CreateSecurityGroup "
    "GroupDescription and IpRange/UserIdGroupPair Description: 'Valid characters: a-z, A-Z, 0-9, spaces, and "
    "._-:/()#,@[]+=&;{}!$*', up to 255 characters.",
    remediation="Rewrite the description with the allowed characters only (no apostrophes, quotes, '>' or "
    "non-ASCII characters such as em dashes); keep it within 255 characters.",
)

# --- names --------------------------------------------------------------------------------------
_LB_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_IAM_NAME = re.compile(r"[\w+=,.@-]+")
_LAMBDA_NAME = re.compile(r"[a-zA-Z0-9_-]+")
_CACHE_ID = re.compile(r"[A-Za-z](?:-?[A-Za-z0-9])*")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")

# (name input, prefix input, max length, pattern, source)
NAME_LIMITS: dict[str, tuple[str, str, int, re.Pattern[str], str]] = {
    "aws:lb/loadBalancer:LoadBalancer": (
        "name",
        "namePrefix",
        32,
        _LB_NAME,
        "ELBv2 API Reference, CreateLoadBalancer Name: at most 32 characters, alphanumerics and hyphens, "
        "must not begin or end with a hyphen or begin with 'internal-'",
    ),
    "aws:lb/targetGroup:TargetGroup": (
        "name",
        "namePrefix",
        32,
        _LB_NAME,
        "ELBv2 API Reference, CreateTargetGroup Name: at most 32 characters, alphanumerics and hyphens, "
        "must not begin or end with a hyphen",
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        "replicationGroupId",
        "",
        40,
        _CACHE_ID,
        "ElastiCache API Reference, CreateReplicationGroup ReplicationGroupId: 1-40 alphanumerics or hyphens, "
        "first a letter, no two consecutive hyphens, not ending with a hyphen",
    ),
    "aws:iam/role:Role": (
        "name",
        "namePrefix",
        64,
        _IAM_NAME,
        "IAM User Guide, IAM and AWS STS quotas: role names are at most 64 characters of [\\w+=,.@-]",
    ),
    "aws:lambda/function:Function": (
        "name",
        "",
        64,
        _LAMBDA_NAME,
        "Lambda API Reference, CreateFunction FunctionName: the name alone is at most 64 characters of "
        "[a-zA-Z0-9-_] (the 140 of the model counts a full ARN)",
    ),
    "aws:s3/bucket:Bucket": (
        "bucket",
        "bucketPrefix",
        63,
        _BUCKET,
        "S3 User Guide, General purpose bucket naming rules: 3-63 characters, lowercase letters, digits, dots "
        "and hyphens, begin and end with a letter or digit, no '..', not an IP address, no 'xn--'/'sthree-' "
        "prefix, no '-s3alias'/'--ol-s3' suffix",
    ),
}
NAME_LIMITS["aws:s3/bucketV2:BucketV2"] = NAME_LIMITS["aws:s3/bucket:Bucket"]
NAME_LIMITS["aws:alb/loadBalancer:LoadBalancer"] = NAME_LIMITS["aws:lb/loadBalancer:LoadBalancer"]
NAME_LIMITS["aws:alb/targetGroup:TargetGroup"] = NAME_LIMITS["aws:lb/targetGroup:TargetGroup"]
ACM_CERT = "aws:acm/certificate:Certificate"


def _extra_name_problems(type_: str, name: str) -> list[str]:
    out = []
    if type_ in ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer") and name.startswith(
        "internal-"
    ):
        out.append("begins with 'internal-'")
    if type_ == "aws:elasticache/replicationGroup:ReplicationGroup" and "--" in name:
        out.append("has two consecutive hyphens")
    if type_ in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"):
        if len(name) < 3:
            out.append("is shorter than 3 characters")
        if ".." in name:
            out.append("contains '..'")
        if name.startswith(("xn--", "sthree-")) or name.endswith(("-s3alias", "--ol-s3")):
            out.append("uses a reserved prefix or suffix")
        if _is_ipv4(name):
            out.append("is formatted as an IP address")
    return out


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _check_names(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    if node.type == ACM_CERT:
        domain = node.get("domainName")
        # ACM User Guide, "Requesting a public certificate" / RequestCertificate DomainName: the first
        # domain name (it becomes the certificate's CN) is at most 64 octets.
        if isinstance(domain, str) and len(domain.encode()) > 64:
            yield f"domainName {domain!r} is {len(domain.encode())} octets; the first domain is at most 64"
        return
    name_key, prefix_key, limit, pattern, _src = NAME_LIMITS[node.type]
    name = node.get(name_key)
    prefix = node.get(prefix_key) if prefix_key else None
    if is_unknown(name) or is_unknown(prefix):
        return
    if isinstance(name, str):
        what, final, tail = f"{name_key} {name!r}", name, ""
    elif isinstance(prefix, str):
        # terraform-provider-aws appends a 26-character unique id to a name prefix.
        what, final, tail = f"{prefix_key} {prefix!r}", prefix + "0" * 26, " with the provider's 26-character suffix"
    else:
        what, final, tail = f"auto-name {node.name!r}-xxxxxxx", node.name + "-abcdefg", " (Pulumi auto-naming)"
    if len(final) > limit:
        yield f"{what} is {len(final)} characters{tail}; at most {limit}"
    if not pattern.fullmatch(final):
        yield f"{what} does not match {pattern.pattern}"
    for p in _extra_name_problems(node.type, final):
        yield f"{what} {p}"


NAME_RULE = Rule(
    name="aws-name-limits",
    description="Resource names (given or auto-named) fit the length and character rules of their AWS service.",
    pillar="aws-api",
    types=(*sorted(NAME_LIMITS), ACM_CERT),
    check=_check_names,
    why="AWS rejects names that break its naming rules. Sources: "
    + "; ".join(sorted({v[4] for v in NAME_LIMITS.values()}))
    + "; ACM API Reference, RequestCertificate: the first domain name is at most 64 octets.",
    remediation="Shorten the logical resource name (auto-naming adds 8 characters) or set an explicit name that "
    "fits the service's rules.",
)

# --- WAF logging destination ---------------------------------------------------------------------
WAF_LOG_PREFIX = "aws-waf-logs-"
_DEST_TYPES = (g.LOG_GROUP, *g.BUCKETS, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")


def _dest_name_from_arn(arn: str) -> str | None:
    for marker in (":log-group:", ":deliverystream/", ":::"):
        if marker in arn:
            return arn.split(marker, 1)[1].split(":", 1)[0]
    return None


def _check_waf_logging(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    dests = ctx.graph.deps(node, "logDestinationConfigs", _DEST_TYPES)
    for dest in dests:
        key = "bucket" if dest.type in g.BUCKETS else "name"
        name = dest.get(key)
        if is_unknown(name):
            continue
        shown = name if isinstance(name, str) else f"{dest.name}-xxxxxxx (auto-named)"
        if not shown.startswith(WAF_LOG_PREFIX):
            yield f"logging destination {dest.name} is named {shown!r}; it must start with {WAF_LOG_PREFIX!r}"
    if dests:
        return  # judged from the destinations themselves
    configs = node.get("logDestinationConfigs")
    for arn in as_list(configs) if not is_unknown(configs) else []:
        dest_name = _dest_name_from_arn(arn) if isinstance(arn, str) else None
        if dest_name is not None and not dest_name.startswith(WAF_LOG_PREFIX):
            yield f"logging destination {arn!r} is not named {WAF_LOG_PREFIX}*"


WAF_LOG_NAMES = Rule(
    name="aws-waf-logging-destination-name",
    description="Every WAF logging destination (log group, bucket, Firehose stream) is named aws-waf-logs-*.",
    pillar="aws-api",
    types=(g.WEB_ACL_LOGGING,),
    scope="stack",
    check=_check_waf_logging,
    why="PutLoggingConfiguration fails otherwise. Source: AWS WAF Developer Guide, 'AWS WAF logging destinations' "
    "(CloudWatch Logs, S3, Firehose): the destination name must start with aws-waf-logs-.",
    remediation="Name the log group / bucket / delivery stream aws-waf-logs-<something>.",
)


# --- SQS visibility vs Lambda timeout ------------------------------------------------------------
def _num(v: Any, default: float) -> float | None:
    if v is None:
        return default
    if is_unknown(v) or isinstance(v, bool):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _check_sqs_lambda(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    for q in ctx.graph.deps(node, "eventSourceArn", (g.SQS_QUEUE,)):
        for fn in ctx.graph.deps(node, "functionName", (g.LAMBDA,)):
            vis = _num(q.get("visibilityTimeoutSeconds"), 30)  # SQS default: 30 s
            timeout = _num(fn.get("timeout"), 3)  # Lambda default: 3 s
            if vis is not None and timeout is not None and vis < timeout:
                yield (
                    f"queue {q.name} visibilityTimeoutSeconds={int(vis)} is less than function {fn.name} "
                    f"timeout={int(timeout)}"
                )


SQS_LAMBDA = Rule(
    name="aws-sqs-visibility-covers-lambda",
    description="An SQS queue feeding a Lambda function has a visibility timeout >= the function's timeout.",
    pillar="aws-api",
    types=("aws:lambda/eventSourceMapping:EventSourceMapping",),
    scope="stack",
    check=_check_sqs_lambda,
    why="CreateEventSourceMapping fails (InvalidParameterValueException: queue visibility timeout is less than "
    "function timeout). Source: Lambda Developer Guide, 'Using Lambda with Amazon SQS' (configuring the queue: "
    "visibility timeout at least the function timeout; six times is recommended).",
    remediation="Raise the queue's visibilityTimeoutSeconds (AWS recommends six times the function timeout) or "
    "lower the function's timeout.",
)

# --- CloudFront origin groups --------------------------------------------------------------------
# CloudFront Developer Guide, "Optimize high availability with CloudFront origin failover": an origin
# group has exactly two origins (primary, secondary); failover status codes are 400, 403, 404, 416,
# 500, 502, 503, 504.
FAILOVER_CODES = frozenset({400, 403, 404, 416, 500, 502, 503, 504})


def _check_origin_groups(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    groups = node.get("originGroups")
    if is_unknown(groups):
        return
    origin_ids = {o.get("originId") for o in as_list(node.get("origins")) if isinstance(o, dict)}
    for grp in as_list(groups):
        gid = grp.get("originId")
        members = as_list(grp.get("members"))
        if len(members) != 2:
            yield f"origin group {gid!r} has {len(members)} member(s); exactly 2 are allowed"
        for m in members:
            mid = m.get("originId") if isinstance(m, dict) else None
            if isinstance(mid, str) and not is_unknown(mid) and mid not in origin_ids:
                yield f"origin group {gid!r} names origin {mid!r}, which is not an origin of the distribution"
        codes = (grp.get("failoverCriteria") or {}).get("statusCodes")
        if not codes:
            yield f"origin group {gid!r} has no failover status codes"
        for c in as_list(codes):
            if isinstance(c, (int, float)) and int(c) not in FAILOVER_CODES:
                yield f"origin group {gid!r} fails over on {int(c)}; allowed: {sorted(FAILOVER_CODES)}"


ORIGIN_GROUPS = Rule(
    name="aws-cloudfront-origin-groups",
    description="Each CloudFront origin group has exactly two existing origins and only allowed failover codes.",
    pillar="aws-api",
    types=(g.DISTRIBUTION,),
    check=_check_origin_groups,
    why="CloudFront rejects the distribution otherwise. Source: CloudFront Developer Guide, 'Optimize high "
    "availability with CloudFront origin failover' (two origins; codes 400, 403, 404, 416, 500, 502, 503, 504).",
    remediation="Give each origin group exactly a primary and a secondary origin of the distribution and fail "
    "over only on 400, 403, 404, 416, 500, 502, 503 or 504.",
)


# --- Lambda layers in the function's region ------------------------------------------------------
def stack_region() -> str | None:
    """``aws:region`` of the stack (the CLI passes the stack config to the pack in PULUMI_CONFIG)."""
    try:
        cfg = json.loads(os.environ.get("PULUMI_CONFIG", "{}"))
    except ValueError:
        return None
    region = cfg.get("aws:region") if isinstance(cfg, dict) else None
    return region if isinstance(region, str) else None


def _check_layers(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    layers = node.get("layers")
    if is_unknown(layers):
        return
    region = node.get("region")
    if not isinstance(region, str) or is_unknown(region):
        region = stack_region()
    if region is None:
        return
    for arn in as_list(layers):
        if not isinstance(arn, str) or is_unknown(arn):
            continue
        parts = arn.split(":")
        if len(parts) >= 4 and parts[3] != region:
            yield f"layer {arn} is in {parts[3]}; the function is in {region}"


LAMBDA_LAYERS = Rule(
    name="aws-lambda-layer-region",
    description="Every Lambda layer version ARN is in the function's region.",
    pillar="aws-api",
    types=(g.LAMBDA,),
    check=_check_layers,
    why="CreateFunction fails otherwise. Source: Lambda Developer Guide, 'Adding layers to functions': a function "
    "can only use layers from its own Region.",
    remediation="Publish the layer in the function's region (or deploy the function there) and use that ARN.",
)


# --- RDS storage autoscaling ---------------------------------------------------------------------
def _check_rds_storage(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    alloc = node.get("allocatedStorage")
    top = node.get("maxAllocatedStorage")
    if not isinstance(alloc, (int, float)) or not isinstance(top, (int, float)) or top == 0:
        return
    if top < alloc * 1.1:
        yield f"maxAllocatedStorage={int(top)} is less than 110% of allocatedStorage={int(alloc)}"


RDS_STORAGE = Rule(
    name="aws-rds-max-allocated-storage",
    description="RDS maxAllocatedStorage, when set, is at least 10% above allocatedStorage.",
    pillar="aws-api",
    types=(g.RDS_INSTANCE,),
    check=_check_rds_storage,
    why="CreateDBInstance/ModifyDBInstance fail otherwise. Source: RDS User Guide, 'Managing capacity "
    "automatically with Amazon RDS storage autoscaling': the maximum storage threshold must be at least 10% "
    "more than the allocated storage.",
    remediation="Set maxAllocatedStorage to at least 1.1 x allocatedStorage (AWS recommends 26% headroom), or 0 to "
    "turn storage autoscaling off.",
)

RULES = (EC2_TEXT, NAME_RULE, WAF_LOG_NAMES, SQS_LAMBDA, ORIGIN_GROUPS, LAMBDA_LAYERS, RDS_STORAGE)
