"""The project's test command: package/notebook sync, clean notebooks, then every notebook's tests.

Prints one line per check and per notebook and ends with 'N passed, N failed'
counting the checks and notebooks; exits non-zero when anything failed.
`--flags "slow gpu"` also runs cells tagged with those flags.

The clean check runs nbdev_clean on a scratch copy and fails when it would change a notebook. With
settings.ini's clear_all = False nbdev_clean keeps cell outputs, so notebooks may be committed with
their figures and tables (`make docs` writes them); execution counts, notebook and cell metadata
beyond the allowed keys, missing cell ids and object addresses in text outputs still fail it.
"""
from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """Path of a console script installed beside this Python, else its bare name."""
    p = BIN / name
    return str(p) if p.exists() else name


def scratch_copy(tmp: Path) -> Path:
    """Copy what nbdev needs (settings, notebooks, package) into a scratch tree."""
    dst = tmp / "repo"
    dst.mkdir()
    shutil.copy2(ROOT / "settings.ini", dst / "settings.ini")
    shutil.copytree(ROOT / "nbs", dst / "nbs", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "ebano_dal", dst / "ebano_dal", ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def tree_diff(a: Path, b: Path, pattern: str) -> list[str]:
    """Relative names of files matching pattern that differ or exist on one side only."""
    na = {p.relative_to(a) for p in a.rglob(pattern) if ".ipynb_checkpoints" not in p.parts}
    nb = {p.relative_to(b) for p in b.rglob(pattern) if ".ipynb_checkpoints" not in p.parts}
    out = sorted(str(n) for n in na ^ nb)
    out += sorted(str(n) for n in na & nb if not filecmp.cmp(a / n, b / n, shallow=False))
    return out


def notebook_changes(before: Path, after: Path, limit: int = 3) -> list[str]:
    """What differs between two versions of a notebook, in a few words (the first `limit` differences)."""
    try:
        a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (before, after))
    except (OSError, ValueError) as e:
        return [f"unreadable ({e})"]
    out = []
    for key in sorted((set(a) | set(b)) - {"cells"}):
        if a.get(key) != b.get(key):
            out.append(f"notebook {key}" + (f" keys {sorted(set(a.get(key) or {}) - set(b.get(key) or {}))}"
                                            if isinstance(a.get(key), dict) and isinstance(b.get(key), dict) else ""))
    ca, cb = a.get("cells", []), b.get("cells", [])
    if len(ca) != len(cb):
        out.append(f"{len(ca)} cells become {len(cb)}")
    for i, (x, y) in enumerate(zip(ca, cb), 1):
        for key in sorted(set(x) | set(y)):
            if x.get(key) == y.get(key):
                continue
            what = {"execution_count": "an execution count", "id": "no cell id", "source": "an empty source",
                    "outputs": "execution counts or object addresses in outputs"}.get(key, key)
            if key == "metadata":
                what = f"cell metadata keys {sorted(set(x.get(key) or {}) - set(y.get(key) or {}))}"
            out.append(f"cell {i}: {what}")
    return out[:limit] + ([f"{len(out) - limit} more"] if len(out) > limit else [])


def check_tool_is_noop(tool_name: str, folder: str, pattern: str, fix: str) -> tuple[bool, str]:
    """True when running an nbdev tool on a scratch copy leaves folder's files matching pattern unchanged."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = scratch_copy(Path(tmp))
        r = subprocess.run([tool(tool_name)], cwd=repo, capture_output=True, text=True)
        if r.returncode:
            return False, f"{tool_name} failed: {r.stderr.strip()[-2000:]}"
        diff = tree_diff(ROOT / folder, repo / folder, pattern)
        details = [f"{n} [{'; '.join(notebook_changes(ROOT / folder / n, repo / folder / n))}]"
                   if n.endswith(".ipynb") and (ROOT / folder / n).exists() and (repo / folder / n).exists() else n
                   for n in diff]
    if diff:
        return False, f"{tool_name} would change {folder}/ (" + ", ".join(details) + f"): {fix}"
    return True, f"{tool_name} leaves {folder}/ unchanged"


CHECKS = {
    "sync": ("nbdev_export", "ebano_dal", "*.py", "the package is out of sync with nbs/; run nbdev_export and commit."),
    "clean": ("nbdev_clean", "nbs", "*.ipynb",
              "notebooks are not clean; run nbdev_clean (or make docs, which keeps the outputs) and commit."),
}


def default_notebooks() -> list[Path]:
    """The landing page nbs/index.ipynb, then the library notebooks nbs/[0-9]*.ipynb."""
    nbs = ROOT / "nbs"
    return [p for p in [nbs / "index.ipynb"] if p.exists()] + sorted(nbs.glob("[0-9]*.ipynb"))


def test_notebook(nb: Path, flags: list[str]) -> tuple[bool, str, float]:
    """Run one notebook's cells with nbdev_test in its own process."""
    t0 = time.time()
    cmd = [tool("nbdev_test"), "--path", str(nb), "--do_print"]
    if flags:
        cmd += ["--flags", " ".join(flags)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    ok = r.returncode == 0 and "Success" in r.stdout
    return ok, (r.stdout + r.stderr).strip(), time.time() - t0


def main() -> int:
    """Run all checks; return the process exit status."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--flags", default="", help="extra cell flags to run, space-separated, e.g. 'slow' or 'slow gpu'")
    ap.add_argument("--workers", type=int, default=2, help="notebooks run at once")
    ap.add_argument("notebooks", nargs="*", help="notebooks to test (default: nbs/index.ipynb and nbs/[0-9]*.ipynb)")
    args = ap.parse_args()
    passed = failed = 0
    for name, args_ in CHECKS.items():
        ok, msg = check_tool_is_noop(*args_)
        print(f"{'PASS' if ok else 'FAIL'} {name}: {msg}", flush=True)
        passed, failed = passed + ok, failed + (not ok)
    nbs = [Path(n) for n in args.notebooks] or default_notebooks()
    with ThreadPoolExecutor(args.workers) as pool:
        futures = {nb: pool.submit(test_notebook, nb, args.flags.split()) for nb in nbs}
        for nb, fut in futures.items():
            ok, out, secs = fut.result()
            print(f"{'PASS' if ok else 'FAIL'} {nb.name} ({secs:.0f}s)", flush=True)
            if not ok:
                print("\n".join("    " + l for l in out.splitlines()[-60:]), flush=True)
            passed, failed = passed + ok, failed + (not ok)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
