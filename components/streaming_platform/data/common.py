"""What the data tier's parts share: bucket roles, ports, windows, and the client-group and final-snapshot helpers."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from streaming_platform._component import StreamingComponent

# Roles of the buckets the tier creates; keys of ``bucket_names``, ``bucket_ids``, ``bucket_arns``.
UPLOADS, RENDITIONS, LOGS = "uploads", "renditions", "logs"
# Buckets replicated to the DR region when ``dr_region`` is set; the replica's key is f"{role}-dr".
# Renditions replicate too: the edge's origin group fails over to the replica while the region is down.
REPLICATED_BUCKETS: tuple[str, ...] = (UPLOADS, RENDITIONS)

REDIS_PORT, POSTGRES_PORT = 6379, 5432


def client_security_group(
    part: StreamingComponent,
    store: str,
    port: int,
    *,
    vpc_id: pulumi.Input[str],
    client_security_group_id: pulumi.Input[str],
) -> aws.ec2.SecurityGroup:
    """The store's security group: ``port`` from the tier's client group only, no egress; and the client group's
    matching egress rule (a separate resource: inline rules on both groups would reference each other in a cycle)."""
    name = part._name
    sg = aws.ec2.SecurityGroup(
        f"{name}-{store}",
        vpc_id=vpc_id,
        description=f"{store} on {port} from the data-tier client group only",
        ingress=[
            {
                "protocol": "tcp",
                "from_port": port,
                "to_port": port,
                "security_groups": [client_security_group_id],
                "description": f"{store} from {name}-clients",
            }
        ],
        egress=[],
        tags=part.tags(f"{name}-{store}"),
        opts=part.child(),
    )
    aws.vpc.SecurityGroupEgressRule(
        f"{name}-clients-to-{store}",
        security_group_id=client_security_group_id,
        referenced_security_group_id=sg.id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=f"{store} in {name}-{store}",
        opts=part.child(),
    )
    return sg


def final_snapshot_name(
    part: StreamingComponent, resource_name: str, identifier: str, replaced_with: Mapping[str, pulumi.Input[str]]
) -> pulumi.Output[str]:
    """``<identifier>-final-<8 hex>``: a final snapshot name no earlier deletion of the store has taken.

    RDS and ElastiCache refuse to delete a store whose final snapshot name already exists (DeleteDBInstance
    ``DBSnapshotAlreadyExists``, DeleteReplicationGroup ``SnapshotAlreadyExistsFault``, in their API references), so
    a fixed name works once. The suffix comes from a ``random.RandomId`` whose ``keepers`` are the store's
    replacement-triggering inputs (``replaced_with``): whenever the store is replaced, the id is replaced too and
    the new store gets a new name; a re-created stack draws a new id. The id is new after 0.1 (no alias)."""
    suffix = random.RandomId(resource_name, byte_length=4, keepers=dict(replaced_with), opts=part.child(new=True))
    return pulumi.Output.concat(identifier, "-final-", suffix.hex)
