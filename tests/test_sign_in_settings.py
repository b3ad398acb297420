"""Sign-in and fleet-role settings: callback URLs Cognito would refuse (or that hand the code to another host),
the SES sender prod needs, and who provides the Auto Scaling service-linked role. Exact messages."""

from __future__ import annotations

import pytest
from streaming_platform.app.tier import ComputeMode

from settings import parse
from settings.app import ServiceLinkedRoleSource
from tests.test_settings import US_EAST_2, US_WEST_2, problems, raw_config

URLS = "streaming:cognitoCallbackUrls: got "
SHAPE = (
    "allowed: URLs such as https://video.example.com/auth/callback or http://localhost:3000/callback (no query, no "
    "fragment, no wildcard, a host of DNS labels, at most 1024 characters)"
)


def app_problems(stack: str, **overrides: object) -> list[str]:
    return [p for p in problems(stack, **overrides) if "cognito" in p or "autoScaling" in p]


@pytest.mark.parametrize(
    "url",
    [
        "https://*.video.example.com/auth/callback",  # Cognito matches exactly: no wildcard
        "https://video.example.com/auth/*",
        "https://video.example.com/cb#top",  # RFC 6749 3.1.2: no fragment
        "https://video..example.com/cb",  # an empty DNS label
        "https://-video.example.com/cb",
        "https://localhost/cb",  # a bare host: not a DNS name under domainName
        "http://dev.video.example.com/auth/callback",  # HTTPS but for loopback
        "ftp://dev.video.example.com/cb",
        "https://dev.video.example.com/" + "a" * 1000,  # over CallbackURLs' 1024 characters
    ],
)
def test_callback_urls_cognito_refuses_are_rejected_with_the_shape_allowed(url):
    assert app_problems("dev", cognitoCallbackUrls=[url]) == [f"{URLS}{url!r}; {SHAPE}"]


def test_callback_urls_on_another_host_are_rejected():
    url = "https://evil.example.net/auth/callback"
    assert app_problems("dev", cognitoCallbackUrls=[url]) == [
        f"{URLS}{url!r}; allowed: https:// URLs on domainName (dev.video.example.com) or a subdomain of it: Cognito "
        "sends the sign-in code there"
    ]
    # A sibling whose name merely ends like the domain is another host.
    sibling = "https://xdev.video.example.com/cb"
    assert len(app_problems("dev", cognitoCallbackUrls=[sibling])) == 1


def test_callback_url_list_limits():
    same = "https://dev.video.example.com/auth/callback"
    assert app_problems("dev", cognitoCallbackUrls=[same, same]) == [f"{URLS}{[same, same]!r}; allowed: each URL once"]
    many = [f"https://dev.video.example.com/cb{i}" for i in range(101)]
    (line,) = app_problems("dev", cognitoCallbackUrls=many)
    assert line.endswith("; allowed: at most 100 URLs (Cognito's limit)")


def test_loopback_and_subdomain_callbacks_are_accepted_outside_prod():
    urls = [
        "https://dev.video.example.com/auth/callback",
        "https://app.dev.video.example.com:8443/auth/callback",
        "http://localhost:3000/auth/callback",
        "http://127.0.0.1/cb",
        "http://[::1]:8080/cb",
    ]
    s = parse(raw_config("dev", cognitoCallbackUrls=urls), stack="dev", region_azs=US_EAST_2)
    assert s.app.callback_urls == tuple(urls)


def test_prod_needs_an_ses_sender():
    assert app_problems("prod", cognitoSesSender="") == [
        "streaming:cognitoSesSender: got ''; allowed: a sender address whose domain is verified in SES when "
        "environment is prod (Cognito's default sender allows only a few emails a day)"
    ]


@pytest.mark.parametrize("sender", ["no-reply", "no-reply@", "no reply@video.example.com", "a@Video.Example.com"])
def test_a_sender_that_is_not_an_address_is_rejected(sender):
    assert app_problems("dev", cognitoSesSender=sender) == [
        f"streaming:cognitoSesSender: got {sender!r}; allowed: an email address such as no-reply@video.example.com "
        "(its domain verified in SES), or empty"
    ]


def test_the_sender_reaches_the_identity_options():
    s = parse(raw_config("prod"), stack="prod", region_azs=US_WEST_2)
    identity = s.app.tier_args(advanced_security_enforced=True)["identity"]
    assert (identity.ses_sender, identity.ses_identity) == ("no-reply@video.example.com", "video.example.com")
    dev = parse(raw_config("dev"), stack="dev", region_azs=US_EAST_2)
    assert dev.app.tier_args(advanced_security_enforced=False)["identity"].ses_sender is None


def test_who_provides_the_autoscaling_role():
    assert app_problems("prod", autoScalingServiceLinkedRole="MAYBE") == [
        "streaming:autoScalingServiceLinkedRole: got 'MAYBE'; allowed: CREATE | EXISTING"
    ]
    prod = parse(raw_config("prod"), stack="prod", region_azs=US_WEST_2).app
    assert prod.autoscaling_service_linked_role is ServiceLinkedRoleSource.CREATE and prod.creates_autoscaling_role
    existing = parse(raw_config("prod", autoScalingServiceLinkedRole="EXISTING"), stack="prod", region_azs=US_WEST_2)
    assert not existing.app.creates_autoscaling_role
    dev = parse(raw_config("dev"), stack="dev", region_azs=US_EAST_2).app
    assert dev.compute_mode is ComputeMode.ECS_ONLY and not dev.creates_autoscaling_role  # no fleet, no role
