"""Time Analyze (every custom resource) and AnalyzeStack apart, for synthetic stacks of growing size.

    .venv/bin/python -m benchmarks.policy_bench [1000 5000 10000]

The synthetic stack is the compliant reference platform of tests/policy copied until the size is
reached, with fan-in growing with size: the copies share one VPC, one ALB, one KMS key and one
regional web ACL (so the ALB has more listeners and target groups behind it, the key more users,
the ACL more associations), and every copy's subnets carry the same Tier tags (more subnets per
tier). Each size runs in preview (ids unknown) and update mode, on the compliant stack and on the
violation path (every copy's RDS primary single-AZ, its uploads bucket unversioned, its ASG at a
floor of one), so the cost of reporting is measured too.
"""

from __future__ import annotations

import dataclasses
import sys

from offline.engine import ResourceRecord
from offline.policy_driver import PolicyPackProcess
from tests.policy.platform import platform

SHARED = (
    "vpc",
    "alb",
    "key",
    "regional-acl",
    "igw",
    *(f"access-logs{s}" for s in ("", "-sse", "-pab", "-policy", "-versioning")),
)


def synthetic(size: int, preview: bool, violate: bool = False, stack: str = "prod") -> list[ResourceRecord]:
    base = platform(stack, preview).records()
    shared = {r.urn for r in base if r.name in SHARED}
    out: list[ResourceRecord] = []
    copy = 0
    while len(out) < size:
        suffix = f"-{copy}"
        urn = {r.urn: (r.urn if r.urn in shared else r.urn + suffix) for r in base}

        def m(u: str | None, urn: dict[str, str] = urn) -> str | None:
            return urn.get(u, u) if u else u

        for r in base:
            if len(out) >= size:
                break
            if copy and r.urn in shared:
                continue
            provider = None
            if r.provider:
                p_urn, p_id = r.provider.rsplit("::", 1)
                provider = f"{m(p_urn)}::{p_id}"
            inputs = r.inputs
            if violate and r.name == "catalog-db":
                inputs = {**inputs, "multiAz": False}
            if violate and r.name == "uploads-versioning":
                inputs = {**inputs, "versioningConfiguration": {"status": "Suspended"}}
            if violate and r.name == "web-asg":
                inputs = {**inputs, "minSize": 1}
            out.append(
                dataclasses.replace(
                    r,
                    name=r.name if r.urn in shared else r.name + suffix,
                    urn=urn[r.urn],
                    inputs=inputs,
                    parent=m(r.parent),
                    provider=provider,
                    dependencies=tuple(m(d) or d for d in r.dependencies),
                    property_dependencies={k: tuple(m(d) or d for d in v) for k, v in r.property_dependencies.items()},
                )
            )
        copy += 1
    return out


def main(sizes: list[int]) -> None:
    """Print one line per (mode, path, size): wall and pack-CPU seconds of Analyze and AnalyzeStack apart.

    Targets (issue 16): 1k resources within 1 s, 10k within 10x the 1k time. On a shared machine read the CPU
    columns (the pack's own cost); wall time adds the wait for a core.
    """
    print(
        f"{'mode':>7} {'path':>9} {'resources':>9} {'Analyze s':>9} {'cpu':>5} {'Stack s':>8} {'cpu':>5} "
        f"{'us/res':>7} {'mandatory':>9} {'per tier':>8}"
    )
    cpu: dict[tuple[bool, bool, int], float] = {}
    for preview in (True, False):
        mode = "preview" if preview else "update"
        with PolicyPackProcess(
            project="streaming", stack="prod", preview=preview, config={"aws:region": "us-west-2"}
        ) as proc:
            proc.analyze(synthetic(100, preview), region="us-west-2")  # warm up
            for violate in (False, True):
                for n in sizes:
                    records = synthetic(n, preview, violate)
                    per_tier = sum(1 for r in records if r.type == "aws:ec2/subnet:Subnet") // 3
                    report = proc.analyze(records, region="us-west-2")
                    t = report.timings
                    a, s = t["analyze"], t["analyze_stack"]
                    cpu[(preview, violate, n)] = t["analyze_cpu"] + t["analyze_stack_cpu"]
                    path = "violation" if violate else "compliant"
                    print(
                        f"{mode:>7} {path:>9} {n:>9} {a:>9.2f} {t['analyze_cpu']:>5.2f} {s:>8.2f} "
                        f"{t['analyze_stack_cpu']:>5.2f} {(a + s) / n * 1e6:>7.0f} {len(report.mandatory):>9} "
                        f"{per_tier:>8}",
                        flush=True,
                    )
    small, large = min(sizes), max(sizes)
    for (preview, violate, n), c in sorted(cpu.items()):
        if n == large and large != small:
            ratio = c / max(cpu[(preview, violate, small)], 1e-9)
            print(
                f"{'preview' if preview else 'update'} {'violation' if violate else 'compliant'}: "
                f"{large} resources cost {ratio:.1f}x the CPU of {small} (size ratio {large / small:.0f}x)"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000])
