"""Differentially private discriminator training: DP-SGD (Abadi et al. 2016) as in DPGAN
(Xie et al. 2018). Only the discriminators see real rows, so only their updates on real
rows are privatised; the generator learns from them alone and is covered by
post-processing.

Each step, every real row is in the discriminator's batch with probability
``q = d_batch / n`` (Poisson sampling, what the accountant assumes). Each real row's
gradient (one ``tf.vectorized_map`` in the compiled step, no Python loop over rows) is
clipped to ``max_grad_norm``; the clipped sum gets Gaussian
noise of std ``noise_multiplier * max_grad_norm`` and is divided by the expected batch
``d_batch``. Updates on generated rows only need no noise. Google's ``dp-accounting``
(RDP or PLD) turns the number of such updates into ε at δ.

The table's statistics (bounds, category lists, class frequencies) are declared public or
estimated under DP first (:mod:`mpgan.data.private`); the run's ε and δ are DP-SGD's plus
theirs, and :meth:`DPSGD.record` reports the split. The run directory itself is not
covered (the history's ``d_loss_real``/``d_acc_real`` are computed on real rows, a
synthesizer's folder holds its table): share what ``mpgan export`` writes. Rows of one
batch may share a dropout mask (the per-row gradients are vectorised). The noise comes from TensorFlow's seeded Philox
generator, fine for research, not a cryptographically secure source.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..data.private import default_delta
from ..errors import ConfigError
from ..lazy import lazy_module
from .plan import DiscriminatorSlot, StepPlan
from .regularizers import Regularizer

tf = lazy_module("tensorflow")


# -- the DP-SGD arithmetic (pure functions) ---------------------------------------------

def per_example_norms(per_example: list[Any]) -> Any:
    """The L2 norm of each row's whole gradient (over every variable): shape ``(B,)``."""
    squares = [tf.reduce_sum(tf.reshape(tf.square(g), [tf.shape(g)[0], -1]), axis=1) for g in per_example]
    return tf.sqrt(tf.add_n(squares))


def clip_and_noise(per_example: list[Any], max_grad_norm: float, noise_std: float, denominator: float,
                   normal: Any) -> list[Any]:
    """DP-SGD's gradient: ``(sum_i g_i * min(1, C / ||g_i||) + N(0, (sigma C)^2 I)) / denominator``.

    ``per_example`` holds, per variable, the stacked row gradients ``(B, *shape)``;
    ``noise_std`` is ``sigma * C``; ``normal(shape)`` draws standard normal noise.
    """
    norms = per_example_norms(per_example)
    factors = tf.minimum(1.0, max_grad_norm / tf.maximum(norms, 1e-12))
    out = []
    for g in per_example:
        clipped_sum = tf.tensordot(factors, g, axes=1)
        out.append((clipped_sum + noise_std * normal(tf.shape(clipped_sum))) / denominator)
    return out


# -- the accountant ---------------------------------------------------------------------

@contextlib.contextmanager
def _quiet_accountant():
    """dp-accounting logs a warning for each fractional RDP order it drops while searching
    (harmless: the bound uses the other orders); keep them out of the user's output."""
    logger = logging.getLogger("absl")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@dataclass(frozen=True)
class PrivacyBudget:
    """ε at δ after a number of training steps; each step composes ``updates_per_step``
    Poisson-subsampled Gaussian mechanisms (one per critic round and trained D)."""

    sample_rate: float
    noise_multiplier: float
    delta: float
    updates_per_step: int = 1
    accountant: str = "rdp"

    def _event(self, steps: int, noise_multiplier: float | None = None):
        import dp_accounting as dpa

        sigma = self.noise_multiplier if noise_multiplier is None else noise_multiplier
        one = dpa.PoissonSampledDpEvent(self.sample_rate, dpa.GaussianDpEvent(sigma))
        return dpa.SelfComposedDpEvent(one, int(steps) * self.updates_per_step)

    def _fresh(self):
        from dp_accounting import pld, rdp

        return rdp.RdpAccountant() if self.accountant == "rdp" else pld.PLDAccountant()

    def epsilon(self, steps: int) -> float:
        """ε spent by ``steps`` training steps (0 before the first)."""
        if steps <= 0:
            return 0.0
        with _quiet_accountant():
            acc = self._fresh()
            acc.compose(self._event(steps))
            return float(acc.get_epsilon(self.delta))

    def calibrated(self, target_epsilon: float, steps: int) -> PrivacyBudget:
        """This budget with the smallest noise multiplier that keeps ε ≤ ``target_epsilon``
        after ``steps`` steps (dp-accounting's bracketing search)."""
        import dp_accounting as dpa

        with _quiet_accountant():
            sigma = dpa.calibrate_dp_mechanism(
                self._fresh, lambda s: self._event(steps, s), target_epsilon, self.delta,
                dpa.LowerEndpointAndGuess(0.05, 1.0), tol=1e-3)
        return PrivacyBudget(self.sample_rate, float(sigma), self.delta, self.updates_per_step, self.accountant)


