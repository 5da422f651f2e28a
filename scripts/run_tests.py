"""The project's test command: package/notebook sync, clean notebooks, then every notebook's tests.

Prints one line per check and per notebook and ends with 'N passed, N failed'
counting the checks and notebooks; exits non-zero when anything failed.
`--flags "slow gpu"` also runs cells tagged with those flags.

Every Keras backend stays working: the notebooks whose code depends on the backend (BACKEND_NOTEBOOKS:
the models and their training, the keras.ops blur and the Express engine, BatchEBAnO, the strategies and
the loop) run again under each extra backend (`--backends "jax"` by default, `--backends ""` for none),
each in its own process with KERAS_BACKEND set, beside the default runs (TensorFlow, or whatever
KERAS_BACKEND says), on lines of their own, e.g. "PASS 04_engine.ipynb [jax] (60s)", counted like the
others. Such a run executes the notebook in-process with nbdev's test_nb after checking that Keras really
loaded that backend, and checks it again afterwards on a tensor the backend made, so a missing or ignored
backend fails instead of testing TensorFlow twice. JAX's CPU wheel is a test dependency (settings.ini's
dev extra, installed by `make install`).

The clean check runs nbdev_clean on a scratch copy and fails when it would change a notebook. With
settings.ini's clear_all = False nbdev_clean keeps cell outputs, so notebooks may be committed with
their figures and tables (`make docs` writes them); execution counts, notebook and cell metadata
beyond the allowed keys, missing cell ids and object addresses in text outputs still fail it.

The links check reads README.md and the markdown cells of every notebook under nbs/ and fails when a relative
link or image (markdown `[text](path)`, `![alt](path)`, HTML `href`/`src`) names a file or folder that does not
exist, or an anchor (`path#heading`) that no heading of the target README or notebook makes; web addresses are
not fetched (the tests run without a network).

PyTorch is not among the default backends (its wheel brings 5 GB of CUDA libraries): run by hand on 2026-12-01
(torch 2.14.1 on CPU, Keras 3.15.1, `--backends "jax torch"`), the five backend notebooks passed on it too. In a
fresh clone on a 2-core machine, `make test` took 5 min 50 s to 6 min 44 s with the JAX runs and an empty
compilation cache (`CI=true bash .ci/run`, 2026-12-01). 12_cli.ipynb (`ebano-dal explain`, with one run of the command
on TensorFlow and one on JAX) came after: 43 s on its own (2026-12-04); the whole `make test` then took 20 min 52 s on
2 cores shared with two other test runs (load average about 5), not a figure for a quiet machine.
"""
from __future__ import annotations

import argparse
import filecmp
import html
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
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


LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)"   # [text](target "title")
                  r"|(?:href|src)=\"([^\"]+)\"")                                             # <a href="...">, <img src="...">
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)                                             # fenced blocks, inline code


