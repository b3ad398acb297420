"""Read-only helpers over the resources the engine hands a policy.

Everything here works on *plain* values: :func:`plain` unwraps the SDK's unknown-checking
proxies without ever touching an unknown, so a policy decides for itself what an unknown
means instead of the SDK aborting the whole policy with an advisory "can't run during
preview" diagnostic.

:class:`StackGraph` indexes one ``AnalyzeStack`` request once (by URN, by type, and lazily by
"which resources of type T point at URN U through property P"), so every join a policy
makes is a dict lookup and a whole-stack policy is linear in the number of resources.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    _DictProxy,
    _ListProxy,
)
from pulumi_policy.secret import Secret

UNKNOWN = UNKNOWN_STRING_VALUE
_SENTINELS = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)

# Resource type tokens (pulumi-aws v7), shared by the rule modules.
SUBNET = "aws:ec2/subnet:Subnet"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
ASG = "aws:autoscaling/group:Group"
ECS_SERVICE = "aws:ecs/service:Service"
LAMBDA = "aws:lambda/function:Function"
RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
RDS_SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
CACHE_SUBNET_GROUP = "aws:elasticache/subnetGroup:SubnetGroup"
CACHE_REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
API_STAGE = "aws:apigateway/stage:Stage"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_SSE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
BUCKET_VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
BUCKET_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
DYNAMODB_TABLE = "aws:dynamodb/table:Table"
SQS_QUEUE = "aws:sqs/queue:Queue"
SNS_TOPIC = "aws:sns/topic:Topic"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KMS_KEY = "aws:kms/key:Key"
KMS_KEY_REFS = (KMS_KEY, "aws:kms/alias:Alias", "aws:kms/replicaKey:ReplicaKey", "aws:kms/externalKey:ExternalKey")


def is_unknown(value: Any) -> bool:
    """True for any of the engine's "computed" sentinels (an output not known during preview)."""
    return isinstance(value, str) and value in _SENTINELS


def plain(value: Any) -> Any:
    """A plain dict/list copy of ``value`` with the SDK proxies and secret wrappers removed.

    Unknowns stay as their sentinel strings; nothing here can raise ``UnknownValueError``.
    """
    if isinstance(value, (_DictProxy, _ListProxy)):
        value = value["__target"]
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


class Missing:
    """Marker for "no value"; distinct from ``None`` so callers can tell absent from null."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = Missing()


def dig(obj: Any, *path: str | int, default: Any = None) -> Any:
    """Walk ``path`` into plain values.

    Returns ``UNKNOWN`` as soon as an unknown is met on the way (so ``dig(props, "a", "b")`` is
    unknown when ``a`` is), ``default`` when a key or index is absent or the value is ``None``.
    """
    cur = obj
    for key in path:
        if is_unknown(cur):
            return UNKNOWN
        if isinstance(key, int):
            if not isinstance(cur, list) or not -len(cur) <= key < len(cur):
                return default
            cur = cur[key]
        else:
            if not isinstance(cur, dict) or key not in cur:
                return default
            cur = cur[key]
        if cur is None:
            return default
    if is_unknown(cur):
        return UNKNOWN
    return cur


def as_list(value: Any) -> list[Any]:
    """``value`` as a list: ``[]`` for absent, ``[value]`` for a single object (a one-element block)."""
    if value is None or value is MISSING:
        return []
    if isinstance(value, list):
        return value
    return [value]


def truthy(value: Any) -> bool:
    """A known true flag (``True`` or the strings "true"/"True", as string-typed booleans arrive)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


