"""Small configs shared by the trainer and CLI tests (tiny models, few steps)."""

TINY = [
    "name=tiny",
    "data.params.size=8",
    "data.params.limit=200",
    "generator.params.latent_dim=8",
    "train.batch_size=16",
    "train.steps_per_epoch=3",
    "train.epochs=2",
    "train.n_samples=16",
    "train.checkpoint_every=1",
    "train.steps_per_call=2",
]


def note_pid_and_sleep(folder: str, seconds: float = 120.0) -> int:
    """A study task that records its worker's pid, then outlives any sane test."""
    import os
    import time
    from pathlib import Path

    (Path(folder) / f"pid_{os.getpid()}").touch()
    time.sleep(seconds)
    return os.getpid()
