"""KMS: key rotation, and every key reference resolving to a key of this stack.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pulumi_policy import Severity

from . import graph as g
from .checks import aws_managed_alias
from .graph import Node, is_unknown
from .rule import Ctx, Finding, Option, Rule, Unknown


def _asymmetric(node: Node, _ctx: Ctx) -> str | None:
    spec = node.get("customerMasterKeySpec", default="SYMMETRIC_DEFAULT")
    return None if spec in ("SYMMETRIC_DEFAULT", g.UNKNOWN) else f"{spec} keys do not support rotation"


def _check_rotation(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    v = node.get("enableKeyRotation")
    if is_unknown(v):
        yield Unknown("enableKeyRotation")
    elif v is not True:
        yield "enableKeyRotation is not true"


KMS_ROTATION = Rule(
    name="kms-key-rotation",
    description="Every symmetric customer-managed KMS key has automatic rotation enabled.",
    pillar="encryption",
    types=(g.KMS_KEY,),
    check=_check_rotation,
    exempt=_asymmetric,
    fsbp=("KMS.4",),
    severity=Severity.MEDIUM,
    why="Rotation limits the amount of data protected by one key version.",
    remediation="Set enable_key_rotation=True.",
)


Values = Callable[[Node], list[tuple[str, Any]]]


def _at(prop: str, *path: str) -> Values:
    return lambda n: [(".".join((prop, *path)), n.get(prop, *path))]


def _each(prop: str, *path: str) -> Values:
    """``prop`` is a list of blocks; the key sits at ``path`` in each."""

    def values(n: Node) -> list[tuple[str, Any]]:
        items = n.get(prop)
        if is_unknown(items):
            return [(prop, g.UNKNOWN)]
        return [(f"{prop}[{i}].{'.'.join(path)}", g.dig(b, *path)) for i, b in enumerate(g.as_list(items))]

    return values


# Every input that names the KMS key encrypting a data store, a log, a message or a volume:
# (resource type, top-level input the engine records the dependency under, where the key sits).
KEY_INPUTS: tuple[tuple[str, str, Values], ...] = (
    (g.RDS_INSTANCE, "kmsKeyId", _at("kmsKeyId")),
    (g.RDS_INSTANCE, "performanceInsightsKmsKeyId", _at("performanceInsightsKmsKeyId")),
    (g.RDS_INSTANCE, "masterUserSecretKmsKeyId", _at("masterUserSecretKmsKeyId")),
    ("aws:rds/cluster:Cluster", "kmsKeyId", _at("kmsKeyId")),
    ("aws:rds/cluster:Cluster", "masterUserSecretKmsKeyId", _at("masterUserSecretKmsKeyId")),
    ("aws:rds/cluster:Cluster", "performanceInsightsKmsKeyId", _at("performanceInsightsKmsKeyId")),
    (g.CACHE_REPLICATION_GROUP, "kmsKeyId", _at("kmsKeyId")),
    (g.DYNAMODB_TABLE, "serverSideEncryption", _at("serverSideEncryption", "kmsKeyArn")),
    (g.DYNAMODB_TABLE, "replicas", _each("replicas", "kmsKeyArn")),
    ("aws:dynamodb/tableReplica:TableReplica", "kmsKeyArn", _at("kmsKeyArn")),
    (g.SQS_QUEUE, "kmsMasterKeyId", _at("kmsMasterKeyId")),
    (g.SNS_TOPIC, "kmsMasterKeyId", _at("kmsMasterKeyId")),
    (g.LOG_GROUP, "kmsKeyId", _at("kmsKeyId")),
    (g.LAMBDA, "kmsKeyArn", _at("kmsKeyArn")),
    *((t, "rules", _each("rules", "applyServerSideEncryptionByDefault", "kmsMasterKeyId")) for t in g.BUCKET_SSE),
    (g.LAUNCH_TEMPLATE, "blockDeviceMappings", _each("blockDeviceMappings", "ebs", "kmsKeyId")),
    ("aws:ebs/volume:Volume", "kmsKeyId", _at("kmsKeyId")),
    ("aws:secretsmanager/secret:Secret", "kmsKeyId", _at("kmsKeyId")),
)
_BY_TYPE: dict[str, list[tuple[str, Values]]] = {}
for _t, _prop, _values in KEY_INPUTS:
    _BY_TYPE.setdefault(_t, []).append((_prop, _values))

EXTERNAL_KEYS = Option(
    "externalKeyArns",
    {"type": "array", "items": {"type": "string"}, "default": []},
    "Known ARNs of customer-managed keys managed outside this stack that are accepted too.",
)


def _check_key_of_this_stack(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    external = set(ctx.opt("externalKeyArns", KEY_OF_THIS_STACK))
    for prop, values in _BY_TYPE[node.type]:
        from_stack = bool(ctx.graph.deps(node, prop, g.KMS_KEY_REFS))
        if node.type == g.RDS_INSTANCE and prop == "kmsKeyId" and not from_stack:
            # A read replica of an instance of this stack inherits (and reports) its source's key,
            # which this rule judges on the source.
            from_stack = bool(ctx.graph.deps(node, "replicateSourceDb", (g.RDS_INSTANCE,)))
        for label, value in values(node):
            # Unset and AWS-managed aliases are the resource rules' verdicts (they see the inputs).
            if not value or from_stack or aws_managed_alias(value) or value in external:
                continue
            if is_unknown(value):
                yield Unknown(f"{label} (not a KMS key of this stack)")
            else:
                yield (
                    f"{label} is {value}, which is not a KMS key of this stack (nor listed in externalKeyArns); "
                    "on update this is also what AWS reports when no key was given (its AWS-managed key)"
                )


KEY_OF_THIS_STACK = Rule(
    name="kms-key-of-this-stack",
    description="Every KMS key an encryption setting names is a KMS key or alias of this stack (or a listed "
    "external key).",
    pillar="encryption",
    types=tuple(_BY_TYPE),
    scope="stack",
    check=_check_key_of_this_stack,
    options=(EXTERNAL_KEYS,),
    why="A key ARN typed in, or the AWS-managed key AWS fills in when none is given, is not under this stack's "
    "key policy, rotation and protection; only the dependency graph shows which key it really is.",
    remediation="Pass the key resource's output (key.arn / alias.arn) rather than a string, or list a key managed "
    "elsewhere in externalKeyArns.",
    notes="Judges the join only (stack policies see outputs, where AWS fills in its managed key); whether a key "
    "is set at all is each service rule's check on the inputs.",
)


# The input that disables a key, per key type (pulumi-aws: Key.isEnabled; ReplicaKey / ExternalKey.enabled;
# each defaults to true).
ENABLED_INPUT = {
    g.KMS_KEY: "isEnabled",
    "aws:kms/replicaKey:ReplicaKey": "enabled",
    "aws:kms/externalKey:ExternalKey": "enabled",
}


def _check_enabled(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    prop = ENABLED_INPUT[node.type]
    v = node.get(prop)
    if is_unknown(v):
        yield Unknown(prop)
    elif v is False or (isinstance(v, str) and v.lower() == "false"):
        # A disabled key cannot be used in any cryptographic operation (AWS KMS Developer Guide, "Enabling and
        # disabling keys"): every object, table, volume and message under it becomes unreadable.
        yield f"{prop} is false: nothing encrypted under this key can be read or written"


KMS_KEY_ENABLED = Rule(
    name="kms-key-enabled",
    description="Every KMS key (and replica or external key) of this stack is enabled.",
    pillar="encryption",
    types=tuple(ENABLED_INPUT),
    check=_check_enabled,
    severity=Severity.HIGH,
    why="Disabling a key is an outage of everything it encrypts (uploads, renditions, the database, logs, queues) "
    "that no alarm of the data stores explains.",
    remediation="Leave is_enabled unset (true) on aws.kms.Key (enabled on replica and external keys); retire a key "
    "by rotating the data to a new one, not by disabling it.",
)


RULES = (KMS_ROTATION, KEY_OF_THIS_STACK, KMS_KEY_ENABLED)
