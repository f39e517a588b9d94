"""Load a light-mediator module as it was at a git revision, for benchmarks that time today's code
against an older one in the same run (the obviously-correct reference is the older, slower code)."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType


def load_at(revision: str, module: str, replace: dict[str, str] | None = None) -> ModuleType:
    """``relicboost.physics.light_mediator.<module>`` at git ``revision`` as ``_v<revision[:7]>_<module>``.

    ``replace`` maps old to new source text, applied first, e.g. to point a relative import at another
    module of the same revision loaded the same way (:func:`sibling`).
    """
    root = Path(__file__).resolve().parents[1]
    src = subprocess.run(["git", "show", f"{revision}:relicboost/physics/light_mediator/{module}.py"],
                         cwd=root, capture_output=True, text=True, check=True).stdout
    for old, new in (replace or {}).items():
        src = src.replace(old, new)
    name = f"_v{revision[:7]}_{module}"
    path = Path(tempfile.mkdtemp()) / f"{name}.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location(f"relicboost.physics.light_mediator.{name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {module} at {revision}")
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


def sibling(revision: str, *modules: str) -> dict[str, str]:
    """Replacements pointing ``from .<module> import`` at the ``revision`` copies loaded by :func:`load_at`."""
    return {f"from .{m} import": f"from ._v{revision[:7]}_{m} import" for m in modules}
