"""Keys every tier depends on: the environment class, the public domain, and the prod-stack override."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from settings._base import Reader, TierModel, key, rule

_DNS_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
# ACM's first domain name of a certificate "cannot exceed 64 octets, including periods" (AWS Certificate Manager
# API Reference, RequestCertificate, DomainName). The app tier's regional certificate starts with origin.<domain>.
ACM_FIRST_NAME_OCTETS = 64
ORIGIN_LABEL = "origin."
PROD_STACKS = re.compile(r"prod(-[a-z0-9-]+)?")  # stack names that must run environment prod


class Environment(StrEnum):
    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


def is_domain_name(value: str) -> bool:
    labels = value.rstrip(".").split(".")
    return (
        len(value) <= 253
        and len(labels) >= 2
        and all(_DNS_LABEL.fullmatch(label) for label in labels)
        and labels[-1].isalpha()
        and len(labels[-1]) >= 2
    )


DomainName = Annotated[
    str,
    rule(
        is_domain_name,
        (
            "a fully qualified DNS name in lower case, such as video.example.com (labels of 1-63 letters, digits or "
            "inner hyphens)"
        ),
    ),
]


class CommonSettings(TierModel):
    environment: Environment = key(
        alias="environment",
        description=(
            "Environment class: dev, staging or prod. prod refuses settings that weaken redundancy (fewer than 3 AZs, "
            "fewer NAT gateways than AZs, an ASG minimum below one instance per AZ). A stack named prod or prod-* "
            "must say prod unless allowEnvironmentMismatch is true."
        ),
    )
    allow_environment_mismatch: bool = key(
        False,
        alias="allowEnvironmentMismatch",
        description=(
            "Let a stack named prod or prod-* run another environment class (and so drop the prod rules, protect and "
            "deletion protection), or a stack of another name run prod. Default false: the two must agree."
        ),
    )
    domain_name: DomainName = key(
        alias="domainName",
        description=(
            f"Public DNS name viewers use for the site, for example video.example.com; origin.<domainName> must fit "
            f"ACM's {ACM_FIRST_NAME_OCTETS}-octet first name."
        ),
    )


def check(r: Reader, stack: str) -> None:
    env = r.value("environment")
    if env is not None and not r.value("allowEnvironmentMismatch"):
        prod_stack = bool(PROD_STACKS.fullmatch(stack))
        if prod_stack and env is not Environment.PROD:
            r.problem(
                "environment",
                env.value,
                f"prod on stack {stack!r} (or set allowEnvironmentMismatch: true to run it as {env.value})",
            )
        elif env is Environment.PROD and not prod_stack:
            r.problem(
                "environment",
                env.value,
                f"dev or staging on stack {stack!r}, whose name is not prod or prod-* (or set "
                "allowEnvironmentMismatch: true)",
            )
    domain = r.value("domainName")
    if domain is not None:
        first = ORIGIN_LABEL + domain.rstrip(".")
        r.check(
            "domainName",
            domain,
            lambda _: len(first) <= ACM_FIRST_NAME_OCTETS,
            f"a name of at most {ACM_FIRST_NAME_OCTETS - len(ORIGIN_LABEL)} characters: the regional "
            f"certificate's first name {first[:20]}... is {len(first)} octets, and ACM allows "
            f"{ACM_FIRST_NAME_OCTETS}",
        )