# -- DP-SGD inside the trainer ----------------------------------------------------------

class PrivacySettings(Protocol):
    """The ``privacy`` section of a config, as DP-SGD reads it."""

    delta: float | None
    noise_multiplier: float | None
    target_epsilon: float | None
    max_grad_norm: float | None  # required under privacy (the config checks)
    accountant: str


class DPSGD:
    """The trainer's private part: Poisson batches of real rows and the private gradient."""

    def __init__(self, budget: PrivacyBudget, max_grad_norm: float, d_batch: int, total_steps: int,
                 target_epsilon: float | None = None, statistics: Mapping[str, Any] | None = None):
        self.budget, self.max_grad_norm, self.d_batch = budget, float(max_grad_norm), int(d_batch)
        self.total_steps, self.target_epsilon = int(total_steps), target_epsilon
        self.statistics = dict(statistics or {"epsilon": 0.0, "delta": 0.0})

    @classmethod
    def from_plan(cls, plan: StepPlan, settings: PrivacySettings | None, n_rows: int,
                  total_steps: int, kind: str, statistics: Mapping[str, Any] | None = None) -> DPSGD | None:
        """The run's DP-SGD from ``config.privacy`` (None without one), after refusing
        settings that would void the guarantee; the batches and the number of private
        updates per step are the plan's. ``statistics`` is what the table's private
        statistics spent (:mod:`mpgan.data.private`): DP-SGD gets the rest of ε and δ."""
        if settings is None:
            return None
        check_private_training(plan, kind)
        statistics = dict(statistics or {"epsilon": 0.0, "delta": 0.0})
        n_rows = int(statistics.get("rows", n_rows))  # the public count, before rows were left out
        delta = settings.delta if settings.delta is not None else default_delta(n_rows)
        if delta >= 1.0 / n_rows:
            raise ConfigError(f"privacy.delta ({delta:g}) must be below 1/n = {1.0 / n_rows:g} for the {n_rows} "
                              "training rows: a larger delta allows publishing a row outright")
        d_batch = plan.batches.real
        budget = PrivacyBudget(d_batch / n_rows, settings.noise_multiplier or 1.0, delta - statistics["delta"],
                               plan.d_updates_per_step, settings.accountant)
        target = None
        if settings.target_epsilon is not None:
            target = settings.target_epsilon - statistics["epsilon"]
            budget = budget.calibrated(target, total_steps)
            check_reachable(settings.target_epsilon, budget.noise_multiplier, d_batch, total_steps)
        return cls(budget, settings.max_grad_norm, d_batch, total_steps, settings.target_epsilon, statistics)

    def real_batch(self, rng: Any, x: Any, y: Any) -> tuple[Any, Any]:
        """A Poisson sample of the real rows: each in with probability ``q``."""
        idx = tf.where(rng.uniform([tf.shape(x)[0]]) < self.budget.sample_rate)[:, 0]
        return tf.gather(x, idx), (tf.gather(y, idx) if y is not None else None)

    def gradients(self, row_loss: Any, x: Any, y: Any, variables: list[Any], rng: Any) -> list[Any]:
        """The private gradient of the real rows ``x`` (labels ``y`` or None; B may be 0):
        ``row_loss(x_row, y_row)`` is one row's loss; its gradients for all rows come from
        one ``tf.vectorized_map`` (linear in B, unlike a Jacobian of the batch loss)."""
        def one(args):
            xi, yi = args
            with tf.GradientTape() as tape:
                loss = row_loss(xi[None], None if y is None else yi[None])
            grads = tape.gradient(loss, variables)
            return [tf.zeros_like(v) if g is None else tf.convert_to_tensor(g) for g, v in zip(grads, variables,
                                                                                               strict=True)]

        per_example = tf.vectorized_map(one, (x, x if y is None else y))
        std = self.budget.noise_multiplier * self.max_grad_norm
        return clip_and_noise(per_example, self.max_grad_norm, std, float(self.d_batch),
                              lambda shape: rng.normal(shape))

    def epsilon(self, steps: int) -> float:
        """The run's total ε after ``steps`` steps: DP-SGD's and the table statistics'."""
        return self.budget.epsilon(steps) + self.statistics["epsilon"]

    def record(self, steps: int) -> dict[str, Any]:
        """What the manifest and the report say about the budget after ``steps`` steps:
        ``epsilon`` and ``delta`` are the totals (DP-SGD's and the table statistics', by
        basic composition), ``split`` what each part spent."""
        b, s = self.budget, self.statistics
        sgd = b.epsilon(steps)
        return {"epsilon": round(sgd + s["epsilon"], 4), "delta": b.delta + s["delta"],
                "split": {"dp_sgd": {"epsilon": round(sgd, 4), "delta": b.delta},
                          "statistics": {k: v for k, v in s.items() if k != "rows_left_out"}},
                "noise_multiplier": round(b.noise_multiplier, 4),
                "max_grad_norm": self.max_grad_norm, "sample_rate": b.sample_rate, "steps": int(steps),
                "updates_per_step": b.updates_per_step, "accountant": b.accountant,
                "target_epsilon": self.target_epsilon, "mechanism": "DP-SGD on the discriminators (Poisson sampling)"}


