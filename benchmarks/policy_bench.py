"""Time Analyze (every custom resource) and AnalyzeStack apart, for synthetic stacks of growing size and prod.

    .venv/bin/python -m benchmarks.policy_bench [--reps 3] [--prod] [--pack-dir DIR] [1000 5000 10000]

The synthetic stack is the compliant reference platform of tests/policy copied until the size is
reached, with fan-in growing with size: the copies share one VPC, one ALB, one KMS key, one regional
web ACL and one access-log bucket, so the ALB has more listeners and target groups (and services)
behind it, the key more users, the ACL more associations, the log bucket's policy one more statement
per copy, and every copy's subnets carry the same Tier tags (more subnets per tier). Each size runs in
preview (ids unknown) and update mode, on the compliant stack and on the violation path (every copy's
RDS primary single-AZ, its uploads bucket unversioned, its ASG at a floor of one), so the cost of
reporting is measured too. ``--prod`` also times the prod program's own recordings.

What is timed is the gRPC calls alone (the driver builds every request first): wall seconds and the
pack process's CPU seconds, medians over ``--reps`` runs. On a shared machine read the CPU columns
(the pack's own cost); wall time adds the wait for a core. ``--pack-dir`` points at another checkout's
``policies/`` (e.g. the main branch's) to compare packs on the same stacks.

Targets (issue 16): 1k resources within 1 s (Analyze and AnalyzeStack each, per mode), 10k within 10x
the 1k time.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
from pathlib import Path

from offline.engine import ResourceRecord
from offline.policy_driver import POLICIES_DIR, PolicyPackProcess, load_policy_config
from tests.policy.platform import platform

SHARED = (
    "vpc",
    "alb",
    "key",
    "regional-acl",
    "igw",
    *(f"access-logs{s}" for s in ("", "-sse", "-pab", "-policy", "-versioning")),
)
KEYS = ("analyze", "analyze_cpu", "analyze_stack", "analyze_stack_cpu")


def _grow_policy(inputs: dict, copies: int) -> dict:
    """The shared log bucket's policy with one TLS-deny statement per copy (more statements per policy); a
    policy still unknown (preview: it names the bucket's ARN) stays unknown."""
    try:
        doc = json.loads(inputs["policy"])
    except (TypeError, ValueError):
        return inputs
    first = doc["Statement"][0]
    doc["Statement"] = [first, *({**first, "Sid": f"{first['Sid']}{i}"} for i in range(1, copies))]
    return {**inputs, "policy": json.dumps(doc)}


def synthetic(size: int, preview: bool, violate: bool = False, stack: str = "prod") -> list[ResourceRecord]:
    base = platform(stack, preview).records()
    shared = {r.urn for r in base if r.name in SHARED}
    out: list[ResourceRecord] = []
    copy = 0
    per_copy = sum(1 for r in base if r.urn not in shared)
    # Whole copies only (a copy cut short, say a web ACL without its logging configuration, is a violation the
    # compliant path must not have); the rest of ``size`` is padding no rule judges (internet gateways).
    while len(out) + (per_copy if copy else len(base)) <= size:
        suffix = f"-{copy}"
        urn = {r.urn: (r.urn if r.urn in shared else r.urn + suffix) for r in base}

        def m(u: str | None, urn: dict[str, str] = urn) -> str | None:
            return urn.get(u, u) if u else u

        for r in base:
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
    igw = next(r for r in base if r.name == "igw")
    out += [
        dataclasses.replace(igw, name=f"igw-pad-{i}", urn=f"{igw.urn}-pad-{i}", id=igw.id and f"{igw.id}-pad-{i}")
        for i in range(size - len(out))
    ]
    return [
        dataclasses.replace(r, inputs=_grow_policy(r.inputs, copy)) if r.name == "access-logs-policy" else r
        for r in out
    ]


def fan_in(records: list[ResourceRecord]) -> dict[str, int]:
    """How much converges on the shared resources: subnets per tier, listeners/target groups/services per
    ALB, statements in the shared log bucket's policy."""
    alb = next(r.urn for r in records if r.name == "alb")
    policy = next(r for r in records if r.name == "access-logs-policy")
    return {
        "subnets/tier": sum(1 for r in records if r.type == "aws:ec2/subnet:Subnet") // 3,
        "listeners/alb": sum(
            1
            for r in records
            if r.type.endswith("listener:Listener")
            and alb in {*r.dependencies, *(u for v in r.property_dependencies.values() for u in v)}
        ),
        "target groups": sum(1 for r in records if r.type.endswith("targetGroup:TargetGroup")),
        "services": sum(1 for r in records if r.type == "aws:ecs/service:Service"),
        "statements": _statements(policy.inputs.get("policy")),
    }


def _statements(policy: object) -> int:
    try:
        return len(json.loads(policy)["Statement"])  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0  # unknown until the update


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in KEYS}


