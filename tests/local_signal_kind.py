"""A new kind of data added from outside mpgan, as a fork would, in one file: 1-D signals
(a dataset, its modality, a generator and discriminator for it, and a metric)."""

from pathlib import Path

import keras
import numpy as np

from mpgan.data_spec import Dataset, DataSpec
from mpgan.modalities import Modality
from mpgan.registry import DATASETS, DISCRIMINATORS, GENERATORS, METRICS, MODALITIES


@DATASETS.register("sine_waves_test")
def sine_waves_test(n: int = 256, length: int = 16, seed: int = 0) -> Dataset:
    """Sine waves of random phase, one per row, in [-1, 1]."""
    phase = np.random.default_rng(seed).uniform(0, 2 * np.pi, (n, 1))
    x = np.sin(np.linspace(0, 2 * np.pi, length)[None, :] + phase).astype(np.float32)
    return Dataset(x=x, spec=DataSpec(kind="signal", shape=(length,), value_range=(-1.0, 1.0), name="sine_waves_test"))


@MODALITIES.register("signal")
class Signals(Modality):
    """1-D signals: samples written as .npy or as a .txt of rows."""

    kind = "signal"
    preview = ".txt"
    formats = (".txt", ".npy")

    def _write(self, dataset, x, path: Path, title, ncols):
        np.savetxt(path, x, fmt="%.4f")
        return path


@GENERATORS.register("signal_generator_test")
def signal_generator_test(data_spec, latent_dim: int = 8):
    """Dense latent -> signal, tanh."""
    z = keras.Input((latent_dim,))
    return keras.Model(z, keras.layers.Dense(data_spec.shape[0], activation="tanh")(keras.layers.Dense(32)(z)))


@DISCRIMINATORS.register("signal_discriminator_test")
def signal_discriminator_test(data_spec):
    """Dense signal -> logit."""
    x = keras.Input(data_spec.shape)
    return keras.Model(x, keras.layers.Dense(1)(keras.layers.Dense(32, activation="relu")(x)))


@METRICS.register("signal_amplitude_test", kinds=["signal"], goal="info", range=(0, 1), cheap=True)
def signal_amplitude_test(ctx):
    """Mean peak amplitude of the samples (real sine waves: about 1)."""
    return {"value": float(np.abs(ctx.fake).max(axis=1).mean()), "real": float(np.abs(ctx.dataset.x).max(axis=1).mean())}
