"""The application tier's checks that span keys (each key's own range is its field's, in ``app``)."""

from __future__ import annotations

from streaming_platform.app.tier import CognitoMfa, ComputeMode, fargate_memory_options, is_arm_instance_type

from settings._base import Reader
from settings.app_values import CALLBACK_URL, fargate_sizes_text

__all__ = ["check"]


def check(r: Reader, prod: bool, az_count: int | None) -> None:
    """The application tier's checks that span keys."""
    fleet = r.value("computeMode") is ComputeMode.ECS_AND_EC2_FLEET
    lo, desired, hi = r.value("asgMinSize"), r.value("asgDesiredCapacity"), r.value("asgMaxSize")
    if r.ok("asgMinSize", "asgDesiredCapacity", "asgMaxSize") and not lo <= desired <= hi:
        r.problem(
            "asgDesiredCapacity",
            desired,
            f"asgMinSize <= asgDesiredCapacity <= asgMaxSize, here {lo} <= {desired} <= {hi}",
        )
    instance, extra = r.value("instanceType"), r.value("asgExtraInstanceTypes")
    if instance is not None and extra is not None:
        for t in extra:
            if t == instance:
                r.problem("asgExtraInstanceTypes", t, f"types other than instanceType ({instance})")
            elif is_arm_instance_type(t) != is_arm_instance_type(instance):
                arch = "arm64" if is_arm_instance_type(instance) else "x86_64"
                r.problem("asgExtraInstanceTypes", t, f"{arch} types, the architecture of instanceType ({instance})")
        if fleet and not extra:
            r.problem("asgExtraInstanceTypes", [], "at least one type when computeMode is ECS_AND_EC2_FLEET")
    if r.ok("asgMaxSize"):
        r.check(
            "asgOnDemandBaseCapacity",
            r.value("asgOnDemandBaseCapacity"),
            lambda v: v <= hi,
            f"at most asgMaxSize ({hi})",
        )
    cpu = r.value("ecsTaskCpu")
    if r.ok("ecsTaskCpu"):
        r.check(
            "ecsTaskMemory",
            r.value("ecsTaskMemory"),
            lambda v: v in fargate_memory_options(cpu),
            f"a memory size Fargate offers for {cpu} CPU units: {fargate_sizes_text(cpu)}",
        )
    images, tags = r.value("ecsServiceImages"), r.value("ecsServiceImageTags")
    if images is not None and tags is not None:
        imaged = {e.partition("=")[0] for e in images}
        for entry in tags:
            if entry.partition("=")[0] in imaged:
                r.problem("ecsServiceImageTags", entry, "services without an ecsServiceImages entry (one image each)")
    weight, spot = r.value("ecsFargateWeight"), r.value("ecsFargateSpotWeight")
    if r.ok("ecsFargateWeight", "ecsFargateSpotWeight") and weight + spot == 0:
        r.problem("ecsFargateSpotWeight", spot, "above 0 when ecsFargateWeight is 0 (no capacity provider has weight)")
    low_tasks = r.value("ecsMinTasks")
    if r.ok("ecsMinTasks"):
        r.check(
            "ecsMaxTasks",
            r.value("ecsMaxTasks"),
            lambda v: v >= low_tasks,
            f"an integer from ecsMinTasks ({low_tasks}) to 100",
        )
    domain = str(r.value("domainName")).rstrip(".").lower() if r.ok("domainName") else ""
    for url in r.value("cognitoCallbackUrls") or ():
        m = CALLBACK_URL.fullmatch(url)
        host = m["host"] if m else None
        if domain and host is not None and host != domain and not host.endswith("." + domain):
            r.problem(
                "cognitoCallbackUrls",
                url,
                f"https:// URLs on domainName ({domain}) or a subdomain of it: Cognito sends the sign-in code there",
            )
    if not prod:
        return
    if az_count is not None:
        r.check(
            "asgMinSize",
            lo,
            lambda v: v >= az_count,
            f"at least {az_count} (one instance per AZ) when environment is prod",
        )
        r.check(
            "ecsMinTasks",
            low_tasks,
            lambda v: v >= az_count,
            f"at least {az_count} (one task per AZ) when environment is prod",
        )
    r.check(
        "asgOnDemandBaseCapacity",
        r.value("asgOnDemandBaseCapacity"),
        lambda v: v >= 1,
        "at least 1 when environment is prod",
    )
    r.check("ecsFargateBase", r.value("ecsFargateBase"), lambda v: v >= 1, "at least 1 when environment is prod")
    r.check(
        "ecsWaitForSteadyState",
        r.value("ecsWaitForSteadyState"),
        lambda v: v is True,
        "true when environment is prod (an update must fail when its tasks never become healthy)",
    )
    r.check(
        "cognitoMfa",
        r.value("cognitoMfa"),
        lambda v: v is not CognitoMfa.OFF,
        "OPTIONAL or ON when environment is prod",
    )
    if r.value("cognitoSesSender") == "":
        r.problem(
            "cognitoSesSender",
            "",
            "a sender address whose domain is verified in SES when environment is prod (Cognito's default sender "
            "allows only a few emails a day)",
        )
    for url in r.value("cognitoCallbackUrls") or ():
        if url.startswith("http://"):
            r.problem("cognitoCallbackUrls", url, "https:// URLs when environment is prod (no http://localhost)")