def bench(sizes: list[int], reps: int, pack_dir: Path) -> dict[tuple[str, str, int], dict[str, float]]:
    results: dict[tuple[str, str, int], dict[str, float]] = {}
    for preview in (True, False):
        mode = "preview" if preview else "update"
        with PolicyPackProcess(
            project="streaming", stack="prod", preview=preview, config={"aws:region": "us-west-2"}, pack_dir=pack_dir
        ) as proc:
            one_copy = len(platform("prod", preview).records())
            for violate in (False, True):  # warm up: every rule's first use (botocore models, lazy indexes)
                proc.analyze(synthetic(one_copy, preview, violate), region="us-west-2")
            for violate in (False, True):
                path = "violation" if violate else "compliant"
                for n in sizes:
                    records = synthetic(n, preview, violate)
                    runs = []
                    for _ in range(reps):
                        report = proc.analyze(records, region="us-west-2")
                        runs.append(report.timings)
                    row = results[(mode, path, n)] = _median(runs)
                    f = fan_in(records)
                    print(
                        f"{mode:>7} {path:>9} {n:>6} {row['analyze']:>9.3f} {row['analyze_cpu']:>6.2f} "
                        f"{row['analyze_stack']:>8.3f} {row['analyze_stack_cpu']:>6.2f} {len(report.mandatory):>9} "
                        f"{f['subnets/tier']:>7} {f['listeners/alb']:>7} {f['services']:>8} {f['statements']:>5}",
                        flush=True,
                    )
    return results


def prod(reps: int, pack_dir: Path) -> None:
    """The prod program's own recordings through the pack (warm process), medians over ``reps``."""
    from offline.engine import run_program

    for preview in (True, False):
        rec = run_program("prod", preview=preview)
        region = rec.config.get("aws:region", "us-east-1")
        with PolicyPackProcess(
            project=rec.project, stack=rec.stack, preview=preview, config=rec.config, pack_dir=pack_dir
        ) as proc:
            cfg = load_policy_config("prod")
            proc.analyze(rec.resources, region=region, policy_config=cfg)
            runs = [proc.analyze(rec.resources, region=region, policy_config=cfg).timings for _ in range(reps)]
            row = _median(runs)
            print(
                f"prod {'preview' if preview else 'update'} ({len(rec.resources)} resources): Analyze "
                f"{row['analyze'] * 1e3:.0f} ms (cpu {row['analyze_cpu'] * 1e3:.0f}), AnalyzeStack "
                f"{row['analyze_stack'] * 1e3:.0f} ms (cpu {row['analyze_stack_cpu'] * 1e3:.0f}), total "
                f"{(row['analyze'] + row['analyze_stack']) * 1e3:.0f} ms"
            )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sizes", nargs="*", type=int, help="synthetic stack sizes (default 1000 10000; none with --prod)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--prod", action="store_true", help="also time the prod program's recordings")
    ap.add_argument("--pack-dir", type=Path, default=POLICIES_DIR)
    args = ap.parse_args(argv)
    pack_dir = args.pack_dir.resolve()
    sizes = args.sizes or ([] if args.prod else [1000, 10000])
    if args.prod:
        prod(args.reps, pack_dir)
    if not sizes:
        return
    print(
        f"{'mode':>7} {'path':>9} {'size':>6} {'Analyze s':>9} {'cpu':>6} {'Stack s':>8} {'cpu':>6} {'mandatory':>9} "
        f"{'sub/tier':>7} {'lst/alb':>7} {'services':>8} {'stmts':>5}"
    )
    results = bench(sizes, args.reps, pack_dir)
    small, large = min(sizes), max(sizes)
    if large == small:
        return
    print(f"\n{large}/{small} ratios (size ratio {large / small:.0f}x), wall (cpu):")
    for (mode, path, n), row in results.items():
        if n != large:
            continue
        base = results[(mode, path, small)]
        ratios = {k: row[k] / max(base[k], 1e-9) for k in KEYS}
        print(
            f"  {mode:>7} {path:>9}: Analyze {ratios['analyze']:.1f}x ({ratios['analyze_cpu']:.1f}x), "
            f"AnalyzeStack {ratios['analyze_stack']:.1f}x ({ratios['analyze_stack_cpu']:.1f}x)"
        )


if __name__ == "__main__":
    main()