class Node:
    """One resource: type, name, URN, plain inputs, protect, and dependency URNs."""

    __slots__ = ("_props", "_raw", "name", "parent", "prop_deps", "protect", "type", "urn")

    def __init__(
        self,
        type_: str,
        name: str,
        urn: str,
        raw_props: Any,
        protect: bool,
        parent: str | None,
        prop_deps: Mapping[str, Sequence[str]],
    ) -> None:
        self.type = type_
        self.name = name
        self.urn = urn
        self.protect = bool(protect)
        self.parent = parent
        self._raw = raw_props
        self._props: dict[str, Any] | None = None
        self.prop_deps = prop_deps

    @property
    def props(self) -> dict[str, Any]:
        """Plain inputs, converted on first use (most policies only look at a few types)."""
        if self._props is None:
            self._props = plain(self._raw) or {}
        return self._props

    def get(self, *path: str | int, default: Any = None) -> Any:
        return dig(self.props, *path, default=default)

    def tag(self, key: str) -> Any:
        """The value of tag ``key``; ``UNKNOWN`` if the tags are not known yet, ``None`` if absent."""
        tags = self.get("tags")
        if is_unknown(tags):
            return UNKNOWN
        if not isinstance(tags, dict):
            return None
        return dig(tags, key)

    def __repr__(self) -> str:
        return f"Node({self.type}, {self.name})"

    @classmethod
    def from_resource(cls, r: Any) -> Node:
        """From a ``PolicyResource`` (AnalyzeStack): property dependencies are already resource objects."""
        deps = {k: tuple(d.urn for d in v) for k, v in r.property_dependencies.items()}
        parent = r.parent.urn if r.parent is not None else r.opts.parent
        return cls(r.resource_type, r.name, r.urn, r.props, r.opts.protect, parent, deps)

    @classmethod
    def from_args(cls, args: Any) -> Node:
        """From ``ResourceValidationArgs`` (Analyze): no dependency information."""
        return cls(args.resource_type, args.name, args.urn, args.props, args.opts.protect, args.opts.parent, {})


class StackGraph:
    """Index over the resources of one stack; every lookup is O(1) amortised."""

    def __init__(self, nodes: Iterable[Node]) -> None:
        self.nodes = list(nodes)
        self.by_urn: dict[str, Node] = {}
        self.by_type: dict[str, list[Node]] = {}
        for n in self.nodes:
            self.by_urn[n.urn] = n
            self.by_type.setdefault(n.type, []).append(n)
        self._referrers: dict[tuple[tuple[str, ...], str], dict[str, list[Node]]] = {}
        self.cache: dict[str, Any] = {}  # per-request memo for rules (e.g. subnets grouped by tier)

    @classmethod
    def from_resources(cls, resources: Iterable[Any]) -> StackGraph:
        return cls(Node.from_resource(r) for r in resources)

    def of_types(self, *types: str) -> list[Node]:
        out: list[Node] = []
        for t in types:
            out.extend(self.by_type.get(t, ()))
        return out

    def deps(self, node: Node, prop: str, types: Iterable[str] | None = None) -> list[Node]:
        """Resources in the stack that input ``prop`` of ``node`` depends on (optionally of ``types``)."""
        wanted = set(types) if types is not None else None
        out = []
        for urn in node.prop_deps.get(prop, ()):
            dep = self.by_urn.get(urn)
            if dep is not None and (wanted is None or dep.type in wanted):
                out.append(dep)
        return out

    def referrers(self, target: Node, types: Iterable[str], prop: str) -> list[Node]:
        """Resources of ``types`` whose input ``prop`` depends on ``target`` (reverse edge, indexed once)."""
        key = (tuple(types), prop)
        index = self._referrers.get(key)
        if index is None:
            index = {}
            for n in self.of_types(*key[0]):
                for urn in n.prop_deps.get(prop, ()):
                    index.setdefault(urn, []).append(n)
            self._referrers[key] = index
        return index.get(target.urn, [])


def subnet_az(subnet: Node) -> Any:
    """The AZ (name or id) of a subnet from its own known inputs; ``UNKNOWN`` or ``None`` otherwise."""
    az = subnet.get("availabilityZone")
    if az is None:
        az = subnet.get("availabilityZoneId")
    return az
