"""Registry behaviour, and a real third-party plugin found through its entry point."""

import subprocess
import sys
import textwrap

import pytest

from mpgan import DATASETS, DISCRIMINATORS, GENERATORS, OBJECTIVES, Registry, UnknownNameError
from mpgan.errors import MpganError


def test_decorator_registers_with_docstring_description():
    reg = Registry("widget")

    @reg.register("small")
    def small(spec, width=3):
        """A small widget.

        More text that `mpgan list` does not show."""
        return ("small", spec, width)

    assert "small" in reg
    assert reg.build("small", "S", width=5) == ("small", "S", 5)
    (entry,) = reg.entries()
    assert entry.description == "A small widget."
    assert entry.source == __name__.split(".")[0]


def test_unknown_name_lists_known_names_and_suggests():
    with pytest.raises(UnknownNameError) as err:
        GENERATORS.get("mpgan_generatr")
    msg = str(err.value)
    assert "unknown generator 'mpgan_generatr'" in msg
    assert "did you mean 'mpgan_generator'" in msg
    assert "dcgan_generator" in msg


def test_bad_params_name_the_signature():
    with pytest.raises(MpganError, match="got bad parameters.*signature"):
        OBJECTIVES.build("hinge", margin=3)


def test_duplicate_registration_is_refused():
    reg = Registry("widget")
    reg.register("a")(lambda: 1)

    def other():
        return 2

    with pytest.raises(MpganError, match="already registered"):
        reg.register("a")(other)
    reg.register("a", override=True)(other)
    assert reg.build("a") == 2


def test_builtins_are_registered():
    for name in ("mpgan_generator", "dcgan_generator", "mlp_generator", "toy_generator", "spec"):
        assert name in GENERATORS
    for name in ("mpgan_discriminator", "dcgan_discriminator", "mlp_discriminator",
                 "toy_discriminator", "classifier_discriminator", "spec"):
        assert name in DISCRIMINATORS
    for name in ("digits", "mnist", "fashion_mnist", "image_folder", "image_array",
                 "breast_cancer", "wine", "csv", "rayleigh", "gaussian_mixture", "normal"):
        assert name in DATASETS
    for name in ("non_saturating", "minimax", "least_squares", "hinge"):
        assert name in OBJECTIVES
    builtins = [e for r in (GENERATORS, DISCRIMINATORS, DATASETS, OBJECTIVES) for e in r.entries()
                if e.factory.__module__.startswith("mpgan.")]  # not what other test files registered
    assert len(builtins) > 20 and all(e.description for e in builtins)


def test_plugin_package_through_real_entry_point(tmp_path):
    """An installed distribution declaring an `mpgan.plugins` entry point adds a generator
    without editing mpgan: it shows in `mpgan list` and builds through the registry."""
    site = tmp_path / "site"
    pkg = site / "mpgan_toyplugin"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(textwrap.dedent('''
        import keras
        from mpgan import GENERATORS

        @GENERATORS.register("plugin_linear")
        def plugin_linear(data_spec, latent_dim=4):
            """A linear generator from a plugin package."""
            z = keras.Input((latent_dim,))
            return keras.Model(z, keras.layers.Dense(data_spec.shape[0])(z))
    '''))
    dist = site / "mpgan_toyplugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mpgan-toyplugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[mpgan.plugins]\ntoyplugin = mpgan_toyplugin\n")
    code = textwrap.dedent('''
        import sys
        from mpgan import GENERATORS, DataSpec
        from mpgan.cli import main
        g = GENERATORS.build("plugin_linear", DataSpec("toy", (3,)), latent_dim=5)
        print("SHAPE", g.output_shape)
        sys.exit(main(["list", "generators"]))
    ''')
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3", "HOME": str(tmp_path)}
    import os
    env = {**os.environ, **env}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    assert "SHAPE (None, 3)" in out.stdout
    line = next(line for line in out.stdout.splitlines() if "plugin_linear" in line)
    assert "A linear generator from a plugin package." in line
    assert "[mpgan_toyplugin]" in line
