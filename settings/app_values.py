"""The value formats of the application tier's keys: patterns, limits and the per-service entry rules.

Each is an AWS contract written where it is used (cited beside it), kept apart from ``AppSettings`` so the
model reads as its keys and the cross-key checks (``app_checks``) share the same patterns.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError
from streaming_platform.app.tier import FARGATE_SIZES, SERVICE_NAMES, fargate_memory_options

from settings import aws_values
from settings._base import each, rule

__all__ = [
    "CALLBACK_URL",
    "CALLBACK_URLS_MAX",
    "CALLBACK_URL_MAX",
    "CPUS_TEXT",
    "EMAIL",
    "HOSTED_ZONE_ID",
    "IMAGE_REFERENCE",
    "IMAGE_TAG",
    "INSTANCE_TEXT",
    "InstanceType",
    "fargate_sizes_text",
    "is_fargate_size",
    "service_entries",
    "services_once",
]

HOSTED_ZONE_ID = re.compile(r"Z[A-Z0-9]{1,31}")
"""A Route 53 hosted zone id (``Z`` and up to 31 upper-case letters or digits)."""
# Callback URLs (Amazon Cognito API Reference, CreateUserPoolClient ``CallbackURLs``): absolute, no fragment,
# HTTPS except http://localhost, http://127.0.0.1 and http://[::1] (testing only), 1 to 1024 characters, at
# most 100. Cognito matches them exactly (no wildcards); here also no query, and a host of DNS labels.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
CALLBACK_URL = re.compile(
    rf"(?:https://(?P<host>{_LABEL}(?:\.{_LABEL})+)|http://(?:localhost|127\.0\.0\.1|\[::1\]))(?::\d{{1,5}})?"
    r"(?:/[A-Za-z0-9._~/-]*)?"
)
"""An OAuth callback URL Cognito accepts; group ``host`` is the DNS host of an https:// URL."""
CALLBACK_URL_MAX = 1024
CALLBACK_URLS_MAX = 100
_SIZE = re.compile(r"(?P<cpu>[0-9]{1,5})/(?P<memory>[0-9]{1,6})")  # ASCII digits only: "²".isdigit() is True
# registry[:port]/path:tag (a tag other than "latest") or registry/path@sha256:<64 hex digits>
IMAGE_TAG = r"(?!latest\Z)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
"""An image tag other than ``latest`` (a regular expression)."""
IMAGE_REFERENCE = re.compile(
    r"[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*" rf"(:{IMAGE_TAG}|@sha256:[0-9a-f]{{64}})"
)
"""An image reference pinned by a tag other than ``latest`` or by a sha256 digest."""
# An email address SES can verify as a sender (local part and a DNS domain), lower-case domain.
EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
"""A sender address SES can verify (its domain lower-case)."""
CPUS_TEXT = ", ".join(map(str, FARGATE_SIZES))
INSTANCE_TEXT = "an EC2 instance type botocore's EC2 InstanceType enum lists, such as t3.large or m7g.2xlarge"

InstanceType = Annotated[str, rule(aws_values.is_instance_type, INSTANCE_TEXT)]
"""An EC2 instance type botocore's EC2 model lists."""


def service_entries(value_ok: Any, form: str, value_help: str) -> Any:
    """SERVICE=VALUE entries: a known service, a valid value, each service once; the bad entry is reported."""

    def ok(entry: str) -> bool:
        service, sep, value = entry.partition("=")
        return bool(sep) and service in SERVICE_NAMES and bool(value) and value_ok(value)

    def allowed(entry: str) -> str:
        service, sep, value = entry.partition("=")
        if not sep or service not in SERVICE_NAMES or not value:
            return f"SERVICE={form} with SERVICE one of {', '.join(SERVICE_NAMES)}"
        return value_help

    return each(ok, allowed)


def services_once() -> Any:
    """SERVICE=VALUE entries name each service at most once; the second entry is the one reported."""

    def run(entries: tuple[str, ...]) -> tuple[str, ...]:
        seen: set[str] = set()
        for entry in entries:
            service = entry.partition("=")[0]
            if service in seen:
                raise PydanticCustomError(
                    "config_item",
                    "{allowed}",
                    {"allowed": f"each service once ({service} is given twice)", "item": entry},
                )
            seen.add(service)
        return entries

    return AfterValidator(run)


def is_fargate_size(text: str) -> bool:
    """``CPU/MEMORY`` is a task size Fargate offers."""
    m = _SIZE.fullmatch(text)
    return bool(m) and int(m["memory"]) in fargate_memory_options(int(m["cpu"]))  # type: ignore[index]


def fargate_sizes_text(cpu: int) -> str:
    """The memory sizes Fargate offers for ``cpu`` units, as an error message names them."""
    options = fargate_memory_options(cpu)
    if len(options) <= 3:
        return ", ".join(map(str, options))
    return f"{options[0]} to {options[-1]} in steps of {options[1] - options[0]}"
