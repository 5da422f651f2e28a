"""Execute notebooks in place so that they are committed with their outputs (figures, tables).

Every notebook runs the way `nbdev_test` runs it: in a fresh Python process, through execnb's
CaptureShell, with the notebook's folder as working directory and the project root on sys.path,
skipping the same cells (those tagged with a flag of settings.ini's `tst_flags`, e.g. `#| slow` or
`#| gpu`, unless `--flags` names it; `#| eval: false`; `nbdev_export()` calls). The outputs of the
cells that ran replace the old ones; skipped cells are left without output. The notebook file is only
written when every cell ran, and then `nbdev_clean` strips the metadata noise (execution counts,
kernel metadata, object addresses in reprs), so the result passes the clean check of `make test`.

Figures are PNG at --dpi (default 100). A notebook larger than --max-mb after execution is reported.
Exit status: 1 when a notebook failed, 2 when none failed but one is too large, else 0.

    python scripts/make_docs.py                       # nbs/index.ipynb and nbs/[0-9]*.ipynb
    python scripts/make_docs.py nbs/03_explain.ipynb  # just one
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MAX_MB = 2.0


def tool(name: str) -> str:
    """Path of a console script installed beside this Python, else its bare name."""
    p = BIN / name
    return str(p) if p.exists() else name


def default_notebooks() -> list[Path]:
    """The landing page and the library notebooks, in the order of `make test`."""
    nbs = ROOT / "nbs"
    return [p for p in [nbs / "index.ipynb"] if p.exists()] + sorted(nbs.glob("[0-9]*.ipynb"))


def execute(path: Path, flags: list[str], dpi: int) -> str:
    """Run one notebook as nbdev_test does and write it back with its outputs; return a summary."""
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    from fastcore.basics import str2bool
    from fastcore.xtras import working_directory
    from nbdev.config import get_config
    from nbdev.frontmatter import FrontmatterProc
    from nbdev.process import NBProcessor, nb_lang

    cfg = get_config(path=path.parent)
    skip = set(cfg.tst_flags.split()) - set(flags)
    os.environ["IN_TEST"] = "1"            # nbdev.test.test_nb sets it outside Jupyter
    sys.path.insert(0, str(cfg.config_path))
    original = read_nb(path)               # cells as written: the outputs go back into these
    nb = NBProcessor(path, procs=FrontmatterProc, process=True).nb   # what nbdev_test executes
    fm = getattr(nb, "frontmatter_", {})
    if str2bool(fm.get("skip_exec", False)) or nb_lang(nb) != "python":
        return "not executed (skip_exec or not Python)"

    def no_eval(cell) -> bool:
        """nbdev_test's rule (nbdev/test.py, test_nb): which cells are not executed."""
        if cell.cell_type != "code":
            return True
        if "nbdev_export" + "(" in cell.source:
            return True
        direc = getattr(cell, "directives_", {}) or {}
        if direc.get("eval:", [""])[0].lower() == "false":
            return True
        return bool(skip & direc.keys())

    # The frontmatter processor only drops or inserts markdown/raw cells, so code cells pair up in order.
    ran, written = [c for c in nb.cells if c.cell_type == "code"], [c for c in original.cells if c.cell_type == "code"]
    if len(ran) != len(written) or any(a.get("id") != b.get("id") for a, b in zip(ran, written)):
        raise RuntimeError(f"{path}: the processed notebook's code cells do not match the file's; not written.")
    for c in ran:
        c.outputs = []                     # CaptureShell keeps old outputs of a cell that prints nothing
    shell = CaptureShell(path, mpl_format="png")
    # Small, reproducible PNGs: a fixed dpi and no matplotlib version stamp in the image.
    shell.run(f"set_matplotlib_formats('png', dpi={int(dpi)}, metadata={{'Software': None}})")
    if shell.exc:
        raise shell.exc
    try:
        with working_directory(path.parent):
            shell.run_all(nb, exc_stop=True, preproc=no_eval)
    except Exception:
        sys.stderr.write(shell.prettytb(fname=path) + "\n")
        raise SystemExit(1)
    n_run = n_err = 0
    for a, b in zip(ran, written):
        b.outputs = list(a.outputs)
        b.execution_count = None
        n_run += not no_eval(a)
        n_err += sum(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in b.outputs)
    write_nb(original, path)
    skipped = len(ran) - n_run
    note = f", {n_err} cell(s) wrote to stderr (kept in the outputs)" if n_err else ""
    return f"{n_run} code cells ran, {skipped} skipped{note}"


def build(path: Path, flags: list[str], dpi: int) -> tuple[bool, str]:
    """Execute one notebook in its own process, then nbdev_clean it; return (ok, message)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
    cmd = [sys.executable, __file__, "--one", str(path), "--dpi", str(dpi)]
    if flags:
        cmd += ["--flags", " ".join(flags)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode:
        out = (r.stdout + r.stderr).strip().splitlines()
        return False, "\n".join("    " + line for line in out[-60:])
    from nbdev.config import get_config
    c = subprocess.run([tool("nbdev_clean"), "--fname", str(path)], cwd=get_config(path=path.parent).config_path,
                       capture_output=True, text=True)
    if c.returncode or c.stderr.strip():
        return False, f"    nbdev_clean failed on {path}: {(c.stdout + c.stderr).strip()[-2000:]}"
    return True, r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""


def main() -> int:
    """Build the given notebooks; return the process exit status."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", type=Path, help="notebooks to execute (default: nbs/index.ipynb nbs/[0-9]*.ipynb)")
    ap.add_argument("--flags", default="", help="cell flags to run that are normally skipped, space-separated, e.g. 'slow'")
    ap.add_argument("--dpi", type=int, default=100, help="resolution of the PNG figures")
    ap.add_argument("--max-mb", type=float, default=MAX_MB, help="largest notebook size accepted after execution, in MB")
    ap.add_argument("--one", type=Path, help=argparse.SUPPRESS)   # internal: execute this notebook in this process
    args = ap.parse_args()
    flags = args.flags.split()
    if args.one:
        print(execute(args.one.resolve(), flags, args.dpi))
        return 0
    nbs = [p.resolve() for p in args.notebooks] or default_notebooks()
    missing = [str(p) for p in nbs if not p.is_file()]
    if missing:
        print("no such notebook: " + ", ".join(missing), file=sys.stderr)
        return 1
    failed, large = [], []
    for nb in nbs:
        t0 = time.time()
        ok, msg = build(nb, flags, args.dpi)
        mb = nb.stat().st_size / 1e6
        status = "OK  " if ok else "FAIL"
        print(f"{status} {nb.name} ({time.time() - t0:.0f}s, {mb:.2f} MB){': ' + msg if ok and msg else ''}", flush=True)
        if not ok:
            print(msg, flush=True)
            failed.append(nb.name)
        elif mb > args.max_mb:
            print(f"WARN {nb.name} is {mb:.2f} MB, over {args.max_mb:g} MB: make its figures smaller or fewer "
                  "(lower dpi, smaller figsize, fewer images per grid) before committing it.", flush=True)
            large.append(nb.name)
    print(f"{len(nbs) - len(failed)} executed, {len(failed)} failed, {len(large)} over {args.max_mb:g} MB"
          + (" (failed notebooks were left as they were)" if failed else ""))
    return 1 if failed else 2 if large else 0


if __name__ == "__main__":
    sys.exit(main())
