"""Generate one API-reference page per public module of ``relicboost`` at build time (mkdocs-gen-files).

The pages are discovered from the package tree, so renamed, split or new modules appear without
editing the docs; modules whose name starts with ``_`` are private and skipped.
"""
from __future__ import annotations

from pathlib import Path

import mkdocs_gen_files

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "relicboost"

nav = mkdocs_gen_files.Nav()
for path in sorted(PACKAGE.rglob("*.py")):
    module = path.relative_to(ROOT).with_suffix("")
    parts = list(module.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
        doc_path = Path(*parts, "index.md")
    else:
        doc_path = module.with_suffix(".md")
    if any(p.startswith("_") for p in parts) or "__pycache__" in path.parts:
        continue
    nav[tuple(parts)] = doc_path.as_posix()
    with mkdocs_gen_files.open(Path("reference", doc_path), "w") as fd:
        fd.write(f"::: {'.'.join(parts)}\n")

with mkdocs_gen_files.open("reference/SUMMARY.md", "w") as nav_file:
    nav_file.writelines(nav.build_literate_nav())
