"""Train a run from a config: the one path ``mpgan train``, :func:`mpgan.train`, studies,
sweeps, ASHA and :class:`~mpgan.TabularSynthesizer` all take, so a rule about a new run
(defaults layered once, a run folder that is not empty refused) holds for every caller."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..config import load_config
from ..errors import MpganError


def check_new_run_dir(run_dir: str | Path | None, output_dir: str | Path | None = None) -> None:
    """A new run refuses a folder that already holds files (resume one with ``--resume``), and
    one it could not write (``run_dir``, or ``output_dir`` its default is made in), before
    anything trains."""
    from ..checks import writable_path

    if run_dir is None and output_dir is not None:
        writable_path(output_dir, folder=True, what="output_dir")
    if run_dir is not None:
        writable_path(run_dir, folder=True, what="run directory")
    if run_dir is not None and Path(run_dir).is_dir() and any(Path(run_dir).iterdir()):
        raise MpganError(f"run directory {run_dir} already exists and is not empty; choose another "
                         "(a run in it is continued with `mpgan train --resume`, a synthesizer's loaded with "
                         "TabularSynthesizer.load)")


def train(config: Any = None, overrides: Sequence[str] | None = None, *, run_dir: str | Path | None = None,
          epochs: int | None = None, dataset: Any = None, callbacks: Iterable[Any] = (),
          progress: bool | None = None, quiet: bool = False) -> Any:
    """Train a new run and return its :class:`~mpgan.Trainer` (``trainer.run_dir`` holds it).

    ``config`` is what :func:`mpgan.load_config` takes (None for the defaults, a YAML file, a
    shipped config's name, a mapping, a :class:`~mpgan.Config`, or a list of these layered in
    order) and ``overrides`` are ``key=value`` strings as for ``--set``. ``dataset`` replaces
    the one the config names (a table the caller already read). ``quiet`` trains the way a
    study's or sweep's cell does: no progress bar, no TensorBoard, no retracing warnings.
    """
    from ..console import quiet_tensorflow

    cfg = load_config(config, overrides)  # a copy: the caller's Config is left as it was
    check_new_run_dir(run_dir, cfg.output_dir)  # both before TensorFlow loads
    quiet_tensorflow()  # as quiet from Python as from the CLI: TensorFlow's start-up lines filtered
    from .trainer import Trainer

    if quiet:
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")  # each run's first trace is expected, not a retracing problem
        cfg.train.tensorboard = False
        progress = False
    trainer = Trainer.from_config(cfg, run_dir=run_dir, dataset=dataset, callbacks=list(callbacks),
                                  progress=progress)
    trainer.fit(epochs=epochs)
    return trainer


def train_run(config: str | Path, overrides: Sequence[str], run_dir: Path, callbacks: Iterable[Any] = ()) -> Any:
    """One cell of a study or sweep: :func:`train`, quietly (metrics as its ``eval`` asks)."""
    return train(config, overrides, run_dir=run_dir, callbacks=callbacks, quiet=True)


__all__ = ["train", "train_run", "check_new_run_dir"]
