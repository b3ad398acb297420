"""What ``AnalyzeStack`` sees: each resource's *outputs*, not the inputs the program registered.

The engine calls ``Analyze`` with a resource's inputs, but ``AnalyzeStack`` with its final state
(pulumi/pulumi ``pkg/resource/deploy/step_generator.go``, ``AnalyzeResources``: "Unlike Analyze,
AnalyzeStack is called on the final outputs of each resource", ``Properties: v.Outputs``).

For the attributes the pack judges that the provider marks Optional+Computed, that makes a
difference when the program leaves them unset:

- in a first preview the provider's planned state has them **unknown**;
- on update AWS fills them in (RDS and DynamoDB put their AWS-managed key ARN in ``kmsKeyId`` /
  ``serverSideEncryption.kmsKeyArn``, a load balancer reports ``internal: false``).

So a stack policy that asks "is it set?" is fooled both ways; the pack checks that on inputs in
resource policies and keeps joins in stack policies. :func:`stack_properties` models this for the
offline driver, for the attributes in :data:`OPTIONAL_COMPUTED` (provider schema: pulumi-aws, from the
Terraform AWS provider's ``aws_db_instance``, ``aws_dynamodb_table``, ``aws_lb``, ``aws_sqs_queue``
resource schemas, where these arguments are ``Optional: true, Computed: true``). Every custom resource
also gets its ``id`` on update, as the bridged provider's state carries it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from offline.engine import UNKNOWN, ResourceRecord
from offline.fakes import ACCOUNT_ID

# (record, region, every record by URN) -> the value AWS reports, or None to leave the attribute out.
Fill = Callable[[ResourceRecord, str, Mapping[str, ResourceRecord]], Any]


def _aws_key(service: str) -> Fill:
    """The ARN of the account's AWS-managed key ``aws/<service>`` (what AWS fills in when no key is given)."""

    def fill(record: ResourceRecord, region: str, by_urn: Mapping[str, ResourceRecord]) -> Any:
        if service == "rds":
            if record.inputs.get("storageEncrypted") is not True and not record.inputs.get("replicateSourceDb"):
                return None
            # A same-region read replica is encrypted with its source's key (RDS User Guide,
            # "Working with read replicas": the replica uses the same KMS key as the source).
            for urn in record.property_dependencies.get("replicateSourceDb", ()):
                source = by_urn.get(urn)
                if source is not None and source.type == record.type:
                    return source.inputs.get("kmsKeyId") or fill(source, region, by_urn)
        return f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/aws-managed-{service}"

    return fill


def _const(value: Any) -> Fill:
    return lambda _record, _region, _by_urn: value


# type -> top-level attribute -> what AWS reports when the program leaves it unset.
OPTIONAL_COMPUTED: Mapping[str, Mapping[str, Fill]] = {
    "aws:rds/instance:Instance": {
        "kmsKeyId": _aws_key("rds"),
        "multiAz": _const(False),
        "backupRetentionPeriod": _const(1),
        "parameterGroupName": _const("default.postgres16"),
        "dbSubnetGroupName": _const("default"),
    },
    "aws:dynamodb/table:Table": {"serverSideEncryption": _const({"enabled": False})},
    "aws:lb/loadBalancer:LoadBalancer": {"internal": _const(False)},
    "aws:alb/loadBalancer:LoadBalancer": {"internal": _const(False)},
    "aws:sqs/queue:Queue": {"sqsManagedSseEnabled": lambda r, _region, _by: not r.inputs.get("kmsMasterKeyId")},
}

# Nested Optional+Computed attributes: (type, block, attribute) filled only when the block is given.
_NESTED: Mapping[tuple[str, str], tuple[str, Fill]] = {
    ("aws:dynamodb/table:Table", "serverSideEncryption"): ("kmsKeyArn", _aws_key("dynamodb")),
}


def stack_properties(
    record: ResourceRecord, *, preview: bool, region: str, by_urn: Mapping[str, ResourceRecord] | None = None
) -> dict[str, Any]:
    """The properties ``AnalyzeStack`` receives for ``record`` in ``preview`` or update mode
    (``by_urn``: the other records, for attributes AWS copies from another resource)."""
    by_urn = by_urn or {}
    props = dict(record.inputs)
    if not record.custom:
        return props
    region = str(props.get("region") or region)
    for attr, fill in OPTIONAL_COMPUTED.get(record.type, {}).items():
        if attr in props and props[attr] is not None:
            continue
        if preview:
            props[attr] = UNKNOWN
        else:
            value = fill(record, region, by_urn)
            if value is None:
                props.pop(attr, None)
            else:
                props[attr] = value
    for (type_, block), (attr, fill) in _NESTED.items():
        value = props.get(block)
        if record.type != type_ or not isinstance(value, dict) or value.get("enabled") is not True:
            continue
        if value.get(attr) is None:
            props[block] = {**value, attr: UNKNOWN if preview else fill(record, region, by_urn)}
    if not preview and record.id:
        props.setdefault("id", record.id)
    return props
