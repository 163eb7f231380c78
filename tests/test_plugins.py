"""Plugins installed through a real ``mpgan.plugins`` entry point: one written as the docs
show (TensorFlow imported lazily) keeps `mpgan list` free of TensorFlow, and one that fails
half-way registers nothing and is named in the warning."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path


def _install(site: Path, package: str, source: str) -> None:
    """A distribution in ``site`` whose entry point names the module ``package``."""
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text(textwrap.dedent(source))
    dist = site / f"{package}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package.replace('_', '-')}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[mpgan.plugins]\n{package} = {package}\n")


def _run(site: Path, code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
                          timeout=180)


LAZY_PLUGIN = '''
    from mpgan.lazy import lazy_module
    from mpgan.registry import REGULARIZERS
    from mpgan.training.regularizers import Regularizer

    tf = lazy_module("tensorflow")  # imported when the step first runs the term


    @REGULARIZERS.register("logit_l2_plugin")
    def logit_l2_plugin(weight: float = 0.01, every: int = 1) -> Regularizer:
        """Penalise the square of D's logits on real samples."""
        return Regularizer.from_fn("logit_l2_plugin", weight, every,
                                   real=lambda u: tf.reduce_mean(tf.square(u.real_logits)))
'''


def test_a_plugin_that_imports_tensorflow_lazily_keeps_mpgan_list_free_of_it(tmp_path):
    """The docs' regularizer example, installed as a package: `mpgan list` shows it without
    importing TensorFlow (a top-level import cost every listing and config error seconds),
    and the term still computes once the step uses it."""
    _install(tmp_path, "mpgan_lazyplugin", LAZY_PLUGIN)
    out = _run(tmp_path, '''
        import sys, types
        from mpgan.cli import main
        code = main(["list", "regularizers"])
        print("TF AFTER LIST", "tensorflow" in sys.modules, code)
        from mpgan.registry import REGULARIZERS
        import tensorflow as tf
        reg = REGULARIZERS.build("logit_l2_plugin", weight=0.5)
        u = types.SimpleNamespace(real_logits=tf.constant([1.0, 3.0]))
        print("TERM", float(reg.real_loss(u)), reg.weight)
    ''')
    assert out.returncode == 0, out.stderr
    assert "TF AFTER LIST False 0" in out.stdout
    line = next(line for line in out.stdout.splitlines() if "logit_l2_plugin" in line)
    assert "Penalise the square of D's logits on real samples." in line and "[mpgan_lazyplugin]" in line
    assert "TERM 5.0 0.5" in out.stdout  # mean of 1 and 9


def test_a_plugin_that_fails_half_way_registers_nothing_and_is_named(tmp_path):
    """Its entries before the failure used to stay registered (half a plugin in use)."""
    _install(tmp_path, "mpgan_halfplugin", '''
        from mpgan.registry import GENERATORS, METRICS, OBJECTIVES

        @GENERATORS.register("half_generator")
        def half_generator(data_spec):
            """Registered before the failure."""

        @METRICS.register("half_metric", kinds=["toy"], goal="lower")
        def half_metric(ctx):
            """Registered before the failure too."""

        raise RuntimeError("the plugin's settings file is missing")
    ''')
    out = _run(tmp_path, '''
        import warnings
        from mpgan.registry import GENERATORS, METRICS
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            names = GENERATORS.names()
        print("HALF", "half_generator" in names, "half_metric" in METRICS, METRICS.for_kind("toy"))
        for w in caught:
            print("WARNING", w.message)
    ''')
    assert out.returncode == 0, out.stderr
    assert "HALF False False ['distribution']" in out.stdout
    assert ("WARNING mpgan plugin 'mpgan_halfplugin' (mpgan_halfplugin) failed to load and registered nothing: "
            "RuntimeError: the plugin's settings file is missing") in out.stdout
