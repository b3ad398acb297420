"""RDS: Multi-AZ primaries, encryption with a customer-managed key, forced TLS, deletion protection, backups.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import graph as g
from .checks import MIN_AZS, flag, kms_ref
from .graph import Node, is_unknown
from .rule import Ctx, Finding, Option, Rule, Unknown


def _rds_replica(node: Node, _ctx: Ctx) -> str | None:
    src = node.get("replicateSourceDb")
    return "read replica (replicateSourceDb set)" if src else None


RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_TYPES = (g.RDS_INSTANCE, RDS_CLUSTER)


def _check_rds_multi_az(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    v = node.get("multiAz")
    if is_unknown(v):
        yield Unknown("multiAz")
    elif v is not True:
        yield "multiAz is not true"
    if not node.get("dbSubnetGroupName"):
        # Without one RDS places the instance in the default VPC's default subnet group
        # (CreateDBInstance, DBSubnetGroupName: "If there is no DB subnet group, then it is a non-VPC DB instance").
        yield "dbSubnetGroupName is not set: the standby can only go where the default subnet group reaches"


RDS_MULTI_AZ = Rule(
    name="rds-multi-az",
    description="Every primary RDS DB instance is Multi-AZ in a subnet group of its own (read replicas are exempt).",
    pillar="multi-az",
    types=(g.RDS_INSTANCE,),
    check=_check_rds_multi_az,
    exempt=_rds_replica,
    fsbp=("RDS.5",),
    why="A single-AZ primary loses writes for the whole platform during an AZ outage or maintenance.",
    remediation="Set multiAz=True on the primary instance and db_subnet_group_name to the data-tier subnet group.",
)


def _replica(node: Node, _ctx: Ctx) -> str | None:
    return "read replica (inherits encryption and settings from its source)" if node.get("replicateSourceDb") else None


def _check_rds_encrypted(node: Node, ctx: Ctx) -> Iterator[Finding]:
    enc = node.get("storageEncrypted")
    if is_unknown(enc):
        yield Unknown("storageEncrypted")
    elif enc is not True:
        yield "storageEncrypted is not true"
    yield from kms_ref(ctx, node, "kmsKeyId", node.get("kmsKeyId"), "kmsKeyId")


RDS_ENCRYPTED = Rule(
    name="rds-storage-encrypted",
    description="Every RDS DB instance and Aurora cluster has storageEncrypted with a customer-managed kmsKeyId.",
    pillar="encryption",
    types=RDS_TYPES,
    check=_check_rds_encrypted,
    exempt=_replica,
    fsbp=("RDS.3",),
    why="Encryption at rest cannot be turned on after creation; the CMK keeps snapshots under our key policy.",
    remediation="Set storage_encrypted=True and kms_key_id=key.arn (requires replacement on an existing instance).",
)


SSL_PARAMS = {"rds.force_ssl": ("1",), "require_secure_transport": ("1", "ON", "on", "true")}


CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
# Where a DB instance and an Aurora cluster take their TLS setting from: Aurora reads rds.force_ssl /
# require_secure_transport from the DB *cluster* parameter group (Aurora User Guide, "Securing Aurora
# PostgreSQL data with SSL/TLS" and "TLS connections to Aurora MySQL DB clusters").
PARAMETER_GROUP_OF = {
    g.RDS_INSTANCE: ("parameterGroupName", g.RDS_PARAMETER_GROUP),
    RDS_CLUSTER: ("dbClusterParameterGroupName", CLUSTER_PARAMETER_GROUP),
}


def _check_rds_force_ssl(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    prop, group_type = PARAMETER_GROUP_OF[node.type]
    groups = ctx.graph.deps(node, prop, (group_type,))
    if not groups:
        name = node.get(prop)
        # Unknown without a parameter group of this stack behind it is either omitted (Optional+Computed:
        # unknown in a first preview, the default group after create) or another resource's output.
        shown = "(default)" if not name else "(not a parameter group of this stack)" if is_unknown(name) else name
        yield f"parameter group {shown} is not managed in this stack, so rds.force_ssl=1 is not enforced"
        return
    for pg in groups:
        params = pg.get("parameters")
        if is_unknown(params):
            yield Unknown(f"{pg.name}.parameters")
            return
        for p in g.as_list(params):
            if not isinstance(p, dict):
                continue
            allowed = SSL_PARAMS.get(str(p.get("name")))
            if allowed and str(p.get("value")) in allowed:
                return
    yield f"parameter group {groups[0].name} does not set rds.force_ssl=1"


RDS_FORCE_SSL = Rule(
    name="rds-force-ssl",
    description="Every RDS DB instance and Aurora cluster uses a (cluster) parameter group of this stack that sets "
    "rds.force_ssl=1.",
    pillar="encryption",
    types=RDS_TYPES,
    scope="stack",
    check=_check_rds_force_ssl,
    why="Without it PostgreSQL accepts unencrypted client connections inside the VPC.",
    remediation="Create aws.rds.ParameterGroup(family='postgres16', parameters=[{name: 'rds.force_ssl', value: "
    "'1'}]) and pass its name as parameter_group_name; for Aurora the same parameter in an "
    "aws.rds.ClusterParameterGroup passed as db_cluster_parameter_group_name. (MySQL: require_secure_transport=1.)",
)


def _replica_no_backups(node: Node, _ctx: Ctx) -> str | None:
    return "read replica (replicateSourceDb set)" if node.get("replicateSourceDb") else None


RDS_DELETION_PROTECTION = Rule(
    name="rds-deletion-protection",
    description="Every RDS DB instance and Aurora cluster has deletionProtection enabled.",
    pillar="data-safety",
    types=RDS_TYPES,
    check=lambda n, _c: flag(n, ("deletionProtection",), "deletionProtection"),
    fsbp=("RDS.8",),
    why="One mistaken delete (console, CLI or a replacing update) would drop the catalogue database.",
    remediation="Set deletion_protection=True.",
)


MIN_RETENTION = Option(
    "minRetentionDays", {"type": "integer", "minimum": 1, "default": 7}, "Minimum backupRetentionPeriod in days."
)


def _check_backups(node: Node, ctx: Ctx) -> Iterator[Finding]:
    days = node.get("backupRetentionPeriod")
    minimum = int(ctx.opt("minRetentionDays", RDS_BACKUPS))
    if is_unknown(days):
        yield Unknown("backupRetentionPeriod")
    elif days is None or days < minimum:
        shown = "unset" if days is None else int(days)
        yield f"backupRetentionPeriod is {shown}; at least {minimum} days required"
    skip, drop = node.get("skipFinalSnapshot"), node.get("deleteAutomatedBackups", default=True)
    if is_unknown(skip) or is_unknown(drop):
        yield Unknown("skipFinalSnapshot / deleteAutomatedBackups")
    elif skip is True and drop is not False:
        # deleteAutomatedBackups defaults to true (CreateDBInstance / DeleteDBInstance API reference).
        yield "skipFinalSnapshot with deleteAutomatedBackups: deleting the instance leaves no snapshot or backup"


RDS_BACKUPS = Rule(
    name="rds-backup-retention",
    description="Every primary RDS DB instance and Aurora cluster keeps automated backups for at least "
    "minRetentionDays days, and a delete leaves a final snapshot or the backups.",
    pillar="data-safety",
    types=RDS_TYPES,
    check=_check_backups,
    exempt=_replica_no_backups,
    options=(MIN_RETENTION,),
    fsbp=("RDS.11",),
    why="Point-in-time restore is the only recovery from bad migrations or data corruption.",
    remediation="Set backup_retention_period=7 (or more) on the primary.",
)


def _replicas_of(ctx: Ctx, primary: Node) -> list[Node]:
    """The read replicas of this stack whose replicateSourceDb comes from ``primary`` (the graph)."""
    assert ctx.graph is not None
    return ctx.graph.referrers(primary, (g.RDS_INSTANCE,), "replicateSourceDb")


def _without_replicas(node: Node, ctx: Ctx) -> str | None:
    if node.get("replicateSourceDb"):
        return "read replica (judged with its source)"
    return None if _replicas_of(ctx, node) else "no read replicas of this stack"


def _check_replica_azs(node: Node, ctx: Ctx) -> Iterator[Finding]:
    replicas = _replicas_of(ctx, node)
    min_azs = int(ctx.opt("minAzs", RDS_REPLICA_AZS))
    azs: list[str] = []
    for r in replicas:
        az = r.get("availabilityZone")
        if is_unknown(az):
            yield Unknown(f"{r.name}.availabilityZone")
            return
        if not az:
            # Without one RDS picks the AZ (CreateDBInstanceReadReplica, AvailabilityZone: "Default: A random,
            # system-chosen Availability Zone"), which may be the one every other replica is in.
            yield f"read replica {r.name} has no availabilityZone: RDS chooses it, so the replicas may share one AZ"
            return
        azs.append(az)
    distinct = sorted(set(azs))
    # Read capacity survives the loss of one AZ only when the replicas sit in more than one: with n replicas,
    # at least min(n, minAzs) AZs. A single replica must at least leave the primary's pinned AZ.
    needed = min(len(replicas), min_azs)
    primary_az = node.get("availabilityZone")
    if len(distinct) < needed:
        yield (
            f"its {len(replicas)} read replicas span {len(distinct)} AZ(s) ({', '.join(distinct)}); at least "
            f"{needed} required so that reads survive an AZ outage"
        )
    elif len(replicas) == 1 and isinstance(primary_az, str) and not is_unknown(primary_az) and primary_az in azs:
        yield f"its only read replica is in the primary's AZ {primary_az}: one AZ outage takes every copy"


RDS_REPLICA_AZS: Rule = Rule(
    name="rds-read-replicas-span-azs",
    description="The read replicas of every RDS primary are pinned to at least min(replicas, minAzs) distinct "
    "Availability Zones.",
    pillar="multi-az",
    types=(g.RDS_INSTANCE,),
    scope="stack",
    check=_check_replica_azs,
    exempt=_without_replicas,
    options=(MIN_AZS,),
    why="The replicas carry the platform's read traffic; replicas that all sit in one AZ lose every reader at "
    "once when that AZ fails, and the Multi-AZ standby of the primary does not serve reads.",
    remediation="Give every aws.rds.Instance with replicate_source_db an explicit availability_zone, one AZ per "
    "replica (prod: streaming:dbReadReplicaZoneIds lists one zone id per replica).",
    notes="Replicas are the RDS instances whose replicateSourceDb comes from the primary in the dependency graph.",
)


CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"


def _cluster_members(ctx: Ctx, cluster: Node) -> list[Node]:
    """The cluster instances of this stack whose clusterIdentifier comes from ``cluster`` (the graph)."""
    assert ctx.graph is not None
    return ctx.graph.referrers(cluster, (CLUSTER_INSTANCE,), "clusterIdentifier")


def _check_cluster_multi_az(node: Node, ctx: Ctx) -> Iterator[Finding]:
    if not node.get("dbSubnetGroupName"):
        yield "dbSubnetGroupName is not set: the cluster's instances can only go where the default subnet group reaches"
    if node.get("dbClusterInstanceClass"):
        # A Multi-AZ DB cluster: RDS itself runs a writer and two readers in three AZs (RDS User Guide,
        # "Multi-AZ DB cluster deployments").
        return
    members = _cluster_members(ctx, node)
    min_azs = int(ctx.opt("minAzs", RDS_CLUSTER_MULTI_AZ))
    needed = max(2, min_azs)
    if len(members) < 2:
        # An Aurora cluster fails over only to an Aurora Replica; with the writer alone Aurora recreates it,
        # in the same AZ if it can (Aurora User Guide, "High availability for Amazon Aurora").
        yield (
            f"{len(members)} cluster instance(s) of this stack: the writer has no failover target in another AZ "
            f"(at least {needed} instances, in {min_azs} AZs)"
        )
        return
    azs: list[str] = []
    for m in members:
        az = m.get("availabilityZone")
        if is_unknown(az):
            yield Unknown(f"{m.name}.availabilityZone")
            return
        if not az:
            # CreateDBInstance, AvailabilityZone: "Default: A random, system-chosen Availability Zone", which may
            # be the writer's.
            yield f"cluster instance {m.name} has no availabilityZone: RDS chooses it, so instances may share one AZ"
            return
        azs.append(az)
    distinct = sorted(set(azs))
    if len(distinct) < min(len(members), min_azs):
        yield (
            f"its {len(members)} instances span {len(distinct)} AZ(s) ({', '.join(distinct)}); at least "
            f"{min(len(members), min_azs)} required so that the writer fails over to another AZ"
        )


RDS_CLUSTER_MULTI_AZ: Rule = Rule(
    name="rds-cluster-multi-az",
    description="Every Aurora DB cluster has instances of this stack pinned to at least min(instances, minAzs) "
    "Availability Zones, at least two instances, and a subnet group (Multi-AZ DB clusters are multi-AZ by design).",
    pillar="multi-az",
    types=(RDS_CLUSTER,),
    scope="stack",
    check=_check_cluster_multi_az,
    options=(MIN_AZS,),
    fsbp=("RDS.15",),
    why="An Aurora cluster with one instance, or with every instance in one AZ, loses its writer for the whole "
    "platform when that AZ fails: the cluster volume survives, the endpoint does not.",
    remediation="Add aws.rds.ClusterInstance readers (cluster_identifier=cluster.id), each with its own "
    "availability_zone, so the instances span minAzs AZs; set db_subnet_group_name to the data-tier subnet group.",
    notes="The cluster's instances are the aws:rds/clusterInstance resources whose clusterIdentifier comes from the "
    "cluster in the dependency graph.",
)


RULES = (
    RDS_MULTI_AZ,
    RDS_REPLICA_AZS,
    RDS_CLUSTER_MULTI_AZ,
    RDS_ENCRYPTED,
    RDS_FORCE_SSL,
    RDS_DELETION_PROTECTION,
    RDS_BACKUPS,
)
