"""Small configs shared by the trainer and CLI tests (tiny models, few steps)."""

#: Few steps, small batches, a checkpoint every epoch: what every small test run shares.
SHORT = [
    "train.batch_size=16",
    "train.steps_per_epoch=3",
    "train.epochs=2",
    "train.n_samples=16",
    "train.checkpoint_every=1",
    "train.steps_per_call=2",
]

TINY = ["name=tiny", "data.params.size=8", "data.params.limit=200", "generator.params.latent_dim=8", *SHORT]

#: A 1-D toy run (small dense networks) for trainer mechanics that do not depend on the kind
#: of data: swaps, resume, EMA, precision, objectives. It traces about 2.5× faster than TINY.
TOY = ["name=toy", "data=gaussian_mixture", "data.params.n=256", "generator=toy_generator",
       "discriminator=toy_discriminator", *SHORT]


def square(x: float) -> float:
    """A cell for worker-process tests: this module imports nothing heavy, so a spawned
    worker that unpickles it does not start TensorFlow."""
    return x * x


def note_pid_and_sleep(folder: str, seconds: float = 120.0) -> int:
    """A study task that records its worker's pid, then outlives any sane test."""
    import os
    import time
    from pathlib import Path

    (Path(folder) / f"pid_{os.getpid()}").touch()
    time.sleep(seconds)
    return os.getpid()


def count_call(setting: str, seed: int, folder: str) -> int:
    """A cell that leaves one file per call (so a test can count what ran) and returns its seed."""
    import uuid
    from pathlib import Path

    (Path(folder) / f"{setting}_{seed}_{uuid.uuid4().hex}").touch()
    return seed


def fail_once(setting: str, seed: int, flag: str) -> str:
    """A cell that fails while the file ``flag`` says "fail", and removes it when it does."""
    from pathlib import Path

    p = Path(flag)
    if p.exists() and p.read_text() == "fail":
        p.unlink()
        raise RuntimeError("planned failure")
    return "ran"


def write_run(run_dir: str) -> str:
    """A cell that writes a small run folder (creating its parents, as the trainer does)."""
    from pathlib import Path

    Path(run_dir, "sub").mkdir(parents=True)
    Path(run_dir, "sub", "weights.txt").write_text("w")
    return "trained"


def unstorable(setting: str, seed: int) -> object:
    """A cell whose result cannot be stored for seed 1 (a plain ``object``)."""
    return object() if seed == 1 else seed
