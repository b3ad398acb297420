"""The ``--policy-pack-config`` file of a stack, reconciled with the pack's own defaults as the CLI does."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

from offline.engine import PROJECT_DIR
from offline.policy_report import LEVEL_CODES, LEVELS

POLICIES_DIR = PROJECT_DIR / "policies"
CONFIG_DIR = POLICIES_DIR / "config"
_SCHEMA_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


class PolicyConfigError(ValueError):
    """The policy config names an unknown policy, level or property, or a value of the wrong type."""


def load_policy_config(stack: str, config_dir: Path = CONFIG_DIR) -> dict[str, Any]:
    """The ``--policy-pack-config`` file of ``stack`` (``{}`` if there is none)."""
    path = config_dir / f"{stack}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def reconcile_config(info: analyzer_pb2.AnalyzerInfo, policy_config: Mapping[str, Any]) -> dict[str, tuple[str, dict]]:
    """Per policy: (level, properties) as the CLI sends them to ``Configure``.

    Every policy gets an entry: the configured level or the pack's default, and the schema defaults
    overlaid with the configured properties. Unknown policy names, levels or properties and values of
    the wrong JSON type are rejected (a typo must not silently disable a guardrail).
    """
    policies = {p.name: p for p in info.policies}
    unknown = sorted(set(policy_config) - set(policies) - {"all"})
    if unknown:
        raise PolicyConfigError(f"policy config names unknown policies: {', '.join(unknown)}")
    out: dict[str, tuple[str, dict]] = {}
    for name, p in policies.items():
        schema = json_format.MessageToDict(p.configSchema.properties) if p.HasField("configSchema") else {}
        props = {k: v["default"] for k, v in schema.items() if isinstance(v, dict) and "default" in v}
        level = LEVELS[p.enforcementLevel]
        for entry in (policy_config.get("all"), policy_config.get(name)):
            if entry is None:
                continue
            if isinstance(entry, str):
                level = entry
                continue
            if not isinstance(entry, Mapping):
                raise PolicyConfigError(f"{name}: config must be a level or an object")
            for k, v in entry.items():
                if k == "enforcementLevel":
                    level = v
                elif k not in schema:
                    raise PolicyConfigError(f"{name}: unknown config property {k!r}")
                else:
                    want = _SCHEMA_TYPES.get(schema[k].get("type", ""), (object,))
                    if not isinstance(v, want) or (isinstance(v, bool) and bool not in want):
                        raise PolicyConfigError(f"{name}.{k}: expected {schema[k].get('type')}, got {v!r}")
                    props[k] = v
        if level not in LEVEL_CODES:
            raise PolicyConfigError(f"{name}: unknown enforcement level {level!r}")
        out[name] = (level, props)
    return out


def pack_version(pack_dir: Path = POLICIES_DIR) -> str | None:
    """The version in ``PulumiPolicy.yaml``: the CLI uses it, Python packs always report 0.0.1."""
    import yaml

    path = pack_dir / "PulumiPolicy.yaml"
    if not path.exists():
        return None
    version = (yaml.safe_load(path.read_text()) or {}).get("version")
    return str(version) if version is not None else None
