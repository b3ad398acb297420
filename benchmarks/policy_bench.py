"""Time Analyze (every custom resource) + AnalyzeStack for synthetic stacks of growing size.

    .venv/bin/python -m benchmarks.policy_bench [1000 5000 10000]

The synthetic stack is the compliant reference platform of tests/policy (85 resources, every
policy in scope) copied until the size is reached, so every policy and every join does real work.
"""

from __future__ import annotations

import dataclasses
import sys
import time

from offline.engine import ResourceRecord
from offline.policy_driver import PolicyPackProcess
from tests.policy.platform import platform


def synthetic(size: int, stack: str = "prod", preview: bool = True) -> list[ResourceRecord]:
    base = platform(stack, preview).records()
    out: list[ResourceRecord] = []
    copy = 0
    while len(out) < size:
        suffix = f"-{copy}"
        urn = {r.urn: r.urn + suffix for r in base}

        def m(u: str | None, urn: dict[str, str] = urn) -> str | None:
            return urn.get(u, u) if u else u

        for r in base:
            if len(out) >= size:
                break
            provider = None
            if r.provider:
                p_urn, p_id = r.provider.rsplit("::", 1)
                provider = f"{m(p_urn)}::{p_id}"
            out.append(
                dataclasses.replace(
                    r,
                    name=r.name + suffix,
                    urn=urn[r.urn],
                    parent=m(r.parent),
                    provider=provider,
                    dependencies=tuple(m(d) or d for d in r.dependencies),
                    property_dependencies={k: tuple(m(d) or d for d in v) for k, v in r.property_dependencies.items()},
                )
            )
        copy += 1
    return out


def main(sizes: list[int]) -> None:
    with PolicyPackProcess(project="streaming", stack="prod", preview=True, config={"aws:region": "us-west-2"}) as proc:
        proc.analyze(synthetic(100), region="us-west-2")  # warm up
        print(f"{'resources':>10} {'seconds':>8} {'us/resource':>12} {'diagnostics':>12}")
        for n in sizes:
            records = synthetic(n)
            t0 = time.perf_counter()
            report = proc.analyze(records, region="us-west-2")
            dt = time.perf_counter() - t0
            print(f"{n:>10} {dt:>8.2f} {dt / n * 1e6:>12.0f} {len(report.diagnostics):>12}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 5000, 10000])
