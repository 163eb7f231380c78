"""Execute the notebooks in place, as their committed outputs were made.

    python notebooks/execute.py                      # all four, full runs (about 10 minutes)
    python notebooks/execute.py 03_latent_space.ipynb
    MPGAN_QUICK=1 python notebooks/execute.py --out /tmp/nb   # quick mode, elsewhere

Each notebook runs top to bottom in a fresh Jupyter kernel (nbclient) from this
folder. TensorFlow's C++ start-up and Grappler lines (``I0000 ... cudart_stub``,
``E0000 ... cuInit``, ``remapper failed``) reach the kernel's stderr whatever the log
level; they are removed from the saved outputs so a reader sees the notebook's own
output. Every other stderr line (warnings included) is kept.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: absl-formatted lines from TensorFlow's C++ side, and the banner before them.
TF_LOG = re.compile(r"^(?:[IWEF]\d{4} [\d:. ]+\d+ \S+:\d+\] .*|WARNING: All log messages before absl::InitializeLog\(\) "
                    r"is called are written to STDERR)$")


def clean(book) -> int:
    """Drop TensorFlow's C++ log lines from stderr outputs; returns how many lines went."""
    dropped = 0
    for cell in book.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                lines = out["text"].splitlines(keepends=True)
                rest = [line for line in lines if not TF_LOG.match(line.rstrip("\n"))]
                dropped += len(lines) - len(rest)
                if not "".join(rest).strip():
                    continue
                out["text"] = "".join(rest)
            kept.append(out)
        cell["outputs"] = kept
    return dropped


def execute(path: Path, out: Path, timeout: int = 3600) -> float:
    import nbformat
    from nbclient import NotebookClient

    book = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(book, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    clean(book)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".ipynb.tmp")
    nbformat.write(book, tmp)
    tmp.replace(out)  # a failed run leaves the committed notebook as it was
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="*", help="notebooks to run (default: every *.ipynb here)")
    p.add_argument("--out", help="write the executed notebooks to this folder instead of in place")
    args = p.parse_args(argv)
    names = args.names or sorted(q.name for q in HERE.glob("*.ipynb"))
    for name in names:
        path = HERE / Path(name).name
        if not path.is_file():
            print(f"error: no notebook {path}", file=sys.stderr)
            return 2
        out = Path(args.out) / path.name if args.out else path
        print(f"{path.name}: {execute(path, out):.0f} s -> {out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
