"""A run folder's files after damage and resumes: checkpoints are checked and the newest
intact one is used, the exported generator is the one that samples, TensorBoard shows
each step once, and a resume with nothing to train says so."""

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from mpgan import Trainer, load_config
from mpgan.cli import main
from mpgan.training.state import damage
from tests.helpers import TINY

# EMA on and a conditional generator: the exported model must carry both right.
SETS = [*TINY, "train.keep_checkpoints=3", "train.ema=0.9", "train.deterministic=true",
        "generator.params.conditional=true"]
DATA = "ckpt-6.data-00000-of-00001"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = tmp_path_factory.mktemp("files") / "run"
    Trainer.from_config(load_config(None, SETS), run_dir=path).fit()
    return path


def copy(run: Path, tmp_path: Path, name: str = "copy") -> Path:
    target = tmp_path / name
    shutil.copytree(run, target)
    return target


def halve(path: Path) -> int:
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(size // 2)
    return size


def h5_weights(model: keras.Model, path: Path) -> list[np.ndarray]:
    clone = keras.models.clone_model(model)
    clone.load_weights(str(path))
    return [w.numpy() for w in clone.weights]


def same(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


# -- damaged checkpoints -------------------------------------------------------------------
@pytest.fixture(scope="module")
def resumed(run, tmp_path_factory):
    """The run with its newest checkpoint cut to half, resumed by `mpgan train --resume`:
    (folder, the data file's written size, exit code, stdout, stderr)."""
    import contextlib
    import io

    r = copy(run, tmp_path_factory.mktemp("resumed"))
    size = halve(r / "checkpoints" / DATA)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["train", "--resume", str(r), "--epochs", "2"])
    return r, size, code, out.getvalue(), err.getvalue()


def test_resume_skips_a_truncated_checkpoint_and_retrains_its_steps_exactly(run, resumed):
    r, size, code, out, err = resumed
    assert code == 0
    assert err.strip() == (f"warning: damaged checkpoint skipped: ckpt-6 ({DATA} has {size // 2} bytes, "
                           f"{size} were written); using ckpt-3 instead, 3 steps earlier")
    assert f"resuming {r} at epoch 1, step 3" in out
    # epoch 2 trained again from ckpt-3 ends where the undamaged run ended
    t = Trainer.from_run(run)
    assert same(h5_weights(t.generator, r / "generator.weights.h5"), h5_weights(t.generator, run / "generator.weights.h5"))
    assert same([w.numpy() for w in Trainer.from_run(r).generator.weights], [w.numpy() for w in t.generator.weights])
    # the damaged files were replaced, and TensorFlow's state file lists what is on disk
    assert damage(str(r / "checkpoints" / "ckpt-6")) is None
    assert (r / "checkpoints" / "checkpoint").read_text().splitlines()[:3] == [
        'model_checkpoint_path: "ckpt-6"', 'all_model_checkpoint_paths: "ckpt-3"',
        'all_model_checkpoint_paths: "ckpt-6"']
    assert pd.read_csv(r / "history.csv")["step"].tolist() == list(range(1, 7))


@pytest.mark.parametrize("harm, reason", [
    ("index", "could not be read: "),  # a run from before the file lists: the read itself fails cleanly
    ("data", f"{DATA} is missing"),
])
def test_sample_falls_back_to_the_newest_intact_checkpoint(run, tmp_path, capsys, harm, reason):
    r = copy(run, tmp_path)
    folder = r / "checkpoints"
    if harm == "index":
        for f in folder.glob("*.files.json"):
            f.unlink()
        halve(folder / "ckpt-6.index")
    else:
        (folder / DATA).unlink()
    out = tmp_path / "x.npy"
    assert main(["sample", "--run", str(r), "--n", "6", "--seed", "2", "--out", str(out)]) == 0
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"warning: damaged checkpoint skipped: ckpt-6 ({reason}")
    assert err.endswith("; using ckpt-3 instead, 3 steps earlier") and "\n" not in err
    older = Trainer.from_run(run)
    older.restore(str(run / "checkpoints" / "ckpt-3"))
    np.testing.assert_array_equal(np.load(out), older.sample(6, seed=2))
    assert len(pd.read_csv(r / "history.csv")) == 6  # sampling never trims the run's history


def test_a_garbage_state_file_does_not_hide_the_checkpoints(run, tmp_path):
    r = copy(run, tmp_path)
    (r / "checkpoints" / "checkpoint").write_text("garbage\n")
    t = Trainer.from_run(r)
    assert int(t.step.numpy()) == 6
    assert same([w.numpy() for w in t.ema_generator.weights], [w.numpy() for w in Trainer.from_run(run).ema_generator.weights])


