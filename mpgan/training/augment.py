"""Differentiable augmentation of everything the discriminator sees.

DiffAugment (Zhao et al. 2020) applies the same random, differentiable transforms to
real and generated images before D, in D's update and in G's, so D cannot overfit a
small dataset and G still gets gradients through the transforms. ADA (Karras et al.
2020) applies them with a probability ``p`` adjusted during training by the overfitting
heuristic ``r_t = E[sign(D(real))]``: above the target (0.6) D is too sure of the reals
and ``p`` rises, below it ``p`` falls::

    train:
      augment: {policy: [translation, cutout, color]}                    # DiffAugment, p = 1
      augment: {policy: [translation, cutout], ada: {target: 0.6}}       # ADA, p from 0

Each policy is a registered factory returning ``fn(x, rng) -> x`` on a batch in
model space; randomness comes from the trainer's seeded generator, so a resumed run
draws the same transforms. The ports follow the official DiffAugment code (zeros fill
the translated border and the cut-out square, as there).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ConfigError, UnknownNameError
from ..lazy import lazy_module
from ..registry import AUGMENTATIONS

tf = lazy_module("tensorflow")

Transform = Callable[[Any, Any], Any]


def _batch(x):
    return tf.shape(x)[0]


def _window(x, rng, ratio: float, shift: bool):
    """A window of ``ratio`` x the image size and its per-image offsets (``[b, 1, 1]`` int32,
    height then width, drawn in that order): in ``[-size, size]`` for a shift, else a start."""
    h, w = x.shape[1], x.shape[2]
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    b = _batch(x)
    bounds = ((-sh, sh + 1), (-sw, sw + 1)) if shift else ((0, h + (1 - sh % 2)), (0, w + (1 - sw % 2)))
    oh, ow = (rng.uniform([b, 1, 1], minval=lo, maxval=hi, dtype=tf.int32) for lo, hi in bounds)
    return h, w, sh, sw, oh, ow


@AUGMENTATIONS.register("translation")
def translation(ratio: float = 0.125) -> Transform:
    """Shift each image by up to ratio x its size in x and y, zeros filling the border (DiffAugment)."""

    def fn(x, rng):
        h, w, _, _, tx, ty = _window(x, rng, ratio, shift=True)
        b = _batch(x)
        gx = tf.clip_by_value(tf.range(h)[None, :, None] + tx + 1, 0, h + 1)
        gy = tf.clip_by_value(tf.range(w)[None, None, :] + ty + 1, 0, w + 1)
        padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
        bi = tf.broadcast_to(tf.range(b)[:, None, None], tf.shape(gx + gy))
        idx = tf.stack([bi, tf.broadcast_to(gx, tf.shape(bi)), tf.broadcast_to(gy, tf.shape(bi))], -1)
        return tf.gather_nd(padded, idx)

    return fn


@AUGMENTATIONS.register("cutout")
def cutout(ratio: float = 0.5) -> Transform:
    """Zero a square of ratio x the image size at a random place in each image (DiffAugment)."""

    def fn(x, rng):
        h, w, ch, cw, ox, oy = _window(x, rng, ratio, shift=False)
        rows = tf.range(h)[None, :, None] - ox + ch // 2
        cols = tf.range(w)[None, None, :] - oy + cw // 2
        inside = (rows >= 0) & (rows < ch) & (cols >= 0) & (cols < cw)
        return x * tf.cast(~inside, x.dtype)[..., None]

    return fn


@AUGMENTATIONS.register("color")
def color(brightness: float = 0.5, contrast: float = 0.5) -> Transform:
    """Random brightness shift and contrast scale per image; saturation too for RGB (DiffAugment)."""

    def fn(x, rng):
        b = _batch(x)
        x = x + tf.cast(rng.uniform([b, 1, 1, 1]) * 2 * brightness - brightness, x.dtype)
        if x.shape[-1] == 3:
            mean = tf.reduce_mean(x, axis=3, keepdims=True)
            x = (x - mean) * tf.cast(rng.uniform([b, 1, 1, 1]) * 2, x.dtype) + mean
        mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
        scale = rng.uniform([b, 1, 1, 1]) * 2 * contrast + (1 - contrast)
        return (x - mean) * tf.cast(scale, x.dtype) + mean

    return fn


class Augment:
    """The configured policy, applied with probability ``p`` per image and transform.

    ``p`` is a variable: fixed (DiffAugment, 1.0 by default) or driven by ADA.
    """

    def __init__(self, policy: list[tuple[str, Transform]], p: float = 1.0, ada: dict[str, Any] | None = None):
        self.policy, self.p0, self.ada = policy, float(p), ada
        self.p: Any = None

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.policy]

    def build(self) -> None:
        agg = tf.VariableAggregation.MEAN
        self.p = tf.Variable(self.p0, trainable=False, dtype=tf.float32, name="aug_p", aggregation=agg)
        self.rt_sum = tf.Variable(0.0, trainable=False, dtype=tf.float32, name="ada_rt_sum", aggregation=agg)
        self.rt_count = tf.Variable(0.0, trainable=False, dtype=tf.float32, name="ada_rt_count", aggregation=agg)
        self.rt = tf.Variable(0.0, trainable=False, dtype=tf.float32, name="ada_rt", aggregation=agg)

    def state(self) -> dict[str, Any]:
        return {"p": self.p, "rt_sum": self.rt_sum, "rt_count": self.rt_count, "rt": self.rt}

    def __call__(self, x, rng):
        always = self.ada is None and self.p0 >= 1.0
        for _, fn in self.policy:
            out = fn(x, rng)
            if always:
                x = out
            else:
                keep = rng.uniform([_batch(x), 1, 1, 1]) < self.p
                x = tf.where(keep, out, x)
        return x

    def observe(self, real_logits, step, batch_size: int) -> None:
        """ADA: accumulate ``sign(D(real))``; every ``interval`` steps move ``p`` toward the target."""
        if self.ada is None:
            return
        self.rt_sum.assign_add(tf.reduce_mean(tf.sign(tf.cast(real_logits, tf.float32))))
        self.rt_count.assign_add(1.0)
        interval, target = int(self.ada["interval"]), float(self.ada["target"])
        adjust = batch_size * interval / (float(self.ada["kimg"]) * 1000.0)

        def update():
            rt = self.rt_sum / self.rt_count
            self.rt.assign(rt)
            self.p.assign(tf.clip_by_value(self.p + tf.sign(rt - target) * adjust, 0.0, 1.0))
            self.rt_sum.assign(0.0)
            self.rt_count.assign(0.0)
            return rt

        tf.cond(tf.equal((step + 1) % interval, 0), update, lambda: self.rt)

    def metrics(self) -> dict[str, Any]:
        out = {"aug_p": tf.identity(self.p)}
        if self.ada is not None:
            out["ada_rt"] = tf.identity(self.rt)
        return out


ADA_DEFAULTS = {"target": 0.6, "interval": 4, "kimg": 100}


def build_augment(cfg: dict[str, Any] | None) -> Augment | None:
    """``train.augment`` -> Augment (None when absent or with an empty policy)."""
    if not cfg:
        return None
    if not isinstance(cfg, dict):
        raise ConfigError(f"train.augment must be a mapping with a policy list, got {cfg!r}")
    extra = set(cfg) - {"policy", "p", "ada"}
    if extra:
        raise ConfigError(f"train.augment has unknown keys {sorted(extra)}; use policy, p, ada")
    policy = cfg.get("policy") or []
    if isinstance(policy, str):
        policy = [policy]
    built = []
    for i, item in enumerate(policy):
        name, params = (item, {}) if isinstance(item, str) else (item.get("name"), item.get("params", {}))
        if not isinstance(name, str):
            raise ConfigError(f"train.augment.policy[{i}] must be a name or {{name, params}}, got {item!r}")
        try:
            built.append((name, AUGMENTATIONS.build(name, **params)))
        except UnknownNameError as exc:
            raise ConfigError(f"train.augment.policy[{i}]: {exc}") from None
    if not built:
        return None
    ada = cfg.get("ada")
    if ada is True or ada == {}:
        ada = {}
    if ada is not None and ada is not False:
        if not isinstance(ada, dict) or set(ada) - set(ADA_DEFAULTS):
            raise ConfigError(f"train.augment.ada takes {sorted(ADA_DEFAULTS)}, got {ada!r}")
        ada = {**ADA_DEFAULTS, **ada}
        if int(ada["interval"]) < 1 or float(ada["kimg"]) <= 0:
            raise ConfigError("train.augment.ada.interval must be >= 1 and ada.kimg > 0")
    else:
        ada = None
    p = cfg.get("p", 0.0 if ada is not None else 1.0)
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ConfigError(f"train.augment.p must be a probability in [0, 1], got {p!r}")
    return Augment(built, float(p), ada)


__all__ = ["ADA_DEFAULTS", "Augment", "build_augment", "color", "cutout", "translation"]
