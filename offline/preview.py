"""The main job, offline: preview a stack and run the policy pack over it.

    python -m offline.preview --stack prod [--mode preview|update] [--json FILE] [--diagram FILE] [--no-policy]

Prints the resource tree grouped by component, the counts by resource type, the
stack outputs, the monthly cost estimate and the policy report. Exits 2 on invalid configuration (after
printing every problem) and 1 when the pack reports a mandatory violation.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from offline.engine import PROJECT_DIR, UNKNOWN, Recording, ResourceRecord, known_stacks, run_program

EXIT_OK, EXIT_MANDATORY, EXIT_CONFIG, EXIT_ACCESS = 0, 1, 2, 3


def render_tree(recording: Recording) -> str:
    children: dict[str | None, list[ResourceRecord]] = defaultdict(list)
    for r in recording.resources:
        children[r.parent].append(r)
    lines = [f"{recording.project}-{recording.stack} (pulumi:pulumi:Stack)"]

    def walk(parent: str, depth: int) -> None:
        for r in sorted(children.get(parent, []), key=lambda r: (r.custom, r.type, r.name)):
            flags = [f for f, on in (("protect", r.protect), ("retainOnDelete", r.retain_on_delete)) if on]
            suffix = f"  [{', '.join(flags)}]" if flags else ""
            lines.append(f"{'    ' * depth}{'+ ' if r.custom else '* '}{r.type}  {r.name}{suffix}")
            walk(r.urn, depth + 1)

    walk(recording.stack_urn, 1)
    return "\n".join(lines)


def render_counts(recording: Recording) -> str:
    counts = recording.counts_by_type()
    width = max(map(len, counts), default=0)
    rows = [f"  {t:<{width}}  {n:>4}" for t, n in sorted(counts.items())]
    custom = sum(1 for r in recording.resources if r.custom)
    rows.append(
        f"  {'total':<{width}}  {len(recording.resources):>4}  ({custom} AWS resources, "
        f"{len(recording.resources) - custom} components)"
    )
    return "\n".join(rows)


def _display(value: Any) -> Any:
    if value == UNKNOWN:
        return "(known after update)"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _display(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_display(v) for v in value]
    return value


def render_outputs(recording: Recording) -> str:
    return "\n".join(f"  {k}: {json.dumps(_display(v))}" for k, v in sorted(recording.outputs.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.preview", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", required=True, choices=known_stacks())
    parser.add_argument(
        "--mode",
        choices=("preview", "update"),
        default="preview",
        help="preview: ids and computed values unknown, as on a new stack; update: all known",
    )
    parser.add_argument("--json", metavar="FILE", type=Path, help="write the full record (and policy report) here")
    parser.add_argument(
        "--diagram",
        metavar="FILE",
        type=Path,
        help="write the architecture diagram: FILE.drawio (every resource) or FILE.mmd / FILE.md (Mermaid)",
    )
    parser.add_argument("--no-policy", action="store_true", help="skip the policy pack")
    parser.add_argument(
        "--access",
        action="store_true",
        help="evaluate every workload's access contract with the IAM simulator (on an update-mode run) and print "
        f"the workload x request table; exit {EXIT_ACCESS} on an unexpected result",
    )
    parser.add_argument(
        "--policy-config",
        metavar="FILE",
        type=Path,
        help="--policy-pack-config file (default: policies/config/<stack>.json)",
    )
    parser.add_argument(
        "--config",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="override a config value for this run, e.g. streaming:azCount=3 (repeatable)",
    )
    args = parser.parse_args(argv)
    if bad := [item for item in args.config if "=" not in item]:
        parser.error(f"--config expects KEY=VALUE, got {bad}")
    if args.diagram and args.diagram.suffix not in {".drawio", ".mmd", ".md"}:
        parser.error(f"--diagram: got {str(args.diagram)!r}; allowed: a .drawio, .mmd or .md file")

    from settings import ConfigError

    started = time.perf_counter()
    try:
        overrides = dict(item.split("=", 1) for item in args.config)
        recording = run_program(args.stack, preview=args.mode == "preview", config_overrides=overrides)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    program_seconds = time.perf_counter() - started

    print(f"== {recording.project}/{recording.stack}: offline {args.mode} ==\n")
    print(render_tree(recording))
    print("\n== resources by type ==")
    print(render_counts(recording))
    print("\n== outputs ==")
    print(render_outputs(recording))

    record: dict[str, Any] = recording.to_json()
    from offline.cost import estimate
    from offline.cost_report import render as render_cost

    cost = estimate(recording)
    print("\n== monthly cost estimate (offline/cost.py) ==")
    print(render_cost(cost))
    record["cost"] = cost.to_json()
    exit_code = EXIT_OK
    if not args.no_policy:
        from offline.policy_driver import analyze

        started_policy = time.perf_counter()
        report = analyze(
            recording.resources,
            project=recording.project,
            stack=recording.stack,
            preview=recording.preview,
            config=recording.config,
            region=recording.config.get("aws:region", ""),
            policy_config=json.loads(args.policy_config.read_text()) if args.policy_config else None,
        )
        policy_seconds = time.perf_counter() - started_policy
        print("\n== policy report ==")
        print(report.render())
        print(f"\n(policy analysis took {policy_seconds:.2f}s)")
        record["policy"] = report.to_json()
        if report.mandatory:
            exit_code = EXIT_MANDATORY
    if args.access:
        from offline.access import evaluate, render_markdown, stack_contracts, totals

        # ARNs are unknown in preview mode: the contracts are resolved against an update-mode run.
        resolved = (
            recording if not recording.preview else run_program(args.stack, preview=False, config_overrides=overrides)
        )
        outcomes = evaluate(resolved, stack_contracts(resolved))
        print("\n== runtime access (offline/access.py) ==")
        print(render_markdown(args.stack, outcomes))
        record["access"] = [
            {
                "workload": o.workload,
                "request": o.request.label,
                "action": o.request.action,
                "resource": o.resource,
                "expected": o.request.expect.value,
                "decision": o.decision,
            }
            for o in outcomes
        ]
        if totals(outcomes)["unexpected"] and exit_code == EXIT_OK:
            exit_code = EXIT_ACCESS
    print(f"(program ran in {program_seconds:.2f}s)")

    if args.diagram:
        from offline.diagram import build, render

        args.diagram.parent.mkdir(parents=True, exist_ok=True)
        args.diagram.write_text(render(build(recording), args.diagram.suffix))
        print(f"wrote {args.diagram}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(record, indent=2, sort_keys=True))
        print(f"wrote {args.json}")
    return exit_code


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT_DIR))
    sys.exit(main())