def test_no_intact_checkpoint_is_one_error_naming_the_files(run, tmp_path, capsys):
    r = copy(run, tmp_path)
    sizes = {n: halve(r / "checkpoints" / f"ckpt-{n}.data-00000-of-00001") for n in (6, 3)}
    assert main(["evaluate", "--run", str(r), "--n", "20"]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: no intact checkpoint in {r / 'checkpoints'}: "
                   f"ckpt-6 (ckpt-6.data-00000-of-00001 has {sizes[6] // 2} bytes, {sizes[6]} were written); "
                   f"ckpt-3 (ckpt-3.data-00000-of-00001 has {sizes[3] // 2} bytes, {sizes[3]} were written); "
                   "the run cannot be loaded from these files\n")
    assert not (r / "eval" / "metrics.json").exists()


# -- the exported generator ------------------------------------------------------------------
def test_exported_generator_weights_are_the_ema_ones_and_the_raw_ones_have_their_own_file(run):
    t = Trainer.from_run(run)
    ema, raw = [w.numpy() for w in t.ema_generator.weights], [w.numpy() for w in t.generator.weights]
    assert not same(ema, raw)
    assert same(h5_weights(t.generator, run / "generator.weights.h5"), ema)
    assert same(h5_weights(t.generator, run / "generator_raw.weights.h5"), raw)


LOAD_WITHOUT_TRAINER = """
import json, sys
import numpy as np
import keras
import mpgan.models.layers  # registers mpgan's layers; the trainer is not imported
import tensorflow as tf
run, n, seed, threads = sys.argv[1], 8, 3, int(sys.argv[3])
if threads:  # the test process's TensorFlow threads: another count sums in another order
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
model = keras.models.load_model(run + "/generator.keras")
latent = json.load(open(run + "/manifest.json"))["latent"]
rng = np.random.default_rng(seed)
z = (rng.standard_normal((n, latent["dim"])) * latent["std"]).astype(np.float32)
if latent["classes"]:
    labels = rng.choice(latent["classes"], size=n, p=np.asarray(latent["class_prior"]))
    z = np.concatenate([z, np.eye(latent["classes"], dtype=np.float32)[labels]], axis=1)
np.save(sys.argv[2], np.asarray(model(z, training=False), dtype=np.float32))
assert not [m for m in sys.modules if m in ("mpgan.training.trainer", "mpgan.training.step")]
"""


def test_generator_keras_loads_in_plain_keras_and_reproduces_mpgan_sample(run, tmp_path):
    ours = tmp_path / "x.npy"
    assert main(["sample", "--run", str(run), "--n", "8", "--seed", "3", "--out", str(ours)]) == 0
    theirs = tmp_path / "keras.npy"
    import tensorflow as tf

    threads = str(tf.config.threading.get_intra_op_parallelism_threads())
    done = subprocess.run([sys.executable, "-c", LOAD_WITHOUT_TRAINER, str(run), str(theirs), threads],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    np.testing.assert_array_equal(np.load(theirs), np.load(ours))
    assert json.loads((run / "manifest.json").read_text())["latent"]["classes"] == 10


# -- TensorBoard after a resume --------------------------------------------------------------
def scalar_events(folder: Path) -> list[tuple[str, int, float]]:
    import tensorflow as tf

    out = []
    for path in sorted(folder.glob("*tfevents*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            out += [(v.tag, event.step, float(tf.make_ndarray(v.tensor))) for v in event.summary.value
                    if v.tag.startswith(("step/", "epoch/"))]
    return out


def test_tensorboard_shows_each_step_once_after_a_resume(resumed):
    """Steps 4-6 were logged before the resume went back to step 3 (as after a kill
    between logging and the checkpoint) and trained again: each is shown once."""
    r = resumed[0]
    events = scalar_events(r / "tensorboard")
    counts = Counter((tag, step) for tag, step, _ in events)
    assert max(counts.values()) == 1 and len(list((r / "tensorboard").glob("*tfevents*"))) == 2
    g_loss = sorted((step, value) for tag, step, value in events if tag == "step/g_loss")
    hist = pd.read_csv(r / "history.csv")
    assert [s for s, _ in g_loss] == hist["step"].tolist() == list(range(1, 7))
    np.testing.assert_array_equal([v for _, v in g_loss], hist["g_loss"].to_numpy(np.float32))


# -- a resume with nothing to train ----------------------------------------------------------
def test_a_resume_with_nothing_to_train_says_so(run, capsys):
    before = (run / "history.csv").read_text()
    assert main(["train", "--resume", str(run), "--epochs", "1"]) == 0
    assert capsys.readouterr().out == (f"nothing to train: {run} is already at epoch 2 and --epochs 1 asks for "
                                       "no more; pass --epochs 3 or more to train further\n")
    assert main(["train", "--resume", str(run)]) == 0
    assert "is already at epoch 2 and its train.epochs (2) asks for no more" in capsys.readouterr().out
    assert (run / "history.csv").read_text() == before
