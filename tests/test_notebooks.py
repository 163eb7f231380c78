"""Every notebook runs top to bottom in a real Jupyter kernel in quick mode (MPGAN_QUICK=1)."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01_quickstart.ipynb", "02_tabular_synthesis.ipynb", "03_latent_space.ipynb",
         "04_toy_distributions.ipynb"]


def test_the_four_notebooks_are_there():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


# The quickstart runs in the default suite (the path every notebook takes: nbclient, quick
# mode); the table, latent-space and toy notebooks (a minute more) with `pytest -m slow`.
QUICK_RUNS = [*NAMES[:1], *(pytest.param(n, marks=pytest.mark.slow) for n in NAMES[1:])]


@pytest.mark.parametrize("name", QUICK_RUNS)
def test_notebook_runs_in_quick_mode(name, monkeypatch):
    monkeypatch.setenv("MPGAN_QUICK", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # conftest's Agg would hide the kernel's inline figures
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(book, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    outputs = [o for cell in book.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert "quick mode: True" in "".join(o.get("text", "") for o in outputs)
    assert any("image/png" in o.get("data", {}) for o in outputs)  # figures inline


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_carries_outputs_of_a_full_run(name):
    """A reader on GitHub sees a full run's figures: outputs present, not from quick mode, no errors."""
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    assert all(cell.get("execution_count") for cell in code), "every code cell was executed"
    outputs = [o for cell in code for o in cell.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs)
    assert "quick mode: False" in text
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    assert "cuInit" not in text  # TensorFlow's C++ log lines are stripped (notebooks/execute.py)


def test_execute_script_strips_only_tensorflow_log_lines():
    import importlib.util

    spec = importlib.util.spec_from_file_location("nb_execute", NOTEBOOKS / "execute.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("stream", name="stderr", text=(
            "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
            "I0000 00:00:1796163389.918435    6474 port.cc:153] oneDNN custom operations are on.\n"
            "UserWarning: column 'c' is constant\n")),
        nbformat.v4.new_output("stream", name="stderr", text=(
            "E0000 00:00:1796163393.268328    6474 cuda_platform.cc:52] failed call to cuInit\n")),
        nbformat.v4.new_output("stream", name="stdout", text="I0000 kept: stdout is never touched\n"),
    ])])
    assert mod.clean(book) == 3
    outs = book.cells[0].outputs
    assert [o["text"] for o in outs] == ["UserWarning: column 'c' is constant\n", "I0000 kept: stdout is never touched\n"]
