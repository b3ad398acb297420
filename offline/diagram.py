"""The architecture pictures of a stack, generated from what the program registered; never drawn by hand.

    python -m offline.diagram [--stack prod]   rewrite docs/architecture-<stack>.{dot,png,drawio} (default:
                                               dev and prod) and the picture block of README.md
    python -m offline.diagram --check          exit 1 when any of them is stale (the tests run this)

The README picture (AWS icons, one node per logical thing with its count) is ``offline/picture.py``;
this module draws the every-resource views: draw.io (``docs/architecture-<stack>.drawio``) and, for
``offline.preview --diagram FILE.mmd``, a compact Mermaid flowchart. Both follow these rules:

The picture is derived from the recording (``offline.engine``) alone:

* **Which resources.** Every AWS resource is a node, except configuration and glue (IAM, bucket
  sub-resources, security group rules, target groups, listeners...), which are hidden. Log groups,
  KMS keys, security groups and alarms are folded into one counted node per place.
* **Where.** Subnets sit in their ``Tier`` tag's tier and their AZ. Any other resource is placed by
  following its property dependencies (through hidden resources, such as a DB subnet group) to the
  subnets it runs in: one AZ puts it in that AZ's box, several put it at tier level. Route tables
  are placed by the subnets associated with them. Resources outside the VPC go to their service's tier
  (``SERVICE_TIERS``), and a service nobody listed yet goes to ``operations``, so a new tier
  never breaks the picture; it only asks for a line in that table.
* **Labels.** A node is labelled by its type (``LABELS``); an ECS service's label adds where its tasks
  run, from its capacity provider strategy or launch type (``ecs_launch``): ``ECS service (Fargate)``
  or ``ECS service (EC2)`` for a service on the fleet's Auto Scaling group capacity provider.
* **Edges.** "A uses B": the property dependencies of A that reach B, directly or through hidden
  resources (an ECS service reaches the tables and buckets named in its task definition). Links that
  live in glue resources are drawn between the resources they connect (``LINKS``: route, listener,
  event source mapping, bucket notification, WAF association, DNS record, event target). Edges to the
  VPC, subnets, route tables and folded nodes are left out: placement shows those.

Two renderings: draw.io XML with every resource (the format the source designs came in) and a compact
Mermaid flowchart where the resources of one type in one place are one counted node.

Modules: the placement model (``build``, ``compact``) is ``offline/diagram_model.py``, the two
renderings ``offline/diagram_render.py``; this one writes and checks the generated files (and
re-exports the names its importers use).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from offline.diagram_model import (  # noqa: F401  (re-exported: the model's public names)
    FOLDED_TYPES,
    LABELS,
    LINKS,
    SERVICE_TIERS,
    TIERS,
    Diagram,
    Node,
    build,
    compact,
    ecs_launch,
    is_hidden,
    label,
)
from offline.diagram_render import render, render_drawio, render_mermaid  # noqa: F401  (re-exported)
from offline.engine import PROJECT_DIR, Recording

BEGIN, END = "<!-- architecture:begin -->", "<!-- architecture:end -->"
DOCS_DIR = PROJECT_DIR / "docs"

README_STACKS = ("dev", "prod")


def readme_block() -> str:
    """The README's picture block: the PNG of each stack, linked to its DOT source and draw.io file."""
    parts = ["\n"]
    for stack in README_STACKS:
        parts.append(
            f"**{stack}** ([DOT source](docs/architecture-{stack}.dot), "
            f"[every resource by name](docs/architecture-{stack}.drawio)):\n\n"
            f"![{stack} architecture](docs/architecture-{stack}.png)\n\n"
        )
    return "".join(parts)


def readme_with_pictures(readme: str) -> str:
    start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
    return readme[:start] + readme_block() + readme[end:]


def generated_files(recording: Recording, project_dir: Path = PROJECT_DIR) -> dict[Path, str]:
    """The text files generated from one recording: the picture's DOT source and the draw.io file
    (and the README block, which is the same for every stack). The PNG is rendered from the DOT."""
    from offline.picture import build_dot

    docs = project_dir / "docs"
    files = {
        docs / f"architecture-{recording.stack}.dot": build_dot(recording),
        docs / f"architecture-{recording.stack}.drawio": render_drawio(build(recording)),
    }
    readme = project_dir / "README.md"
    if readme.exists() and BEGIN in readme.read_text():
        files[readme] = readme_with_pictures(readme.read_text())
    return files


def stale_files(recording: Recording, project_dir: Path = PROJECT_DIR) -> list[Path]:
    """Generated files that differ from what the recording gives, and a PNG not rendered from its DOT."""
    from offline.picture import dot_sha256, png_text

    files = generated_files(recording, project_dir)
    stale = [path for path, text in files.items() if not path.exists() or path.read_text() != text]
    png = project_dir / "docs" / f"architecture-{recording.stack}.png"
    dot = files[project_dir / "docs" / f"architecture-{recording.stack}.dot"]
    if not png.exists() or png_text(png.read_bytes()).get("dot-sha256") != dot_sha256(dot):
        stale.append(png)
    return stale


def main(argv: list[str] | None = None) -> int:
    from offline.engine import run_program
    from offline.picture import render_png

    parser = argparse.ArgumentParser(prog="python -m offline.diagram", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", action="append", help=f"repeatable; default: {', '.join(README_STACKS)}")
    parser.add_argument("--check", action="store_true", help="fail when a generated file is stale")
    args = parser.parse_args(argv)
    stale: list[Path] = []
    for stack in args.stack or README_STACKS:
        recording = run_program(stack, preview=True)
        if args.check:
            stale += stale_files(recording)
            continue
        for path, text in generated_files(recording).items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(PROJECT_DIR)}")
            if path.suffix == ".dot":
                png = path.with_suffix(".png")
                png.write_bytes(render_png(text))
                print(f"wrote {png.relative_to(PROJECT_DIR)}")
    for path in stale:
        print(f"stale: {path.relative_to(PROJECT_DIR)} (run `make docs`)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT_DIR))
    sys.exit(main())
