"""Check an AWS account for what a stack needs before its first ``pulumi up``: ``python -m preflight --stack prod``.

Uses the standard AWS credential chain (``AWS_PROFILE``, environment, SSO, instance role) and the stack's region;
``AWS_ENDPOINT_URL`` points every client elsewhere (the tests use moto server on loopback). Read-only: every call
is a Describe, Get or List. Exit codes: 0 nothing failed, 1 a check failed, 2 invalid configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from typing import Any

from offline.engine import PROJECT_DIR, known_stacks, load_stack_config, run_program
from preflight import capacity, checks
from preflight.needs import StackNeeds, derive, policy_config_path
from preflight.report import Result, failed, table

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


def account_azs(ec2: Any) -> tuple[dict[str, str], list[str]]:
    """What ``settings.load()`` gets: every AZ of the region that needs no opt-in, name -> zone ID (whatever its
    state, so a pinned zone that is impaired keeps its place), and the names of those available now."""
    zones = ec2.describe_availability_zones(
        Filters=[{"Name": "opt-in-status", "Values": ["opt-in-not-required"]}], AllAvailabilityZones=False
    )["AvailabilityZones"]
    zones = sorted(zones, key=lambda z: z["ZoneName"])
    return {z["ZoneName"]: z.get("ZoneId", "") for z in zones}, [
        z["ZoneName"] for z in zones if z.get("State") == "available"
    ]


def session_clients(session: Any, region: str, overrides: Mapping[str, Any] | None = None) -> checks.Clients:
    """One client per (service, region); ``overrides`` replaces a service's client (tests: a Stubber's)."""
    cache: dict[tuple[str, str], Any] = {}

    def get(service: str, where: str | None = None) -> Any:
        if overrides and service in overrides:
            return overrides[service]
        key = (service, where or region)
        if key not in cache:
            cache[key] = session.client(service, region_name=key[1])
        return cache[key]

    return get


def needs_for(
    stack: str,
    ec2: Any,
    config_overrides: Mapping[str, str] | None = None,
    policy_config: Mapping[str, Any] | None = None,
) -> StackNeeds:
    """Settings over the account's own AZs (raises ConfigError), and the counts of the offline recording."""
    from settings import parse

    _, raw = load_stack_config(stack)
    raw.update(config_overrides or {})
    zone_ids, available = account_azs(ec2)
    settings = parse(raw, stack=stack, region_azs=zone_ids, available=available)
    recording = run_program(stack, preview=False, config_overrides=config_overrides)
    if policy_config is None:
        path = policy_config_path(PROJECT_DIR, stack)
        policy_config = json.loads(path.read_text()) if path.exists() else {}
    return derive(settings, recording, policy_config)


def run_checks(
    needs: StackNeeds, clients: checks.Clients, account: str, resolve_ns: Callable[[str], set[str] | None]
) -> list[Result]:
    return [
        *checks.service_linked_roles(needs, clients),
        *checks.zone_delegation(needs, clients, resolve_ns),
        *capacity.quotas(needs, clients),
        *checks.images(needs, clients, account),
        *checks.ses(needs, clients),
        *capacity.offerings(needs, clients),
    ]


def main(
    argv: list[str] | None = None,
    *,
    session: Any = None,
    client_overrides: Mapping[str, Any] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog="python -m preflight", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", required=True, choices=known_stacks())
    parser.add_argument("--dns-server", metavar="HOST[:PORT]", help="resolve NS records here (default: the system's)")
    parser.add_argument(
        "--config",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="override a config value for this run, e.g. streaming:hostedZoneId=Z0123 (repeatable)",
    )
    args = parser.parse_args(argv)
    if bad := [item for item in args.config if "=" not in item]:
        parser.error(f"--config expects KEY=VALUE, got {bad}")
    overrides = dict(item.split("=", 1) for item in args.config)

    import boto3

    from settings import ConfigError

    _, raw = load_stack_config(args.stack)
    region = overrides.get("aws:region") or raw.get("aws:region", "")
    session = session or boto3.Session()
    clients = session_clients(session, region, client_overrides)
    try:
        needs = needs_for(args.stack, clients("ec2"), overrides)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    identity = clients("sts").get_caller_identity()
    results = run_checks(needs, clients, identity["Account"], checks.dns_resolver(args.dns_server))
    title = (
        f"== preflight: streaming/{args.stack} in account {identity['Account']}, {region} "
        f"({', '.join(needs.availability_zones)}) =="
    )
    print(table(results, title=title))
    return EXIT_FAILED if failed(results) else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
