"""Generate the files that restate the settings models (settings.KEYS): Pulumi.yaml and the README's config reference.

python -m offline.docs           rewrite them
python -m offline.docs --check   exit 1 if either is stale (the tests run this)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from offline.engine import PROJECT_DIR

BEGIN, END = "<!-- config-reference:begin -->", "<!-- config-reference:end -->"
# A blang/semver range, as Pulumi.yaml's `requiredPulumiVersion` takes it; the lower bound is the pinned SDK.
REQUIRED_PULUMI_VERSION = ">=3.272.0 <4.0.0"


def render_project_file() -> str:
    import settings

    config: dict[str, dict[str, object]] = {}
    for key in settings.KEYS:
        decl: dict[str, object] = {"type": key.type, "description": key.description}
        if key.items:
            decl["items"] = {"type": key.items}
        if key.secret:
            decl["secret"] = True
        if not key.required:
            decl["default"] = key.default
        config[key.name] = decl
    project = {
        "name": settings.PROJECT,
        "description": "YouTube-style video streaming platform on AWS across several Availability Zones",
        # The CLI refuses an older version before it runs anything (Pulumi.yaml field since CLI 3.219.0,
        # pulumi/pulumi sdk/go/common/workspace/project.go); the same version as the SDK pin.
        "requiredPulumiVersion": REQUIRED_PULUMI_VERSION,
        "runtime": {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}},
        "config": config,
    }
    header = "# Generated from the settings/ models by `make docs`; edit the keys there, not here.\n"
    return header + yaml.safe_dump(project, sort_keys=False, width=110)


def render_config_reference() -> str:
    import settings

    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for key in settings.KEYS:
        default = "*required*" if key.required else f"`{json.dumps(key.default)}`"
        type_ = f"{key.type} of {key.items}" if key.items else key.type
        type_ += ", secret" if key.secret else ""
        rows.append(f"| `{key.full_name}` | {type_} | {default} | {key.description} |")
    return "\n".join(rows)


def _readme_with_reference(readme: str) -> str:
    start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
    return readme[:start] + "\n" + render_config_reference() + "\n" + readme[end:]


def generated_files(project_dir: Path = PROJECT_DIR) -> dict[Path, str]:
    readme = project_dir / "README.md"
    return {
        project_dir / "Pulumi.yaml": render_project_file(),
        readme: _readme_with_reference(readme.read_text()),
    }


def stale_files(project_dir: Path = PROJECT_DIR) -> list[Path]:
    return [path for path, text in generated_files(project_dir).items() if path.read_text() != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.docs")
    parser.add_argument("--check", action="store_true", help="fail when a generated file is stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path.name} (run `make docs`)", file=sys.stderr)
        return 1 if stale else 0
    for path, text in generated_files().items():
        path.write_text(text)
        print(f"wrote {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
