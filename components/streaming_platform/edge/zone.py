"""PublicZone: the site's Route 53 public hosted zone, and DNS-validated ACM certificates in it.

The zone is created, or an existing one is adopted by id (a registrar delegation or a parent account's
zone that this stack must not own). Components that need certificates call ``certificate`` with their
own ``parent`` (and, for CloudFront, a us-east-1 ``provider``), so the certificate, its validation
records and the ``CertificateValidation`` belong to the component that uses them.

ACM validates a DNS certificate only once public resolvers reach the zone, that is once the parent delegates
to it (ACM User Guide, "DNS validation"); until then ``CertificateValidation`` waits for the provider's create
timeout (75 minutes) and fails. So the zone knows its ``ZoneDelegation``: an adopted zone is delegated; a created
one is delegated by this stack when its parent zone is in the same account (the NS record is written here and
every validation waits for it), or else stays ``PENDING`` and ``certificate`` refuses, until the operator
confirms that the registrar or the other account delegates to ``name_servers``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import pulumi
import pulumi_aws as aws

from streaming_platform._component import reject_invalid

VALIDATION_RECORD_TTL = 60
DELEGATION_RECORD_TTL = 3600  # NS answers for the child are cached this long; short enough to repoint in an hour


class ZoneDelegation(StrEnum):
    """How the parent of the site's zone comes to answer with its name servers."""

    ADOPTED = "ADOPTED"
    """An existing, already delegated zone (``hosted_zone_id``): certificates are validated at once."""
    BY_PARENT_IN_ACCOUNT = "BY_PARENT_IN_ACCOUNT"
    """A created zone whose parent zone is in this account (``parent_zone_name``): the component writes the NS
    record there, and every certificate validation waits for it."""
    PENDING = "PENDING"
    """A created zone that someone outside the stack (the registrar, another account) must delegate to
    ``name_servers``: no certificate can be validated yet, and ``certificate`` refuses to start one."""
    CONFIRMED = "CONFIRMED"
    """A created zone whose outside delegation the operator has confirmed (``delegation_confirmed``)."""


@dataclass
class PublicZoneArgs:
    """Inputs of PublicZone."""

    domain_name: str
    """Apex of the zone, for example ``video.example.com``; certificates may name it or any name under it."""

    hosted_zone_id: str | None = None
    """Id of an existing public hosted zone for ``domain_name`` to adopt. Default: None, the component creates
    the zone (and the registrar or parent zone must delegate to its ``name_servers``)."""

    parent_zone_name: str | None = None
    """The public zone, in this account, of the name just above ``domain_name`` (``video.example.com`` for
    ``dev.video.example.com``), looked up by name: the component writes the NS delegation record there. Only
    for a created zone. Default: None, the stack writes no delegation."""

    delegation_confirmed: bool = False
    """A created zone without ``parent_zone_name`` is delegated by the registrar or another account, and the
    parent now answers with this zone's name servers. Default: off, ``ZoneDelegation.PENDING``: the zone is
    created, its name servers exported, and ``certificate`` refuses (a validation could only time out)."""

    protect: bool = False
    """Protect and retain a created zone (deleting it breaks every name under it and its delegation).
    Default: off."""

    tags: Mapping[str, str] = field(default_factory=dict)


def delegation_of(args: PublicZoneArgs) -> ZoneDelegation:
    if args.hosted_zone_id:
        return ZoneDelegation.ADOPTED
    if args.parent_zone_name:
        return ZoneDelegation.BY_PARENT_IN_ACCOUNT
    return ZoneDelegation.CONFIRMED if args.delegation_confirmed else ZoneDelegation.PENDING


def validate_args(args: PublicZoneArgs) -> list[str]:
    """Every contradiction in ``args``: what, the value given, what is allowed."""
    problems = []
    domain = args.domain_name.rstrip(".")
    parent = (args.parent_zone_name or "").rstrip(".")
    if parent and args.hosted_zone_id:
        problems.append(
            f"PublicZoneArgs.parent_zone_name: got {parent!r} with hosted_zone_id {args.hosted_zone_id!r}; allowed: "
            "only for a zone the component creates (an adopted zone is already delegated)"
        )
    if parent and domain.partition(".")[2] != parent:
        problems.append(
            f"PublicZoneArgs.parent_zone_name: got {parent!r} for {domain!r}; allowed: the name one label above "
            f"the domain ({domain.partition('.')[2]!r})"
        )
    if args.delegation_confirmed and (args.hosted_zone_id or parent):
        problems.append(
            "PublicZoneArgs.delegation_confirmed: got True with "
            f"{'hosted_zone_id' if args.hosted_zone_id else 'parent_zone_name'}; allowed: only for a created zone "
            "delegated outside this stack"
        )
    return problems


