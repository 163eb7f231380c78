"""What a metric is computed from: one run, its samples, the real data they are compared
with, and (for images) the feature extractor; each computed once and shared by every
metric of one evaluation."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..errors import MpganError

if TYPE_CHECKING:
    from ..config import Config
    from ..data_spec import Dataset


class Run(Protocol):
    """What metrics read from a trained run (a :class:`mpgan.Trainer` is one). Metrics type
    against this, not the trainer, so that they never import the training package. Samples
    that come with the class each was generated for (:class:`~.samples.SampleSet`) also
    carry them as ``sample_labels``."""

    config: Config
    dataset: Dataset
    run_dir: Path | None
    condition_dim: int
    discriminators: list[Any]
    step: Any
    epoch: Any

    def sample(self, n: int, seed: int = 0, labels: Any = None) -> np.ndarray: ...


def reference_images(ds: Dataset, name: str, params: dict[str, Any], n: int, seed: int = 0) -> dict[str, Any]:
    """The real images that samples of a model trained on ``ds`` (dataset ``name`` with
    ``params``) are scored against, and a disjoint pool for the calibration ladder.

    With a held-out split (``split: test`` of MNIST-like datasets) the reference is up
    to ``n`` held-out images and the pool is the training data; otherwise the training
    data is split in two seeded halves (the reference at most half of it).
    """
    from ..data import load_heldout

    rng = np.random.default_rng(seed)
    held = load_heldout(name, params)
    if held is not None:
        pick = rng.choice(len(held), min(n, len(held)), replace=False)
        return {"reference": held.x[pick], "reference_y": None if held.y is None else held.y[pick],
                "pool_x": ds.x, "pool_y": ds.y,
                "reference_source": f"{len(pick)} held-out images ({held.info.get('split', 'test')} split)"}
    perm = rng.permutation(len(ds))
    k = min(n, len(ds) // 2)
    pool = perm[k:]
    return {"reference": ds.x[perm[:k]], "reference_y": None if ds.y is None else ds.y[perm[:k]],
            "pool_x": ds.x[pool], "pool_y": None if ds.y is None else ds.y[pool],
            "reference_source": f"{k} training images (the other {len(pool)} form the ladder's pool)"}


class EvalContext:
    """What a registered metric is called with (``fn(ctx) -> dict``): one evaluation of a
    run. Everything is computed on first use and kept, so metrics sharing it pay once.

    - ``trainer``: the run (its ``config``, ``sample(n, seed, labels)``, ``condition_dim``,
      ``step``); ``dataset``: its :class:`~mpgan.data_spec.Dataset` (``x`` in model space,
      ``y``, ``frame`` and ``holdout`` for tables, ``inverse_transform``); ``kind``: ``image``,
      ``tabular``, ``toy`` or a registered kind.
    - ``n``, ``seed``: how many samples are scored and their latent seed; ``fake``: those
      samples, ``(n, *shape)`` in model space.
    - ``real``: ``n`` held-out real images to compare with (images; ``reference`` says where
      they came from); ``extractor``, ``fake_features``, ``real_features``: the dataset
      classifier's (features, class probabilities), for metrics declared with
      ``needs_extractor=True``.
    - ``out_dir``: the folder a metric may write reports and plots in, or None; ``ladder``:
      whether FID adds its calibration ladder; ``extras``: run-level facts metrics add
      (extractor id, reference source), written beside the results.
    """

    def __init__(self, trainer: Run, n: int, seed: int = 0, out: Path | None = None,
                 plots: bool = True, ladder: bool = True):
        self.trainer, self.n, self.seed = trainer, int(n), int(seed)
        self.out, self.plots, self.ladder = out, plots, ladder
        self.dataset = trainer.dataset
        self.kind = trainer.dataset.spec.kind
        self.extras: dict[str, Any] = {}  # run-level facts metrics add (extractor id, reference)

    @cached_property
    def fake(self) -> np.ndarray:
        return self.trainer.sample(self.n, seed=self.seed)

    @cached_property
    def labelled_fake(self) -> tuple[np.ndarray, np.ndarray]:
        """(samples, the class each was generated for): for a conditional run, ``n`` samples asked
        for each class in turn; for images that came with labels, the first ``n`` and theirs."""
        given = getattr(self.trainer, "sample_labels", None)
        if given is not None:
            return self.fake, given[:self.n]
        asked = np.arange(self.n) % self.trainer.condition_dim
        return self.trainer.sample(self.n, seed=self.seed, labels=asked), asked

    @cached_property
    def reference(self) -> dict[str, Any]:
        ref = reference_images(self.dataset, self.trainer.config.data.name, self.trainer.config.data.params,
                               self.n, self.seed)
        self.extras["reference"] = ref["reference_source"]
        return ref

    @property
    def real(self) -> np.ndarray:
        return self.reference["reference"]

    @cached_property
    def extractor(self) -> Any:
        """The dataset's classifier features (trained once, cached on disk)."""
        from .features import classifier_extractor

        if self.dataset.y is None:
            raise MpganError(f"image metrics need a labelled dataset to train their feature extractor; "
                             f"'{self.trainer.config.data.name}' has no labels")
        # The extractor sees the whole dataset whatever a run's ``limit``, so scores of runs on
        # subsets stay comparable with each other.
        params = {k: v for k, v in self.trainer.config.data.params.items() if k != "limit"}
        ext = classifier_extractor(self.trainer.config.data.name, params, seed=0)
        self.extras.update({"extractor": ext.id, "extractor_info": ext.info})
        return ext

    @cached_property
    def fake_features(self) -> tuple[np.ndarray, np.ndarray]:
        """(features, class probabilities) of the samples."""
        f, p = self.extractor.features_and_probabilities(self.fake)
        return np.asarray(f), np.asarray(p)

    @cached_property
    def real_features(self) -> tuple[np.ndarray, np.ndarray]:
        f, p = self.extractor.features_and_probabilities(self.real)
        self.extras["n_real"] = int(len(self.real))
        return np.asarray(f), np.asarray(p)

    @property
    def out_dir(self) -> Path | None:
        """Where a metric may write files (None when the caller asked for no files)."""
        return self.out if self.plots else None


__all__ = ["EvalContext", "Run", "reference_images"]
