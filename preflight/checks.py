"""The checks, one function per prerequisite family; each asks the account through boto3 and returns rows.

``Clients`` hands out one client per (service, region); tests pass clients bound to moto server or wrapped in
botocore's Stubber. A check never raises for an AWS error it can explain: the error becomes a FAIL row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import ClientError

from preflight.needs import PRINCIPALS_RULE, StackNeeds, ecr_image
from preflight.report import Result, Status

Clients = Callable[..., Any]  # (service, region=None) -> a botocore client


def _code(e: ClientError) -> str:
    return str(e.response.get("Error", {}).get("Code", ""))


# --- service-linked roles ------------------------------------------------------------------------------


def service_linked_roles(needs: StackNeeds, clients: Clients) -> list[Result]:
    """IAM GetRole on each role the stack relies on (IAM User Guide, "Using service-linked roles")."""
    iam = clients("iam")
    out = []
    for slr in needs.service_linked_roles:
        try:
            iam.get_role(RoleName=slr.role)
            exists = True
        except ClientError as e:
            if _code(e) != "NoSuchEntity":
                raise
            exists = False
        create = f"aws iam create-service-linked-role --aws-service-name {slr.service}"
        if slr.source == "create":
            out.append(
                Result(
                    "service-linked-role",
                    slr.role,
                    Status.FAIL,
                    f"exists already, and the stack creates it ({slr.why}): IAM refuses a second one",
                    "set streaming:autoScalingServiceLinkedRole to EXISTING and list "
                    f"{slr.role} in {PRINCIPALS_RULE}.preexistingRoles of policies/config/{needs.stack}.json",
                )
                if exists
                else Result("service-linked-role", slr.role, Status.PASS, f"absent; the stack creates it ({slr.why})")
            )
        elif slr.source == "required":
            declared = slr.role in needs.pack_preexisting_roles
            if not exists:
                out.append(
                    Result(
                        "service-linked-role",
                        slr.role,
                        Status.FAIL,
                        f"absent, but a declared prerequisite ({slr.why}); KMS would reject the key policy",
                        f"{create} (or set streaming:autoScalingServiceLinkedRole to CREATE)",
                    )
                )
            elif not declared:
                out.append(
                    Result(
                        "service-linked-role",
                        slr.role,
                        Status.FAIL,
                        f"exists, but policies/config/{needs.stack}.json does not declare it: the pack rejects the "
                        "key policy",
                        f'add "{PRINCIPALS_RULE}": {{"preexistingRoles": ["{slr.role}"]}} to '
                        f"policies/config/{needs.stack}.json",
                    )
                )
            else:
                out.append(
                    Result("service-linked-role", slr.role, Status.PASS, f"exists, a declared prerequisite ({slr.why})")
                )
        else:
            out.append(
                Result("service-linked-role", slr.role, Status.PASS, f"exists ({slr.why})")
                if exists
                else Result(
                    "service-linked-role",
                    slr.role,
                    Status.WARN,
                    f"absent; AWS creates it at first use ({slr.why}) if the deployer may call "
                    "iam:CreateServiceLinkedRole",
                    f"grant iam:CreateServiceLinkedRole to the deployer, or {create}",
                )
            )
    return out


# --- zone delegation -----------------------------------------------------------------------------------


def _public_zone_named(route53: Any, name: str) -> dict[str, Any] | None:
    fqdn = name.rstrip(".") + "."
    zones = route53.list_hosted_zones_by_name(DNSName=fqdn, MaxItems="10")["HostedZones"]
    for z in zones:
        if z["Name"] == fqdn and not z.get("Config", {}).get("PrivateZone", False):
            return dict(z)
    return None


def _ns_records_in_zone(route53: Any, zone_id: str, name: str) -> set[str] | None:
    fqdn = name.rstrip(".") + "."
    page = route53.list_resource_record_sets(
        HostedZoneId=zone_id, StartRecordName=fqdn, StartRecordType="NS", MaxItems="1"
    )
    for rs in page["ResourceRecordSets"]:
        if rs["Name"] == fqdn and rs["Type"] == "NS":
            return {r["Value"].rstrip(".").lower() for r in rs.get("ResourceRecords", [])}
    return None


def _zone_id(z: dict[str, Any]) -> str:
    return str(z["Id"]).rsplit("/", 1)[-1]


def zone_delegation(needs: StackNeeds, clients: Clients, resolve_ns: Callable[[str], set[str] | None]) -> list[Result]:
    """The zone the stack adopts exists, is public and named domainName, and its parent delegates to exactly its
    name servers: the parent zone's NS record through the Route 53 API when the parent is in this account, else
    the NS answer from DNS (``resolve_ns``). ACM's DNS validation waits for that delegation (ACM User Guide, "DNS
    validation")."""
    route53 = clients("route53")
    domain = needs.domain_name
    parent = domain.split(".", 1)[1] if "." in domain else ""
    bootstrap = 'see README "Bootstrap: DNS zone and certificates"'
    if not needs.hosted_zone_id:
        existing = _public_zone_named(route53, domain)
        if existing is not None:
            return [
                Result(
                    "zone-delegation",
                    domain,
                    Status.FAIL,
                    f"hostedZoneId is empty, so the stack would create a second zone for {domain}; "
                    f"{_zone_id(existing)} exists",
                    f"pulumi config set streaming:hostedZoneId {_zone_id(existing)}",
                )
            ]
        return [
            Result(
                "zone-delegation",
                domain,
                Status.FAIL if needs.environment == "prod" else Status.WARN,
                "hostedZoneId is empty: the stack creates the zone, and its certificates wait until someone "
                f"delegates {domain} to the new zone's name servers",
                f"create and delegate the zone first, then set streaming:hostedZoneId ({bootstrap})",
            )
        ]
    try:
        zone = route53.get_hosted_zone(Id=needs.hosted_zone_id)
    except ClientError as e:
        if _code(e) != "NoSuchHostedZone":
            raise
        return [
            Result(
                "zone-delegation",
                domain,
                Status.FAIL,
                f"hostedZoneId {needs.hosted_zone_id} does not exist in this account",
                f"set streaming:hostedZoneId to the id of {domain}'s public zone ({bootstrap})",
            )
        ]
    info = zone["HostedZone"]
    if info["Name"].rstrip(".") != domain or info.get("Config", {}).get("PrivateZone", False):
        return [
            Result(
                "zone-delegation",
                domain,
                Status.FAIL,
                f"zone {needs.hosted_zone_id} is {info['Name']}"
                f"{' (private)' if info.get('Config', {}).get('PrivateZone') else ''}, not the public zone {domain}.",
                f"set streaming:hostedZoneId to the id of {domain}'s public zone",
            )
        ]
    servers = {n.rstrip(".").lower() for n in zone.get("DelegationSet", {}).get("NameServers", [])}
    parent_zone = _public_zone_named(route53, parent) if parent else None
    if parent_zone is not None:
        where = f"parent zone {parent} ({_zone_id(parent_zone)}, this account)"
        answer = _ns_records_in_zone(route53, _zone_id(parent_zone), domain)
        fix = (
            f"aws route53 change-resource-record-sets --hosted-zone-id {_zone_id(parent_zone)} --change-batch "
            + json.dumps(
                {
                    "Changes": [
                        {
                            "Action": "UPSERT",
                            "ResourceRecordSet": {
                                "Name": domain,
                                "Type": "NS",
                                "TTL": 172800,
                                "ResourceRecords": [{"Value": n} for n in sorted(servers)],
                            },
                        }
                    ]
                },
                separators=(",", ":"),
            )
        )
    else:
        where = f"DNS (the parent {parent} is not in this account)"
        answer = resolve_ns(domain)
        fix = f"ask the owner of {parent} to delegate {domain} with NS records: {', '.join(sorted(servers))}"
    if answer == servers:
        return [
            Result("zone-delegation", domain, Status.PASS, f"{where} delegates to the zone's {len(servers)} servers")
        ]
    got = ", ".join(sorted(answer)) if answer else "no NS answer"
    return [
        Result(
            "zone-delegation",
            domain,
            Status.FAIL,
            f"{where} answers {got}; the zone's servers are {', '.join(sorted(servers))}",
            fix,
        )
    ]


