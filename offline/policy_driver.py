"""Run the policy pack exactly as ``pulumi preview --policy-pack policies`` does, without the CLI.

The pack process and the engine it logs to live in :mod:`offline.pack_process`, the requests it is sent in
:mod:`offline.analyzer_requests`, what it reports in :mod:`offline.policy_report`, the policy config in
:mod:`offline.policy_config`; they are re-exported here.

``PULUMI_DRY_RUN`` is fixed for the life of a pack process, so processes are keyed by
(project, stack, preview, config) and reused across :func:`analyze` calls; they are killed at exit.
"""

from __future__ import annotations

import atexit
import json
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from offline.analyzer_requests import STACK_TYPE
from offline.engine import ResourceRecord
from offline.pack_process import PolicyPackProcess
from offline.policy_config import (
    CONFIG_DIR,
    POLICIES_DIR,
    PolicyConfigError,
    load_policy_config,
    pack_version,
    reconcile_config,
)
from offline.policy_report import LEVEL_CODES, LEVELS, SEVERITIES, Diagnostic, NotApplicable, PolicyInfo, PolicyReport

__all__ = [
    "CONFIG_DIR",
    "LEVELS",
    "LEVEL_CODES",
    "POLICIES_DIR",
    "SEVERITIES",
    "STACK_TYPE",
    "Diagnostic",
    "NotApplicable",
    "PolicyConfigError",
    "PolicyInfo",
    "PolicyPackProcess",
    "PolicyReport",
    "analyze",
    "close_all",
    "load_policy_config",
    "main",
    "pack_process",
    "pack_version",
    "reconcile_config",
]

# --- the public entry point ------------------------------------------------------------------

_PROCESSES: dict[tuple[Any, ...], PolicyPackProcess] = {}
_PROCESSES_LOCK = threading.Lock()


def pack_process(project: str, stack: str, preview: bool, config: Mapping[str, str]) -> PolicyPackProcess:
    """A started, shared pack process for (project, stack, preview, config)."""
    key = (project, stack, preview, tuple(sorted(config.items())))
    with _PROCESSES_LOCK:
        proc = _PROCESSES.get(key)
        if proc is None:
            proc = PolicyPackProcess(project=project, stack=stack, preview=preview, config=config)
            proc.start()
            _PROCESSES[key] = proc
        return proc


@atexit.register
def close_all() -> None:
    """Kill every shared pack process (they serve forever otherwise)."""
    with _PROCESSES_LOCK:
        for proc in _PROCESSES.values():
            proc.close()
        _PROCESSES.clear()


def analyze(
    resources: Sequence[ResourceRecord],
    *,
    project: str,
    stack: str,
    preview: bool,
    config: Mapping[str, str],
    policy_config: Mapping[str, Any] | None = None,
    region: str | None = None,
) -> PolicyReport:
    """Run the pack over ``resources`` as ``pulumi preview``/``up`` with ``--policy-pack`` would.

    ``policy_config`` defaults to ``policies/config/<stack>.json``; ``region`` to ``aws:region``.
    """
    region = region or config.get("aws:region", "us-east-1")
    proc = pack_process(project, stack, preview, config)
    return proc.analyze(resources, region=region, policy_config=policy_config)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m offline.policy_driver records.json --stack dev [--update]``: analyze recorded resources."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("records", help="JSON file: a list of ResourceRecord.to_json() or a Recording.to_json()")
    ap.add_argument("--stack", default="dev")
    ap.add_argument("--project", default="streaming")
    ap.add_argument("--update", action="store_true", help="PULUMI_DRY_RUN=false")
    ap.add_argument("--region", default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    data = json.loads(Path(args.records).read_text())
    items = data["resources"] if isinstance(data, dict) else data
    config = data.get("config", {}) if isinstance(data, dict) else {}
    records = [ResourceRecord.from_json(x) for x in items]
    report = analyze(
        records, project=args.project, stack=args.stack, preview=not args.update, config=config, region=args.region
    )
    print(json.dumps(report.to_json(), indent=2) if args.json else report.render())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
