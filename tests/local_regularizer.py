"""A regularizer defined outside mpgan, as a fork would: one decorated function."""

from mpgan.lazy import lazy_module
from mpgan.registry import REGULARIZERS
from mpgan.training.regularizers import Regularizer

tf = lazy_module("tensorflow")  # as docs/extending.md shows: `mpgan list` stays free of TensorFlow


@REGULARIZERS.register("logit_l2_test")
def logit_l2_test(weight: float = 0.01, every: int = 1) -> Regularizer:
    """Penalise the square of D's logits on real samples."""
    return Regularizer.from_fn("logit_l2_test", weight, every,
                               real=lambda u: tf.reduce_mean(tf.square(tf.cast(u.real_logits, tf.float32))))