def markdown_texts(root: Path = ROOT) -> list[tuple[Path, str]]:
    """(file, markdown) for README.md and every markdown cell of the notebooks under nbs/."""
    out = [(root / "README.md", (root / "README.md").read_text(encoding="utf-8"))]
    for nb in sorted((root / "nbs").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in nb.parts:
            continue
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        out += [(nb, "".join(c["source"])) for c in cells if c["cell_type"] == "markdown"]
    return out


def heading_anchors(path: Path) -> set[str]:
    """The anchors GitHub makes for the headings of a README or of a notebook's markdown cells."""
    texts = [t for f, t in markdown_texts(ROOT) if f == path] if path.suffix == ".ipynb" or path.name == "README.md" \
        else [path.read_text(encoding="utf-8")]
    heads = [m.group(1) for t in texts for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*$", CODE.sub("", t), re.M)]
    return {re.sub(r"[^\w\- ]", "", re.sub(r"`", "", h).strip().lower()).replace(" ", "-") for h in heads}


def dead_links(root: Path = ROOT) -> tuple[int, list[str]]:
    """(number of relative links checked, 'file: target' for each that does not resolve) in README.md and nbs/."""
    checked, dead = 0, []
    for path, text in markdown_texts(root):
        for m in LINK.finditer(CODE.sub("", text)):
            target = html.unescape(m.group(1) or m.group(2))
            if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("//"):
                continue                                              # a web address or mailto: not fetched
            name, _, anchor = target.partition("#")
            dest = (path.parent / name).resolve() if name else path
            checked += 1
            if not dest.exists():
                dead.append(f"{path.relative_to(root)}: {target}")
            elif anchor and dest.suffix in (".ipynb", ".md") and anchor not in heading_anchors(dest):
                dead.append(f"{path.relative_to(root)}: {target} (no such heading)")
    return checked, dead


def check_links() -> tuple[bool, str]:
    """True when every relative link and image of README.md and the notebooks' markdown resolves."""
    checked, dead = dead_links()
    if dead:
        return False, f"{len(dead)} of {checked} links do not resolve: {'; '.join(dead)}; fix the link or the file."
    return True, f"all {checked} relative links in README.md and the notebooks' markdown resolve"


def default_notebooks() -> list[Path]:
    """The landing page nbs/index.ipynb, then the library notebooks nbs/[0-9]*.ipynb."""
    nbs = ROOT / "nbs"
    return [p for p in [nbs / "index.ipynb"] if p.exists()] + sorted(nbs.glob("[0-9]*.ipynb"))


# Notebooks run again under every extra backend: those exercising backend-specific code (keras.ops, the models
# and their training, the engines, the strategies and the loop on top of them).
BACKEND_NOTEBOOKS = ("01_models", "03_explain", "04_engine", "05_strategies", "06_loop")
BACKEND_MODULES = {"jax": "jax", "torch": "torch", "tensorflow": "tensorflow"}  # the module each backend needs
# The notebooks that take longest (2 to 5 minutes each on 2 cores), started first.
LONGEST = ("08_study", "11_reliability", "10_experiments")


def test_notebook(nb: Path, flags: list[str], backend: str | None = None) -> tuple[bool, str, float]:
    """Run one notebook's cells in its own process: with nbdev_test, or under `backend` with run_under_backend."""
    t0 = time.time()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
    if backend is None:
        cmd = [tool("nbdev_test"), "--path", str(nb), "--do_print"] + (["--flags", " ".join(flags)] if flags else [])
    else:
        module = BACKEND_MODULES.get(backend, backend)
        if importlib.util.find_spec(module) is None:
            return False, (f"the {backend} backend needs the Python module {module!r}, which is not installed; "
                           "`make install` installs JAX's CPU wheel (settings.ini's dev extra)."), time.time() - t0
        cmd = [sys.executable, __file__, "--under-backend", backend, "--flags", " ".join(flags), str(nb)]
        env.update(KERAS_BACKEND=backend)
        if backend == "jax":
            env.setdefault("JAX_PLATFORMS", "cpu")  # the tests are CPU tests; no probing for accelerators
            # XLA's compiled programs kept between runs: a notebook's second run compiles little (03_explain: 50 → 31
            # CPU seconds); a fresh machine (CI) just fills the cache
            cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ebano-dal" / "jax-compilation"
            env.setdefault("JAX_COMPILATION_CACHE_DIR", str(cache))
            env.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    ok = r.returncode == 0 and "Success" in r.stdout
    return ok, (r.stdout + r.stderr).strip(), time.time() - t0


def run_under_backend(nb: Path, flags: list[str], backend: str) -> int:
    """Test one notebook in this process (as nbdev_test does) after checking that Keras loaded `backend`.

    The notebook's cells run in this process (execnb's CaptureShell), so their `import keras` is this Keras."""
    import keras  # reads KERAS_BACKEND now, once for the whole process
    from nbdev.config import get_config
    from nbdev.test import test_nb

    def check(when: str) -> bool:
        got = keras.backend.backend()
        kind = type(keras.ops.zeros((1,))).__module__
        if got != backend or not kind.startswith(BACKEND_MODULES.get(backend, backend)):
            print(f"{when}: Keras runs on {got!r} (tensors from {kind}), not on {backend!r} "
                  f"(KERAS_BACKEND={os.environ.get('KERAS_BACKEND')!r}).", file=sys.stderr)
            return False
        return True

    if not check("before the notebook"):
        return 1
    cfg, nb = get_config(), nb.resolve()
    with working_directory(cfg.nbs_path):
        ok, _ = test_nb(nb, skip_flags=cfg.tst_flags.split(), force_flags=flags, do_print=True,
                        basepath=cfg.config_path)
    if not (ok and check("after the notebook")):
        return 1
    print(f"Success. (Keras {keras.__version__} on {backend})")
    return 0


@contextmanager
def working_directory(path: Path):
    """Run the block in folder path (nbdev_test runs its notebooks from the notebooks folder)."""
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def main() -> int:
    """Run all checks; return the process exit status."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--flags", default="", help="extra cell flags to run, space-separated, e.g. 'slow' or 'slow gpu'")
    ap.add_argument("--workers", type=int, default=2, help="notebooks run at once")
    ap.add_argument("--backends", default="jax",
                    help=f"extra Keras backends the notebooks {', '.join(BACKEND_NOTEBOOKS)} also run on, "
                         "space-separated (default: jax; '' for none)")
    ap.add_argument("--under-backend", help=argparse.SUPPRESS)  # internal: test one notebook in this process
    ap.add_argument("notebooks", nargs="*", help="notebooks to test (default: nbs/index.ipynb and nbs/[0-9]*.ipynb)")
    args = ap.parse_args()
    if args.under_backend:
        return run_under_backend(Path(args.notebooks[0]), args.flags.split(), args.under_backend)
    t_start, passed, failed = time.time(), 0, 0
    for name, args_ in CHECKS.items():
        ok, msg = check_tool_is_noop(*args_)
        print(f"{'PASS' if ok else 'FAIL'} {name}: {msg}", flush=True)
        passed, failed = passed + ok, failed + (not ok)
    ok, msg = check_links()
    print(f"{'PASS' if ok else 'FAIL'} links: {msg}", flush=True)
    passed, failed = passed + ok, failed + (not ok)
    nbs = [Path(n) for n in args.notebooks] or default_notebooks()
    # each backend run right after the notebook's default run; the longest notebooks first, so that no long one
    # starts last and runs alone at the end
    jobs = [(nb, b) for nb in nbs for b in [None] + (args.backends.split() if nb.stem in BACKEND_NOTEBOOKS
                                                    else [])]
    jobs.sort(key=lambda job: job[0].stem not in LONGEST)
    with ThreadPoolExecutor(args.workers) as pool:
        futures = {(nb, b): pool.submit(test_notebook, nb, args.flags.split(), b) for nb, b in jobs}
        for (nb, b), fut in futures.items():
            ok, out, secs = fut.result()
            print(f"{'PASS' if ok else 'FAIL'} {nb.name}{f' [{b}]' if b else ''} ({secs:.0f}s)", flush=True)
            if not ok:
                print("\n".join("    " + l for l in out.splitlines()[-60:]), flush=True)
            passed, failed = passed + ok, failed + (not ok)
    minutes, seconds = divmod(round(time.time() - t_start), 60)
    print(f"took {minutes} min {seconds:02d} s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