class PublicZone(pulumi.ComponentResource):
    """A public hosted zone (created or adopted) that issues DNS-validated ACM certificates."""

    zone_id: pulumi.Output[str]
    domain_name: str
    name_servers: pulumi.Output[Sequence[str]] | None
    delegation: ZoneDelegation
    delegation_record_fqdn: pulumi.Output[str] | None
    """The NS record written in the parent zone; None unless ``BY_PARENT_IN_ACCOUNT``."""

    def __init__(self, name: str, args: PublicZoneArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = validate_args(args)
        reject_invalid("PublicZoneArgs", problems)
        super().__init__("streaming:edge:PublicZone", name, None, opts)
        self._name = name
        self.domain_name = args.domain_name.rstrip(".")
        self.delegation = delegation_of(args)
        self.delegation_record_fqdn = None
        self._delegation_record: aws.route53.Record | None = None
        if args.hosted_zone_id:
            self.zone_id = pulumi.Output.from_input(args.hosted_zone_id)
            self.name_servers = None
        else:
            zone = aws.route53.Zone(
                f"{name}-zone",
                name=self.domain_name,
                comment=f"{name}: public zone of {self.domain_name}",
                tags={**args.tags, "Name": self.domain_name},
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
            )
            self.zone_id = zone.zone_id
            self.name_servers = zone.name_servers
            if args.parent_zone_name:
                parent = aws.route53.get_zone_output(
                    name=args.parent_zone_name.rstrip("."),
                    private_zone=False,
                    opts=pulumi.InvokeOutputOptions(parent=self),
                )
                self._delegation_record = aws.route53.Record(
                    f"{name}-delegation",
                    zone_id=parent.zone_id,
                    name=self.domain_name,
                    type="NS",
                    ttl=DELEGATION_RECORD_TTL,
                    records=zone.name_servers,
                    opts=pulumi.ResourceOptions(parent=self),
                )
                self.delegation_record_fqdn = self._delegation_record.fqdn
        self.register_outputs(
            {
                "zoneId": self.zone_id,
                "nameServers": self.name_servers,
                "delegation": self.delegation.value,
                "delegationRecordFqdn": self.delegation_record_fqdn,
            }
        )

    @property
    def accepts_certificates(self) -> bool:
        """Whether a DNS validation can succeed now: False only while a delegation from outside is PENDING."""
        return self.delegation is not ZoneDelegation.PENDING

    def covers(self, fqdn: str) -> bool:
        return _covers(self.domain_name, fqdn)

    def certificate(
        self,
        name: str,
        domain_names: Sequence[str],
        *,
        provider: pulumi.ProviderResource | None = None,
        parent: pulumi.Resource | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> pulumi.Output[str]:
        """Request an ACM certificate for ``domain_names`` (the first is the subject), write one validation
        record per name into this zone and wait for ACM to issue it. Returns the ARN of the *validated*
        certificate, so a listener or distribution using it is only created once the certificate is issued.

        ``parent`` defaults to this zone; pass the component that uses the certificate. ``provider`` selects
        the region (CloudFront needs us-east-1). Raises ValueError while the zone's delegation is PENDING."""
        # ACM resolves the validation records through the parent's delegation: wait for it when it is ours.
        delegated = [self._delegation_record] if self._delegation_record is not None else []
        return _certificate(self, name, domain_names, provider, parent or self, tags, delegated)

    def alias(
        self,
        name: str,
        record_name: str,
        target_dns_name: pulumi.Input[str],
        target_zone_id: pulumi.Input[str],
        *,
        parent: pulumi.Resource | None = None,
    ) -> aws.route53.Record:
        """An A alias record ``record_name`` -> a load balancer, API Gateway domain or distribution."""
        return _alias(self, name, record_name, target_dns_name, target_zone_id, parent or self)


@dataclass(frozen=True)
class PublicZoneOutputs:
    """A PublicZone as a program in another language hands it to AppTier or StreamingEdge: the zone's outputs. The
    component provider cannot pass the zone itself (a Construct receives another component only as a reference to
    its registered outputs, all of them values still to come, while the component needs the domain and the
    delegation at construction), so the component works on these outputs instead, exactly as it does on the zone:
    certificates are validated and alias records written in ``zone_id``. Python programs pass the PublicZone."""

    zone_id: pulumi.Input[str]
    """The zone's ``zoneId`` output."""
    domain_name: str
    """The zone's ``domainName``: every certificate and record name is in it (plain: names are computed from it)."""
    delegation: ZoneDelegation
    """The zone's ``delegation``: while PENDING the component refuses to start a certificate validation."""
    delegation_record_fqdn: pulumi.Input[str] | None = None
    """The zone's ``delegationRecordFqdn`` (BY_PARENT_IN_ACCOUNT): every certificate validation waits for it, as it
    waits for the zone's own NS delegation record. Default: None, nothing to wait for."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "domain_name", self.domain_name.rstrip("."))
        object.__setattr__(self, "delegation", ZoneDelegation(self.delegation))

    @property
    def accepts_certificates(self) -> bool:
        """Whether a DNS validation can succeed now: False only while a delegation from outside is PENDING."""
        return self.delegation is not ZoneDelegation.PENDING

    def covers(self, fqdn: str) -> bool:
        return _covers(self.domain_name, fqdn)

    def certificate(
        self,
        name: str,
        domain_names: Sequence[str],
        *,
        provider: pulumi.ProviderResource | None = None,
        parent: pulumi.Resource | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> pulumi.Output[str]:
        """``PublicZone.certificate`` on the zone's outputs; ``parent`` (the component using the certificate) has no
        default here, the zone not being a resource of this program."""
        # Waiting for the record's FQDN (its value and the resources it came from) waits for the record.
        delegated: pulumi.Input[Sequence[pulumi.Resource]] = (
            pulumi.Output.from_input(self.delegation_record_fqdn).apply(lambda _: [])
            if self.delegation_record_fqdn is not None
            else []
        )
        return _certificate(self, name, domain_names, provider, parent, tags, delegated)

    def alias(
        self,
        name: str,
        record_name: str,
        target_dns_name: pulumi.Input[str],
        target_zone_id: pulumi.Input[str],
        *,
        parent: pulumi.Resource | None = None,
    ) -> aws.route53.Record:
        """``PublicZone.alias`` on the zone's outputs."""
        return _alias(self, name, record_name, target_dns_name, target_zone_id, parent)


def _covers(domain_name: str, fqdn: str) -> bool:
    fqdn = fqdn.rstrip(".")
    return fqdn == domain_name or fqdn.endswith("." + domain_name)


def _certificate(
    zone: PublicZone | PublicZoneOutputs,
    name: str,
    domain_names: Sequence[str],
    provider: pulumi.ProviderResource | None,
    parent: pulumi.Resource | None,
    tags: Mapping[str, str] | None,
    delegated: pulumi.Input[Sequence[pulumi.Resource]],
) -> pulumi.Output[str]:
    domain_name = zone.domain_name.rstrip(".")
    if not zone.accepts_certificates:
        raise ValueError(
            f"PublicZone.certificate({name!r}): got a zone whose delegation is {zone.delegation.value} "
            f"({domain_name}: nobody answers for it yet, so ACM's validation could only time out); allowed: "
            "after the delegation is in place (adopt the zone, give parent_zone_name, or confirm the delegation)"
        )
    names = [d.rstrip(".") for d in domain_names]
    outside = [d for d in names if not zone.covers(d)]
    if not names or outside or len(set(names)) != len(names):
        raise ValueError(
            f"PublicZone.certificate({name!r}): got {list(domain_names)}; allowed: one or more distinct names "
            f"in {domain_name}"
        )
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    cert = aws.acm.Certificate(
        name,
        domain_name=names[0],
        subject_alternative_names=names[1:] or None,
        validation_method="DNS",
        tags={**(tags or {}), "Name": names[0]},
        opts=opts,
    )
    records = []
    for i, domain in enumerate(names):

        def option(opts_: Sequence[aws.acm.outputs.CertificateDomainValidationOption], d: str = domain) -> dict:
            for o in opts_ or []:
                if o.domain_name == d:
                    return {
                        "name": o.resource_record_name,
                        "type": o.resource_record_type,
                        "value": o.resource_record_value,
                    }
            raise ValueError(f"ACM returned no validation option for {d}")

        chosen = cert.domain_validation_options.apply(option)
        records.append(
            aws.route53.Record(
                f"{name}-validation-{i}",
                zone_id=zone.zone_id,
                name=chosen.apply(lambda o: o["name"]),
                type=chosen.apply(lambda o: o["type"]),
                records=[chosen.apply(lambda o: o["value"])],
                ttl=VALIDATION_RECORD_TTL,
                allow_overwrite=True,  # a renewal or a second certificate for the same name reuses the record
                opts=pulumi.ResourceOptions(parent=parent),
            )
        )
    validation = aws.acm.CertificateValidation(
        f"{name}-validation",
        certificate_arn=cert.arn,
        validation_record_fqdns=[r.fqdn for r in records],
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=delegated)),
    )
    return validation.certificate_arn


def _alias(
    zone: PublicZone | PublicZoneOutputs,
    name: str,
    record_name: str,
    target_dns_name: pulumi.Input[str],
    target_zone_id: pulumi.Input[str],
    parent: pulumi.Resource | None,
) -> aws.route53.Record:
    if not zone.covers(record_name):
        raise ValueError(f"PublicZone.alias({name!r}): got {record_name!r}; allowed: a name in {zone.domain_name}")
    return aws.route53.Record(
        name,
        zone_id=zone.zone_id,
        name=record_name,
        type="A",
        aliases=[{"name": target_dns_name, "zone_id": target_zone_id, "evaluate_target_health": True}],
        opts=pulumi.ResourceOptions(parent=parent),
    )
