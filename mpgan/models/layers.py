"""Layers mpgan's models share.

``BatchNormalization`` is Keras' layer (same weights, names, parameter count and
saved files) that, when training on the TensorFlow backend, runs TensorFlow's fused
batch-norm kernel instead of Keras' separate moments/normalise ops: on the MP-GAN
generator's 64×28×28×128 activations that is 5× faster forward and 3× faster
forward+backward on a CPU, where BatchNorm is memory-bound. Anything the fused
kernel does not cover (masks, renorm, synchronized, a non-last axis, no scale or
center, other backends) falls back to Keras' implementation.

``Conv2D`` is Keras' layer too. A stride-1 convolution with few output channels (the
MP-GAN generator's last layer: 7×7, 128 channels in, 1 out) is a poor fit for
oneDNN's direct convolution on a CPU; on the TensorFlow backend it runs instead as
one matmul to ``k·k·filters`` maps plus shifted adds, with a hand-written gradient
made of two more matmuls (3–4× faster forward and forward+backward at batch 8–64;
same results to float rounding). Other convolutions use Keras' path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import keras

if TYPE_CHECKING:
    import tensorflow as tf


@keras.saving.register_keras_serializable(package="mpgan")
class BatchNormalization(keras.layers.BatchNormalization):
    def _fused_ok(self, inputs, training, mask) -> bool:
        rank = len(inputs.shape)
        axis = self.axis if isinstance(self.axis, int) else None
        return (bool(training) and self.trainable and mask is None and not self.renorm
                and not getattr(self, "synchronized", False) and self.scale and self.center
                and keras.backend.backend() == "tensorflow" and rank in (2, 4)
                and axis is not None and axis % rank == rank - 1)

    def call(self, inputs, training=None, mask=None):
        if not self._fused_ok(inputs, training, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        x = tf.cast(inputs, tf.float32)
        channels = int(inputs.shape[-1])
        x4 = x if len(inputs.shape) == 4 else tf.reshape(x, [-1, 1, 1, channels])
        y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            x4, tf.cast(self.gamma, tf.float32), tf.cast(self.beta, tf.float32),
            epsilon=self.epsilon, is_training=True)
        # The kernel returns the Bessel-corrected variance; Keras' moving average uses
        # the plain one, so the moving statistics stay identical to Keras'.
        n = tf.cast(tf.size(x4) // channels, tf.float32)
        variance = variance * (n - 1.0) / tf.maximum(n, 2.0)
        m = self.momentum
        self.moving_mean.assign(tf.cast(self.moving_mean, tf.float32) * m + mean * (1.0 - m))
        self.moving_variance.assign(tf.cast(self.moving_variance, tf.float32) * m + variance * (1.0 - m))
        if len(inputs.shape) != 4:
            y = tf.reshape(y, tf.shape(x))
        return tf.cast(y, self.compute_dtype)


#: Largest output-channel count that takes the matmul-and-shift path in :class:`Conv2D`:
#: its intermediate maps hold ``k·k·filters`` channels per pixel.
SHIFT_CONV_MAX_FILTERS = 4


def shift_conv2d(x: tf.Tensor, kernel: tf.Tensor, padding: str = "same") -> tf.Tensor:
    """``tf.nn.conv2d(x, kernel, 1, padding)`` for NHWC ``x`` as one matmul to a map per
    kernel tap plus shifted adds, with a gradient of two matmuls (TensorFlow only).

    out[b, i, j] = sum over taps (dy, dx) of P[tap, b, i + dy - pt, j + dx - pl], where
    P = K·x maps C channels to k·k·F tap maps and (pt, pl) is TensorFlow's top/left
    'same' padding. The maps are laid out tap-major so every shifted window is a run
    of contiguous rows (slicing one channel out of an NHWC tensor was the slow part).
    """
    import tensorflow as tf

    kh, kw, c, f = (int(d) for d in kernel.shape)
    taps = kh * kw
    # rows/columns of zeros before and after the input, as tf.nn.conv2d pads it
    (pt, pb), (pl, pr) = [((k - 1) // 2, k // 2) if padding == "same" else (0, 0) for k in (kh, kw)]

    @tf.custom_gradient
    def op(x, kernel):
        shape = tf.shape(x)
        b, h, w = shape[0], shape[1], shape[2]
        ho, wo = h + pt + pb - kh + 1, w + pl + pr - kw + 1
        x2 = tf.reshape(x, (-1, c))
        kmat = tf.reshape(tf.transpose(kernel, (0, 1, 3, 2)), (taps * f, c))  # rows (dy, dx, f)
        p = tf.reshape(tf.matmul(kmat, x2, transpose_b=True), (taps, f, b, h, w))
        if padding == "same":
            p = tf.pad(p, [[0, 0], [0, 0], [0, 0], [pt, pb], [pl, pr]])
        out = tf.add_n([p[dy * kw + dx, :, :, dy:dy + ho, dx:dx + wo] for dy in range(kh) for dx in range(kw)])
        out = out[0][..., None] if f == 1 else tf.transpose(out, (1, 2, 3, 0))  # (F, B, H, W) -> NHWC

        def grad(g):
            # g2[(dy, dx, f), b, m, n] = g[b, m - dy + pt, n - dx + pl, f] (zero outside):
            # both gradients are then one matmul each.
            gt = g[None, ..., 0] if f == 1 else tf.transpose(g, (3, 0, 1, 2))
            gp = tf.pad(gt, [[0, 0], [0, 0], [kh - 1 - pt, kh - 1 - pb], [kw - 1 - pl, kw - 1 - pr]])
            g2 = tf.stack([gp[:, :, kh - 1 - dy:kh - 1 - dy + h, kw - 1 - dx:kw - 1 - dx + w]
                           for dy in range(kh) for dx in range(kw)])
            g2 = tf.reshape(g2, (taps * f, -1))
            dx_ = tf.reshape(tf.matmul(g2, kmat, transpose_a=True), shape)
            dk = tf.reshape(tf.matmul(g2, x2), (kh, kw, f, c))
            return dx_, tf.transpose(dk, (0, 1, 3, 2))

        return out, grad

    return op(x, kernel)


@keras.saving.register_keras_serializable(package="mpgan")
class Conv2D(keras.layers.Conv2D):
    def _shift_ok(self, inputs) -> bool:
        return (keras.backend.backend() == "tensorflow" and self.filters <= SHIFT_CONV_MAX_FILTERS
                and tuple(self.strides) == (1, 1) and tuple(self.dilation_rate) == (1, 1)
                and self.groups == 1 and self.data_format == "channels_last"
                and self.padding in ("same", "valid") and len(inputs.shape) == 4)

    def convolution_op(self, inputs, kernel):
        if not self._shift_ok(inputs):
            return super().convolution_op(inputs, kernel)
        import tensorflow as tf

        return shift_conv2d(inputs, tf.cast(kernel, inputs.dtype), self.padding)


@keras.saving.register_keras_serializable(package="mpgan")
class Abs(keras.layers.Layer):
    """Elementwise absolute value (serialisable, so models using it clone and save)."""

    def call(self, inputs):
        return keras.ops.abs(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="mpgan")
class BlockSoftmax(keras.layers.Layer):
    """One layer for every categorical block of a row: softmax within each block
    ``(start, width)`` (Gumbel-softmax with ``gumbel=True``, temperature ``tau``),
    other features passed through unchanged.

    A table with dozens of columns would otherwise need dozens of small Dense+softmax
    heads, and on a CPU the per-op cost of those heads, not their arithmetic, sets the
    step time. Block sums and maxima are products with a 0/1 membership matrix.
    """

    def __init__(self, blocks, tau: float = 1.0, gumbel: bool = False, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.blocks = [(int(s), int(w)) for s, w in blocks]
        self.tau, self.gumbel, self.seed = float(tau), bool(gumbel), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        import numpy as np

        n = int(input_shape[-1])
        member = np.zeros((n, max(1, len(self.blocks))), dtype="float32")
        for b, (s, w) in enumerate(self.blocks):
            member[s:s + w, b] = 1.0
        self._member = member
        self._is_cat = member.sum(axis=1)

    def call(self, x, training=None):
        ops = keras.ops
        member = ops.convert_to_tensor(self._member, dtype=x.dtype)
        is_cat = ops.convert_to_tensor(self._is_cat, dtype=x.dtype)
        logits = x
        if self.gumbel and training:
            u = keras.random.uniform(ops.shape(x), minval=1e-7, maxval=1.0 - 1e-7,
                                     seed=self.seed_generator, dtype=x.dtype)
            logits = logits - ops.log(-ops.log(u))
        logits = logits / self.tau
        # each feature's block maximum, for a stable exp
        masked = ops.where(member[None] > 0, logits[:, :, None], ops.full_like(logits[:, :, None], -1e9))
        shift = ops.matmul(ops.max(masked, axis=1), ops.transpose(member)) * is_cat
        e = ops.exp(logits - shift) * is_cat
        denom = ops.matmul(ops.matmul(e, member), ops.transpose(member)) + (1.0 - is_cat)
        return ops.where(is_cat > 0, e / denom, x)

    def get_config(self):
        return {**super().get_config(), "blocks": self.blocks, "tau": self.tau, "gumbel": self.gumbel,
                "seed": self.seed}


@keras.saving.register_keras_serializable(package="mpgan")
class Pack(keras.layers.Layer):
    """PacGAN packing (Lin et al., 2018): ``(n, d)`` rows -> ``(n / pac, pac * d)``, so a
    discriminator judges ``pac`` rows at once and can see a lack of diversity (CTGAN
    uses pac = 10). The batch must be a multiple of ``pac``."""

    def __init__(self, pac: int, **kwargs):
        super().__init__(**kwargs)
        self.pac = int(pac)

    def call(self, x):
        return keras.ops.reshape(x, (-1, self.pac * x.shape[-1]))

    def compute_output_shape(self, input_shape):
        return (None, self.pac * input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "pac": self.pac}
