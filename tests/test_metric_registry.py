"""The metric registry: what metrics declare, `mpgan list metrics`, and a metric added from
outside mpgan (a test-local module, and an installed package's entry point) showing in
`evaluate` without editing mpgan."""

import json
import sys
import textwrap

import numpy as np
import pytest

from mpgan import Trainer, load_config
from mpgan.cli import main
from mpgan.errors import MpganError
from mpgan.metrics import available_metrics, evaluate
from mpgan.registry import METRICS, load_plugins
from tests.helpers import TINY


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = tmp_path_factory.mktemp("mr") / "run"
    Trainer.from_config(load_config(None, TINY), run_dir=path).fit()
    return path


def test_builtin_metrics_declare_goal_range_and_cost():
    fid = METRICS.info("fid")
    assert (fid.kinds, fid.goal, fid.range, fid.needs_extractor, fid.cheap) == (("image",), "lower",
                                                                                (0.0, float("inf")), True, True)
    assert METRICS.info("tabular").kinds == ("tabular",) and not METRICS.info("tabular").cheap
    assert available_metrics("toy") == ("distribution",)
    assert available_metrics("image")[:2] == ("fid", "kid")  # registration order
    with pytest.raises(MpganError, match="metric goal must be one of lower, higher, info"):
        METRICS.register("bad", goal="smaller")


def test_list_metrics_prints_what_each_declares(capsys):
    assert main(["list", "metrics"]) == 0
    out = capsys.readouterr().out
    assert "fid " in out and "(image; lower is better; range [0, inf]; extractor; cheap)" in out


def test_a_metric_from_a_test_local_module_shows_in_evaluate(run, tmp_path):
    import tests.local_metric  # noqa: F401  (registers mean_ink_test)

    t = Trainer.from_run(run)
    result = evaluate(t, n=20, metrics=["mean_ink_test"], out_dir=tmp_path / "ev", plots=False)
    expected = float((t.sample(20, seed=0) + 1).mean() / 2)
    assert result["mean_ink_test"] == {"value": pytest.approx(expected), "n_fake": 20}
    assert json.loads((tmp_path / "ev" / "metrics.json").read_text())["mean_ink_test"]["n_fake"] == 20
    assert "mean_ink_test" in available_metrics("image")


def test_a_metric_that_cannot_score_the_run_is_refused_when_asked(run):
    t = Trainer.from_run(run)
    with pytest.raises(MpganError, match="label_agreement scores a conditional run"):
        evaluate(t, n=20, metrics=["label_agreement"], plots=False)


def test_a_metric_from_an_installed_package_entry_point(run, tmp_path, monkeypatch):
    site = tmp_path / "site"
    pkg = site / "mpgan_metricplugin"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(textwrap.dedent('''
        from mpgan.registry import METRICS

        @METRICS.register("sample_std_plugin", kinds=["image"], goal="info", range=(0, 2), cheap=True)
        def sample_std_plugin(ctx):
            """Standard deviation of the samples' pixels (model space)."""
            return {"value": float(ctx.fake.std())}
    '''))
    dist = site / "mpgan_metricplugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mpgan-metricplugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[mpgan.plugins]\nmetricplugin = mpgan_metricplugin\n")
    monkeypatch.syspath_prepend(str(site))
    load_plugins(force=True)
    try:
        t = Trainer.from_run(run)
        result = evaluate(t, n=20, metrics=["sample_std_plugin"], plots=False)
        assert result["sample_std_plugin"]["value"] == pytest.approx(float(np.std(t.sample(20, seed=0))))
    finally:
        sys.modules.pop("mpgan_metricplugin", None)


def test_a_new_kind_of_data_is_one_file(tmp_path):
    """tests/local_signal_kind.py adds a data kind (dataset, modality, models, metric) without
    editing mpgan; the trainer, `mpgan sample` and `mpgan evaluate` use it through its modality."""
    import tests.local_signal_kind  # noqa: F401
    from mpgan.modalities import modality_of

    sets = ["name=sig", "data={name: sine_waves_test, params: {}}", "generator=signal_generator_test",
            "discriminator=signal_discriminator_test", "train.batch_size=32", "train.epochs=1",
            "train.steps_per_epoch=4", "train.sample_every=1"]
    run = tmp_path / "sig"
    Trainer.from_config(load_config(None, sets), run_dir=run).fit()
    assert (run / "samples" / "epoch_0001.txt").is_file()  # the modality's preview format
    assert main(["sample", "--run", str(run), "--n", "5", "--out", str(tmp_path / "s.txt")]) == 0
    assert np.loadtxt(tmp_path / "s.txt").shape == (5, 16)
    assert main(["sample", "--run", str(run), "--out", str(tmp_path / "s.png")]) == 2
    result = evaluate(Trainer.from_run(run), n=50, plots=False)
    assert result["signal_amplitude_test"]["real"] == pytest.approx(1.0, abs=0.05)
    assert modality_of("signal").default_metrics() == ["signal_amplitude_test"]