def dns_resolver(nameserver: str | None = None) -> Callable[[str], set[str] | None]:
    """NS lookups through dnspython, via the system resolver or ``host[:port]`` (tests use a loopback server)."""
    import dns.exception
    import dns.resolver

    resolver = dns.resolver.Resolver(configure=nameserver is None)
    if nameserver is not None:
        host, _, port = nameserver.partition(":")
        resolver.nameservers = [host]
        resolver.port = int(port or 53)
    resolver.lifetime = 5.0

    def resolve(name: str) -> set[str] | None:
        try:
            answer = resolver.resolve(name, "NS")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers, dns.exception.Timeout):
            return None
        return {r.to_text().rstrip(".").lower() for r in answer}

    return resolve


# --- images and SES ------------------------------------------------------------------------------------


def images(needs: StackNeeds, clients: Clients, account: str) -> list[Result]:
    """Every ECR image the services pull exists (ECR DescribeImages by tag or digest)."""
    out = []
    for service, ref in sorted(needs.images.items()):
        img = ecr_image(service, ref)
        if img is None:
            out.append(
                Result("image", ref, Status.SKIP, f"{service}: not a private ECR image; its registry is not checked")
            )
            continue
        image_id = {"imageTag": img.tag} if img.tag else {"imageDigest": img.digest}
        push = f"push it (docker push {ref}) or change {service} in streaming:ecsServiceImages"
        if img.account != account:
            out.append(
                Result(
                    "image",
                    ref,
                    Status.FAIL,
                    f"{service}: registry account {img.account} is not this account ({account}); tasks pull with "
                    "this account's execution role",
                    f"use an image in {account}'s registry, or grant this account pull access in {img.account}'s "
                    "repository policy",
                )
            )
            continue
        try:
            clients("ecr", img.region).describe_images(
                registryId=img.account, repositoryName=img.repository, imageIds=[image_id]
            )
            out.append(Result("image", ref, Status.PASS, f"{service}: present in {img.repository}"))
        except ClientError as e:
            if _code(e) not in ("RepositoryNotFoundException", "ImageNotFoundException"):
                raise
            what = "repository" if _code(e) == "RepositoryNotFoundException" else "image"
            out.append(Result("image", ref, Status.FAIL, f"{service}: {what} not found ({_code(e)})", push))
    return out


