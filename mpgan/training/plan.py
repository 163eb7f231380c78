"""The step plan: what one training step does, computed once when the trainer is built.

The trainer turns the config and its built parts into one frozen :class:`StepPlan`;
the compiled loop (``step``) and DP-SGD (``privacy``) read it and recompute nothing:
the rows each player sees, the critic rounds, the replicas, which discriminators are
trained, the optimizers, objective, aggregator, regularizers, augmentation and the
history's column names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..objectives import Objective
    from .aggregators import Aggregator
    from .augment import Augment
    from .priors import LatentPrior
    from .regularizers import Regularizer
    from .schedules import Schedule

#: A discriminator's numbers in the history, before its regularizers'.
D_METRICS = ("d_loss_real", "d_loss_fake", "d_acc_real", "d_acc_fake")


class TrainSettings(Protocol):
    """The ``train`` keys the batches come from (``config.train``)."""

    batch_size: int
    n_critic: int
    schedule: str


@dataclass
class DiscriminatorSlot:
    """One discriminator with its training settings; ``optimizers`` has one per phase."""

    model: Any
    name: str
    frozen: bool
    optimizers: list = field(default_factory=list)
    features: Any = None  # (logits, penultimate features) model, for feature matching
    regularizers: list[Regularizer] = field(default_factory=list)

    @property
    def conditional(self) -> bool:
        return bool(getattr(self.model, "condition_dim", 0))

    def call(self, x: Any, labels: Any, training: bool, features: bool = False) -> Any:
        model = self.features if features else self.model
        return model([x, labels], training=training) if self.conditional else model(x, training=training)


@dataclass(frozen=True)
class Batches:
    """Rows per player in one step, global (summed over replicas): the generator's batch,
    the real and the generated rows of each discriminator update (under privacy, real is
    the expected Poisson batch), and the discriminator rounds per generator update."""

    generator: int
    real: int
    fake: int
    n_critic: int
    replicas: int

    @classmethod
    def of(cls, train: TrainSettings, schedule: Schedule, replicas: int) -> Batches:
        """The batches of ``train`` under ``schedule``; refuses sizes that don't split."""
        b = train.batch_size
        if schedule.half_batch and b % 2:
            raise ConfigError(f"train.batch_size must be even for the {train.schedule} schedule, got {b}")
        d = b // 2 if schedule.half_batch else b
        if replicas > 1 and (b % replicas or d % replicas):
            raise ConfigError(f"train.batch_size ({b}) must split evenly over {replicas} replicas "
                              f"(and its discriminator half-batch too)")
        return cls(b, d, d, int(schedule.n_critic or train.n_critic), int(replicas))

    def per_replica(self, rows: int) -> int:
        return rows // self.replicas


def _regularizer_names(slot: DiscriminatorSlot, side: str) -> list[str]:
    """History columns of a slot's regularizers: D's side under the name, G's as ``g_NAME``."""
    if side == "d":
        return [r.name for r in slot.regularizers if r.has("real") or r.has("fake")]
    return [f"g_{r.name}" for r in slot.regularizers if r.has("g")]


def metric_names(slots: Sequence[DiscriminatorSlot], augment: Augment | None) -> tuple[str, ...]:
    """The history's columns, in the order the step stacks them."""
    if len(slots) == 1:  # the historical single-D column order
        d = [*D_METRICS, *_regularizer_names(slots[0], "d")]
        names = [d[0], d[1], "g_loss", *d[2:], *_regularizer_names(slots[0], "g")]
    else:
        names = [f"d{k}_{m}" for k, s in enumerate(slots)
                 for m in [*D_METRICS, *_regularizer_names(s, "d"), "g_loss", *_regularizer_names(s, "g")]]
        names.append("g_loss")
    if augment is not None:
        names += ["aug_p", "ada_rt"] if augment.ada is not None else ["aug_p"]
    return tuple(names)


@dataclass(frozen=True, eq=False)
class StepPlan:
    """Everything one step needs, fixed for the run (the trainer's state variables, models
    and data are not here: a checkpoint restores them in place). ``g_optimizers`` and each
    slot's ``optimizers`` hold one optimizer per phase; frozen slots have none."""

    batches: Batches
    slots: tuple[DiscriminatorSlot, ...]
    g_optimizers: tuple[Any, ...]
    objective: Objective
    aggregate: Aggregator
    schedule: Schedule
    augment: Augment | None
    prior: LatentPrior
    label_smoothing: float = 0.0
    ema_decay: float | None = None
    # derived once from the above
    trained: tuple[DiscriminatorSlot, ...] = field(init=False)
    needs_real_rows: bool = field(init=False)  # G's update reads real rows (features, frozen Ds)
    needs_eps: bool = field(init=False)  # some regularizer mixes real and fake rows
    metric_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        trained = tuple(s for s in self.slots if not s.frozen)
        derived = {"trained": trained,
                   "needs_real_rows": bool(self.objective.needs_features or len(trained) < len(self.slots)),
                   "needs_eps": any(r.needs_eps for s in trained for r in s.regularizers),
                   "metric_names": metric_names(self.slots, self.augment)}
        for key, value in derived.items():
            object.__setattr__(self, key, value)

    @property
    def multi(self) -> bool:
        return len(self.slots) > 1

    @property
    def d_updates_per_step(self) -> int:
        """Discriminator updates on real rows per step (what DP-SGD's accountant composes)."""
        return self.batches.n_critic * max(len(self.trained), 1)


__all__ = ["D_METRICS", "Batches", "DiscriminatorSlot", "StepPlan", "TrainSettings", "metric_names"]