#: The most noise a calibrated run may carry, as a multiple of the largest clipped sum of
#: an expected batch (``d_batch * max_grad_norm``): beyond it no update carries signal.
MAX_NOISE_OVER_BATCH = 10.0


def check_reachable(target_epsilon: float, noise_multiplier: float, d_batch: int, total_steps: int) -> None:
    """Refuse a target ε that these steps and batches reach only with noise that drowns every
    update, naming what to change."""
    ratio = noise_multiplier / max(d_batch, 1)
    if ratio > MAX_NOISE_OVER_BATCH:
        raise ConfigError(
            f"privacy.target_epsilon {target_epsilon:g} is out of reach with {total_steps} steps of {d_batch} "
            f"expected real rows: it needs noise {noise_multiplier:.3g} x max_grad_norm per update, {ratio:.0f} times "
            f"the largest clipped sum of a batch, so no update would carry signal; train fewer steps "
            f"(train.epochs), use larger batches (train.batch_size) or ask for a larger epsilon")


def _layers(model: Any) -> list[Any]:
    out = []
    for layer in getattr(model, "layers", []):
        out.append(layer)
        out.extend(_layers(layer))
    return out


def check_private_training(plan: StepPlan, kind: str) -> None:
    """Refuse what would silently break the guarantee, each with its reason (``kind`` is
    the data's modality)."""
    if kind != "tabular":
        raise ConfigError(f"privacy is supported for tabular runs only, not {kind} data: drop the privacy "
                          "block, or train on a table")
    if plan.batches.replicas > 1:
        raise ConfigError("privacy runs on one device; drop distribute or the privacy block")
    if plan.objective.needs_features:
        raise ConfigError(f"objective {plan.objective.name} cannot be used with privacy: its generator loss "
                          "reads the discriminator's features of real rows, outside the noised gradients")
    for k, slot in enumerate(plan.slots):
        if not slot.frozen:
            _check_private_slot(f"discriminator {k} ({slot.name})", slot)


def _check_private_slot(where: str, slot: DiscriminatorSlot) -> None:
    norms = [type(layer).__name__ for layer in _layers(slot.model) if "BatchNorm" in type(layer).__name__]
    if norms:
        raise ConfigError(f"{where} has a {norms[0]} layer, which cannot be used with privacy: it mixes "
                          "rows of a batch, so one row's gradient is no longer its own to clip")
    if int(getattr(slot.model, "pac", 1) or 1) > 1:
        raise ConfigError(f"{where} packs rows (pac > 1), which cannot be used with privacy: "
                          "use pac: 1 so each row's gradient can be clipped on its own")
    for reg in slot.regularizers:
        if reg.has("real") or reg.needs_eps or type(reg).observe is not Regularizer.observe:
            raise ConfigError(f"regularizer {reg.name} cannot be used with privacy: it reads real rows "
                              "(or an average of D's outputs on them) outside the clipped, noised gradients")


__all__ = ["DPSGD", "MAX_NOISE_OVER_BATCH", "PrivacyBudget", "PrivacySettings", "check_private_training", "check_reachable", "clip_and_noise", "per_example_norms"]
