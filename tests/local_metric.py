"""A metric defined outside mpgan, as a fork would: one decorated function."""

from mpgan.registry import METRICS


@METRICS.register("mean_ink_test", kinds=["image"], goal="info", range=(0, 1), cheap=True)
def mean_ink_test(ctx):
    """Mean pixel intensity of the samples, in [0, 1]."""
    return {"value": float((ctx.fake + 1).mean() / 2), "n_fake": ctx.n}
