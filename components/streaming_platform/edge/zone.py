"""PublicZone: the site's Route 53 public hosted zone, and DNS-validated ACM certificates in it.

The zone is created, or an existing one is adopted by id (a registrar delegation or a parent account's
zone that this stack must not own). Components that need certificates call ``certificate`` with their
own ``parent`` (and, for CloudFront, a us-east-1 ``provider``), so the certificate, its validation
records and the ``CertificateValidation`` belong to the component that uses them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

VALIDATION_RECORD_TTL = 60


@dataclass
class PublicZoneArgs:
    """Inputs of PublicZone."""

    domain_name: str
    """Apex of the zone, for example ``video.example.com``; certificates may name it or any name under it."""

    hosted_zone_id: str | None = None
    """Id of an existing public hosted zone for ``domain_name`` to adopt. Default: None, the component creates
    the zone (and the registrar or parent zone must delegate to its ``name_servers``)."""

    protect: bool = False
    """Protect and retain a created zone (deleting it breaks every name under it and its delegation).
    Default: off."""

    tags: Mapping[str, str] = field(default_factory=dict)


class PublicZone(pulumi.ComponentResource):
    """A public hosted zone (created or adopted) that issues DNS-validated ACM certificates."""

    zone_id: pulumi.Output[str]
    domain_name: str
    name_servers: pulumi.Output[Sequence[str]] | None

    def __init__(self, name: str, args: PublicZoneArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:edge:PublicZone", name, None, opts)
        self._name = name
        self.domain_name = args.domain_name.rstrip(".")
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
        self.register_outputs({"zoneId": self.zone_id, "nameServers": self.name_servers})

    def covers(self, fqdn: str) -> bool:
        fqdn = fqdn.rstrip(".")
        return fqdn == self.domain_name or fqdn.endswith("." + self.domain_name)

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
        the region (CloudFront needs us-east-1)."""
        names = [d.rstrip(".") for d in domain_names]
        outside = [d for d in names if not self.covers(d)]
        if not names or outside or len(set(names)) != len(names):
            raise ValueError(
                f"PublicZone.certificate({name!r}): got {list(domain_names)}; allowed: one or more distinct names "
                f"in {self.domain_name}"
            )
        opts = pulumi.ResourceOptions(parent=parent or self, provider=provider)
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
                    zone_id=self.zone_id,
                    name=chosen.apply(lambda o: o["name"]),
                    type=chosen.apply(lambda o: o["type"]),
                    records=[chosen.apply(lambda o: o["value"])],
                    ttl=VALIDATION_RECORD_TTL,
                    allow_overwrite=True,  # a renewal or a second certificate for the same name reuses the record
                    opts=pulumi.ResourceOptions(parent=parent or self),
                )
            )
        validation = aws.acm.CertificateValidation(
            f"{name}-validation",
            certificate_arn=cert.arn,
            validation_record_fqdns=[r.fqdn for r in records],
            opts=opts,
        )
        return validation.certificate_arn

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
        if not self.covers(record_name):
            raise ValueError(f"PublicZone.alias({name!r}): got {record_name!r}; allowed: a name in {self.domain_name}")
        return aws.route53.Record(
            name,
            zone_id=self.zone_id,
            name=record_name,
            type="A",
            aliases=[{"name": target_dns_name, "zone_id": target_zone_id, "evaluate_target_health": True}],
            opts=pulumi.ResourceOptions(parent=parent or self),
        )
