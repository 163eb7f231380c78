"""Schedules: how one discriminator is updated within a training step.

A schedule receives the update in progress ``u`` (see ``step.DUpdate``) and runs its
gradient steps with ``u.discriminate``, ``u.real_loss`` / ``u.fake_loss`` (objective
plus regularizers) and ``u.apply``; it records logits on ``u`` for the metrics. The
step repeats it ``n_critic`` times and then updates the generator. A fork adds one::

    @SCHEDULES.register("real_twice")
    def real_twice():
        \"\"\"Two updates on real halves, one on fakes.\"\"\"
        return MyScheduleClass()
"""

from __future__ import annotations

from typing import Any

from ..lazy import lazy_module
from ..registry import SCHEDULES

tf = lazy_module("tensorflow")


class Schedule:
    """Base: ``half_batch`` says whether D sees half a batch of real and half of
    generated samples (MP-GAN) or a full batch of each; ``n_critic`` (optional)
    overrides ``train.n_critic``."""

    name = "schedule"
    half_batch = False
    n_critic: int | None = None

    def update(self, u: Any) -> None:
        raise NotImplementedError


class MPGanSchedule(Schedule):
    """MP-GAN (seed 004): one update on a half batch of real samples, then its own
    update on a half batch of generated ones."""

    name = "mpgan"
    half_batch = True

    def update(self, u):
        with tf.GradientTape() as tape:
            u.real_logits = u.discriminate(u.real, u.real_labels)
            loss = u.real_loss()
        u.apply(tape, loss)
        with tf.GradientTape() as tape:
            u.fake_logits = u.discriminate(u.fake, u.fake_labels)
            loss = u.fake_loss()
        u.apply(tape, loss)


class JointSchedule(Schedule):
    """One update on a full batch of real and a full batch of generated samples (DCGAN)."""

    name = "joint"

    def __init__(self, n_critic: int | None = None):
        self.n_critic = n_critic

    def update(self, u):
        with tf.GradientTape() as tape:
            u.real_logits = u.discriminate(u.real, u.real_labels)
            u.fake_logits = u.discriminate(u.fake, u.fake_labels)
            loss = u.real_loss() + u.fake_loss()
        u.apply(tape, loss)


@SCHEDULES.register("mpgan")
def mpgan() -> Schedule:
    """MP-GAN: D on half a batch of real, then half of generated (two updates), then G."""
    return MPGanSchedule()


@SCHEDULES.register("joint")
def joint() -> Schedule:
    """D updated once on a full real and a full generated batch, then G (DCGAN)."""
    return JointSchedule()


@SCHEDULES.register("n_critic")
def n_critic(steps: int = 5) -> Schedule:
    """Joint updates repeated `steps` times per generator update (WGAN's critic schedule)."""
    from ..errors import ConfigError

    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ConfigError(f"schedule n_critic: steps must be a positive integer, got {steps!r}")
    return JointSchedule(n_critic=steps)


__all__ = ["JointSchedule", "MPGanSchedule", "Schedule"]