def ses(needs: StackNeeds, clients: Clients) -> list[Result]:
    """The sender's domain is a verified SES identity in the stack's region, and the account is out of the SES
    sandbox (SES Developer Guide, "Request production access": in the sandbox mail goes to verified addresses
    only)."""
    if needs.ses_identity is None:
        return [Result("ses", "-", Status.SKIP, "no cognitoSesSender: Cognito sends with its own (limited) sender")]
    sesv2 = clients("sesv2")
    identity = needs.ses_identity
    out = []
    try:
        got = sesv2.get_email_identity(EmailIdentity=identity)
        verified = bool(got.get("VerifiedForSendingStatus"))
        dkim = got.get("DkimAttributes", {}).get("Status", "?")
        out.append(
            Result("ses", identity, Status.PASS, f"identity verified for sending in {needs.region}")
            if verified
            else Result(
                "ses",
                identity,
                Status.FAIL,
                f"identity in {needs.region} is not verified yet (DKIM status {dkim})",
                f"publish the DKIM CNAME records of {identity} (listed by aws sesv2 get-email-identity "
                f"--email-identity {identity})",
            )
        )
    except ClientError as e:
        if _code(e) != "NotFoundException":
            raise
        out.append(
            Result(
                "ses",
                identity,
                Status.FAIL,
                f"no SES identity {identity} in {needs.region}",
                f"aws sesv2 create-email-identity --email-identity {identity} --region {needs.region}, then publish "
                "its DKIM records",
            )
        )
    account = sesv2.get_account()
    out.append(
        Result("ses", "production access", Status.PASS, "the account is out of the SES sandbox")
        if account.get("ProductionAccessEnabled")
        else Result(
            "ses",
            "production access",
            Status.FAIL,
            f"the account is in the SES sandbox in {needs.region}: Cognito could mail verified addresses only",
            f"request production access: aws sesv2 put-account-details --region {needs.region} "
            f"--production-access-enabled --mail-type TRANSACTIONAL --website-url https://{needs.domain_name} "
            "--use-case-description ...",
        )
    )
    return out


def missing_azs(wanted: Iterable[str], offered: Iterable[str]) -> list[str]:
    have = set(offered)
    return [az for az in wanted if az not in have]
