"""The bad-input census: command lines a user gets wrong, each with the exit code and the
culprit its one ``error:`` line must name. ``tests/test_census.py`` runs every case;
``benchmarks/census.py`` runs the same table and commits the count the docs render.

Placeholders in a case: ``{a}`` the assets folder (files below), ``{t}`` the case's own
empty folder (also its working folder), ``{run}`` a trained toy run, ``{tab}`` a trained
conditional table run, ``{f}`` an ordinary file, ``{ro}`` a folder nobody may write in
(``chattr +i``), ``{tiny}`` a small toy config. A case passes when the command exits with
its code, prints exactly one ``error:`` line naming the culprit and no traceback, and
leaves every folder as it found it."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TINY_YAML = """\
name: tiny
data: {name: normal, params: {n: 300}}
generator: {name: toy_generator, params: {latent_dim: 1, hidden: []}}
discriminator: {name: toy_discriminator, params: {hidden: []}}
train: {epochs: 1, batch_size: 64, sample_every: 0, checkpoint_every: 1, tensorboard: false}
"""

#: A case whose defect is being fixed elsewhere right now: ``{case id: reason}``.
KNOWN: dict[str, str] = {}


@dataclass(frozen=True)
class Case:
    id: str
    group: str
    argv: str  # the command line after `mpgan`, with placeholders
    culprit: str  # a substring the error line must hold (placeholders allowed)
    code: int = 2
    setup: str | None = None  # a name in SETUPS: prepares {t} before the command
    cwd: str = "{t}"
    needs: tuple[str, ...] = ()  # "ro": needs a read-only folder (chattr)


def _cases(group: str, rows: list[tuple[Any, ...]]) -> list[Case]:
    return [Case(r[0], group, r[1], r[2], **(r[3] if len(r) > 3 else {})) for r in rows]


T = "train --config {tiny}"
S = "synthesize --data {a}/good.csv --target y --epochs 1"
SW = "sweep --config {tiny} --seeds 1 --eval-n 50"
RO = {"needs": ("ro",)}

CASES: list[Case] = [
    *_cases("config", [
        ("config_missing_file", "train --config {a}/nope.yaml", "nope.yaml"),
        ("config_unknown_name", "train --config normal_tyo", "normal_tyo"),
        ("config_empty_file", "train --config {a}/empty.yaml", "empty.yaml"),
        ("config_only_comments", "train --config {a}/comments.yaml", "comments.yaml"),
        ("config_a_list", "train --config {a}/list.yaml", "list.yaml"),
        ("config_a_scalar", "train --config {a}/scalar.yaml", "scalar.yaml"),
        ("config_bad_yaml", "train --config {a}/bad.yaml", "bad.yaml"),
        ("config_is_a_folder", "train --config {a}/emptydir", "emptydir' is a folder"),
        ("config_unknown_key", f"{T} --set train.epoch=3", "train.epoch"),
        ("config_unknown_section", f"{T} --set trian.epochs=3", "trian"),
        ("set_without_equals", f"{T} --set train.epochs", "train.epochs"),
        ("set_bad_yaml_value", f"{T} --set seed=[1", "seed"),
        ("epochs_not_a_number", f"{T} --set train.epochs=many", "train.epochs"),
        ("epochs_negative", f"{T} --set train.epochs=-1", "train.epochs"),
        ("batch_size_zero", f"{T} --set train.batch_size=0", "batch_size"),
        ("unknown_generator", f"{T} --set generator.name=nope_gen", "nope_gen"),
        ("unknown_discriminator", f"{T} --set discriminator.name=nope_disc", "nope_disc"),
        ("unknown_objective", f"{T} --set objective=nope_loss", "nope_loss"),
        ("unknown_dataset", f"{T} --set data.name=nope_data", "nope_data"),
        ("unknown_optimizer", f"{T} --set train.g_optimizer.name=nope_opt", "nope_opt"),
        ("negative_learning_rate", f"{T} --set train.g_optimizer.learning_rate=-1", "learning_rate"),
        ("unknown_regularizer", f"{T} --set 'train.regularizers=[{{name: nope_reg}}]'", "nope_reg"),
        ("unknown_aggregator", f"{T} --set train.aggregate=nope_agg", "nope_agg"),
        ("latent_dim_zero", f"{T} --set generator.params.latent_dim=0", "latent_dim"),
        ("unknown_generator_param", f"{T} --set generator.params.bogus=1", "bogus"),
        ("seed_not_a_number", f"{T} --set seed=abc", "seed"),
        ("ema_above_one", f"{T} --set train.ema=1.5", "ema"),
        ("normal_n_zero", f"{T} --set data.params.n=0", "n"),
        ("normal_std_negative", f"{T} --set data.params.std=-1", "std"),
        ("train_epochs_flag_zero", f"{T} --epochs 0", "epochs"),
        ("config_schema_with_config", "config --schema --config {tiny}", "--schema"),
        ("config_command_missing_file", "config --config {a}/nope.yaml", "nope.yaml"),
        ("config_command_bad_value", "config --config {tiny} --set train.epochs=x", "train.epochs"),
        ("resume_with_config", "train --resume {run} --config {tiny}", "--resume"),
    ]),
    *_cases("tables", [
        ("table_missing", "synthesize --data {a}/nope.csv --out o.csv --epochs 1", "nope.csv"),
        ("table_empty_file", "synthesize --data {a}/empty.csv --out o.csv --epochs 1", "empty.csv"),
        ("table_header_only", "synthesize --data {a}/header.csv --out o.csv --epochs 1", "table is empty"),
        ("table_pickle", "synthesize --data {a}/t.pkl --out o.csv --epochs 1", "t.pkl"),
        ("table_unknown_suffix", "synthesize --data {a}/t.xyz --out o.csv --epochs 1", "t.xyz"),
        ("table_is_a_folder", "synthesize --data {a}/emptydir --out o.csv --epochs 1", "emptydir"),
        ("table_too_few_rows", "synthesize --data {a}/few.csv --out o.csv --epochs 1", "rows"),
        ("target_not_a_column", f"{S} --target nope_col --out o.csv", "nope_col"),
        ("condition_not_a_class", f"{S} --condition Z --out o.csv", "'Z'"),
        ("balance_without_target", "synthesize --data {a}/good.csv --balance --out o.csv --epochs 1", "--balance"),
        ("condition_without_target", "synthesize --data {a}/good.csv --condition 1 --out o.csv --epochs 1",
         "--condition"),
        ("balance_and_condition", f"{S} --balance --condition 1 --out o.csv", "--balance"),
        ("rows_zero", f"{S} --rows 0 --out o.csv", "--rows"),
        ("rows_negative", f"{S} --rows -5 --out o.csv", "--rows"),
        ("no_data_no_run", "synthesize --out o.csv", "--data"),
        ("run_and_data", "synthesize --run {tab} --data {a}/good.csv --out o.csv", "--run"),
        ("kind_without_equals", f"{S} --kind a --out o.csv", "'a'"),
        ("kind_unknown_kind", f"{S} --kind a=nope_kind --out o.csv", "nope_kind"),
        ("kind_unknown_column", f"{S} --kind zz=integer --out o.csv", "zz"),
        ("holdout_above_one", f"{S} --holdout 1.5 --out o.csv", "holdout"),
        ("epsilon_negative", f"{S} --epsilon -1 --out o.csv", "epsilon"),
        ("synthesize_epochs_zero", "synthesize --data {a}/good.csv --epochs 0 --out o.csv", "epochs"),
        ("synthesize_bad_set_key", f"{S} --set train.epoch=1 --out o.csv", "train.epoch"),
        ("synthesize_empty_config", f"{S} --config {{a}}/empty.yaml --out o.csv", "empty.yaml"),
        ("reused_run_unknown_condition", "synthesize --run {tab} --condition Z --out o.csv", "'Z'"),
        ("reused_run_rows_zero", "synthesize --run {tab} --rows 0 --out o.csv", "--rows"),
        ("reused_run_missing", "synthesize --run {a}/nope_run --out o.csv", "nope_run"),
        ("reused_run_not_a_table_run", "synthesize --run {run} --out o.csv", "{run}"),
        ("csv_dataset_missing_file", f"{T} --set 'data={{name: csv, params: {{path: {{a}}/nope.csv}}}}'",
         "nope.csv"),
        ("csv_dataset_target_missing",
         f"{T} --set 'data={{name: csv, params: {{path: {{a}}/good.csv, target: nope_col}}}}'", "nope_col"),
    ]),
    *_cases("images", [
        ("image_folder_missing", f"{T} --set 'data={{name: image_folder, params: {{path: {{a}}/nope_imgs}}}}'",
         "nope_imgs"),
        ("image_folder_empty", f"{T} --set 'data={{name: image_folder, params: {{path: {{a}}/emptydir}}}}'",
         "emptydir"),
        ("image_folder_no_images", f"{T} --set 'data={{name: image_folder, params: {{path: {{a}}/textdir}}}}'",
         "textdir"),
        ("image_folder_is_a_file", f"{T} --set 'data={{name: image_folder, params: {{path: {{a}}/afile}}}}'",
         "afile"),
        ("image_folder_broken_png", f"{T} --set 'data={{name: image_folder, params: {{path: {{a}}/brokenpng}}}}'",
         "bad.png"),
        ("image_array_missing", f"{T} --set 'data={{name: image_array, params: {{path: {{a}}/nope.npy}}}}'",
         "nope.npy"),
        ("image_array_wrong_shape", f"{T} --set 'data={{name: image_array, params: {{path: {{a}}/flat.npy}}}}'",
         "flat.npy"),
        ("image_array_not_numpy", f"{T} --set 'data={{name: image_array, params: {{path: {{a}}/text.npy}}}}'",
         "text.npy"),
        ("image_array_unknown_suffix", f"{T} --set 'data={{name: image_array, params: {{path: {{a}}/afile}}}}'",
         "afile"),
        ("image_array_npz_missing_key",
         f"{T} --set 'data={{name: image_array, params: {{path: {{a}}/arrays.npz, key: nope_key}}}}'", "nope_key"),
        ("digits_size_zero", f"{T} --set 'data={{name: digits, params: {{size: 0}}}}'", "size"),
        ("digits_unknown_param", f"{T} --set 'data={{name: digits, params: {{bogus: 1}}}}'", "bogus"),
    ]),
    *_cases("run folders", [
        ("sample_run_missing", "sample --run {a}/nope_run --out s.npy", "nope_run"),
        ("sample_run_is_a_file", "sample --run {f} --out s.npy", "{f}"),
        ("sample_run_empty_folder", "sample --run {a}/emptydir --out s.npy", "emptydir"),
        ("sample_n_zero", "sample --run {run} --n 0 --out s.npy", "--n"),
        ("sample_label_unconditional", "sample --run {run} --label 3 --out s.npy", "--label"),
        ("sample_labels_unconditional", "sample --run {run} --labels 0,1 --out s.npy", "--labels"),
        ("sample_label_and_labels", "sample --run {tab} --label 0 --labels 0 --out s.npy", "--label"),
        ("sample_label_not_a_class", "sample --run {tab} --label 7 --out s.npy", "--label 7"),
        ("sample_labels_not_numbers", "sample --run {tab} --labels a,b --out s.npy", "'a,b'"),
        ("sample_csv_from_toy_run", "sample --run {run} --out s.csv", ".csv"),
        ("evaluate_run_missing", "evaluate --run {a}/nope_run", "nope_run"),
        ("evaluate_unknown_metric", "evaluate --run {run} --metrics nope_metric --out ev", "nope_metric"),
        ("evaluate_metric_of_other_kind", "evaluate --run {run} --metrics fid --out ev", "fid"),
        ("evaluate_n_one", "evaluate --run {run} --n 1 --out ev", "1"),
        ("resume_missing", "train --resume {a}/nope_run", "nope_run"),
        ("resume_a_file", "train --resume {f}", "{f}"),
        ("resume_empty_folder", "train --resume {a}/emptydir", "emptydir"),
        ("new_run_in_a_used_folder", f"{T} --run-dir {{run}}", "{run}"),
    ]),
    *_cases("checkpoints", [
        ("checkpoints_deleted", "sample --run {t}/r --out s.npy", "checkpoint", {"setup": "no_checkpoints"}),
        ("checkpoint_truncated", "sample --run {t}/r --out s.npy", "{t}/r", {"setup": "truncated_checkpoint"}),
        ("run_config_deleted", "sample --run {t}/r --out s.npy", "config.yaml", {"setup": "no_config"}),
        ("run_config_damaged", "sample --run {t}/r --out s.npy", "config.yaml", {"setup": "damaged_config"}),
        ("run_config_a_list", "sample --run {t}/r --out s.npy", "config.yaml", {"setup": "config_a_list"}),
        ("run_from_newer_mpgan", "sample --run {t}/r --out s.npy", "format", {"setup": "newer_format"}),
        ("resume_checkpoints_deleted", "train --resume {t}/r --epochs 3", "checkpoint",
         {"setup": "no_checkpoints"}),
        ("evaluate_checkpoint_truncated", "evaluate --run {t}/r --out ev", "{t}/r",
         {"setup": "truncated_checkpoint"}),
    ]),
    *_cases("output paths", [
        ("run_dir_is_a_file", f"{T} --run-dir {{f}}", "{f}"),
        ("run_dir_under_a_file", f"{T} --run-dir {{f}}/r", "{f}"),
        ("run_dir_read_only", f"{T} --run-dir {{ro}}/r", "{ro}", RO),
        ("output_dir_is_a_file", f"{T} --set output_dir={{f}}", "{f}"),
        ("output_dir_read_only", f"{T} --set output_dir={{ro}}/runs", "{ro}", RO),
        ("train_in_a_read_only_folder", T, "runs", {"cwd": "{ro}", "needs": ("ro",)}),
        ("sample_out_bad_suffix", "sample --run {run} --out s.gif", "s.gif"),
        ("sample_out_under_a_file", "sample --run {run} --out {f}/s.npy", "{f}"),
        ("sample_out_read_only", "sample --run {run} --out {ro}/s.npy", "{ro}", RO),
        ("sample_out_is_a_folder", "sample --run {run} --out {a}/folder.npy", "folder.npy"),
        ("evaluate_out_is_a_file", "evaluate --run {run} --out {f}", "{f}"),
        ("evaluate_out_read_only", "evaluate --run {run} --out {ro}/ev", "{ro}", RO),
        ("evaluate_read_only_run", "evaluate --run {ro}/run", "{ro}/run", RO),
        ("synthesize_out_bad_suffix", f"{S} --out o.txt", "o.txt"),
        ("synthesize_out_under_a_file", f"{S} --out {{f}}/o.csv", "{f}"),
        ("synthesize_out_read_only", f"{S} --out {{ro}}/o.csv", "{ro}", RO),
        ("synthesize_out_is_a_folder", f"{S} --out {{a}}/folder.csv", "folder.csv"),
        ("synthesize_run_dir_is_a_file", f"{S} --run-dir {{f}} --out o.csv", "{f}"),
        ("synthesize_run_dir_used", f"{S} --run-dir {{a}} --out o.csv", "{a}"),
        ("synthesize_run_dir_read_only", f"{S} --run-dir {{ro}}/r --out o.csv", "{ro}", RO),
        ("synthesize_in_a_read_only_folder", f"{S} --out {{t}}/o.csv", "runs", {"cwd": "{ro}", "needs": ("ro",)}),
        ("reused_run_out_read_only", "synthesize --run {tab} --out {ro}/o.csv", "{ro}", RO),
    ]),
    *_cases("sweeps", [
        ("sweep_no_grid", f"{SW} --out s", "--grid"),
        ("sweep_grid_without_values", f"{SW} --grid seed --out s", "seed"),
        ("sweep_grid_unknown_key", f"{SW} --grid train.epoch=[1,2] --out s", "train.epoch"),
        ("sweep_grid_wrong_type", f"{SW} --grid train.epochs=[a,b] --out s", "train.epochs"),
        ("sweep_grid_empty_list", f"{SW} --grid seed=[] --out s", "seed"),
        ("sweep_unknown_metric", f"{SW} --grid seed=[0] --metric nope_metric --out s", "nope_metric"),
        ("sweep_metric_of_other_kind", f"{SW} --grid seed=[0] --metric fid --out s", "fid"),
        ("sweep_metric_without_goal", f"{SW} --grid seed=[0] --metric distribution --out s", "--mode"),
        ("sweep_seeds_zero", "sweep --config {tiny} --grid seed=[0] --seeds 0 --out s", "--seeds"),
        ("sweep_eval_n_one", "sweep --config {tiny} --grid seed=[0] --eval-n 1 --out s", "--eval-n"),
        ("sweep_bad_range", f"{SW} --sample 2 --range train.ema=normal(0,1) --out s", "normal(0,1)"),
        ("sweep_jobs_zero", f"{SW} --grid seed=[0] --jobs 0 --out s", "--jobs"),
        ("sweep_config_missing", "sweep --config {a}/nope.yaml --grid seed=[0] --out s", "nope.yaml"),
        ("sweep_empty_config", "sweep --config {a}/empty.yaml --grid seed=[0] --out s", "empty.yaml"),
        ("sweep_out_is_a_file", f"{SW} --grid seed=[0] --out {{f}}", "{f}"),
        ("sweep_out_read_only", f"{SW} --grid seed=[0] --out {{ro}}/s", "{ro}", RO),
        ("sweep_out_holds_other_files", f"{SW} --grid seed=[0] --out {{a}}/textdir", "textdir"),
        ("sweep_storage_is_a_file", f"{SW} --grid seed=[0] --storage {{f}} --out s", "{f}"),
        ("sweep_asha_bad_reduction", f"{SW} --grid seed=[0] --search asha --reduction 1 --out s", "--reduction"),
    ]),
    *_cases("studies", [
        ("study_unknown", "experiment nope_study", "nope_study"),
        ("study_out_is_a_file", "experiment normal_toy --quick --out {f}", "{f}"),
        ("study_out_read_only", "experiment normal_toy --quick --out {ro}/s", "{ro}", RO),
        ("study_out_holds_other_files", "experiment normal_toy --quick --out {a}/textdir", "textdir"),
        ("study_seeds_zero", "experiment normal_toy --quick --seeds 0 --out s", "--seeds"),
        ("study_jobs_zero", "experiment normal_toy --quick --jobs 0 --out s", "--jobs"),
        ("study_storage_is_a_file", "experiment normal_toy --quick --storage {f} --out s", "{f}"),
        ("study_in_a_read_only_folder", "experiment normal_toy --quick", "runs", {"cwd": "{ro}", "needs": ("ro",)}),
        ("report_page_missing", "report {a}/nope_page.md", "nope_page.md", {"code": 2}),
    ]),
]


# -- the files the cases read ------------------------------------------------------------
def make_assets(a: Path) -> None:
    """Write the input files the cases name into the folder ``a``."""
    import numpy as np

    a.mkdir(parents=True, exist_ok=True)
    (a / "tiny.yaml").write_text(TINY_YAML)
    (a / "empty.yaml").write_text("")
    (a / "comments.yaml").write_text("# a config, one day\n")
    (a / "list.yaml").write_text("- train\n- epochs\n")
    (a / "scalar.yaml").write_text("42\n")
    (a / "bad.yaml").write_text("train: {epochs: [1\n")
    (a / "afile").write_text("not a folder\n")
    rows = "\n".join(f"{i},{(i * 7) % 13},{i % 2}" for i in range(80))
    (a / "good.csv").write_text("a,b,y\n" + rows + "\n")
    (a / "few.csv").write_text("a,b,y\n1,2,0\n3,4,1\n")
    (a / "empty.csv").write_text("")
    (a / "header.csv").write_text("a,b,y\n")
    (a / "t.pkl").write_bytes(b"\x80\x04N.")
    (a / "t.xyz").write_text("a,b\n1,2\n")
    for d in ("emptydir", "textdir", "brokenpng/x", "folder.npy", "folder.csv"):
        (a / d).mkdir(parents=True, exist_ok=True)
    (a / "textdir" / "notes.txt").write_text("no images here\n")
    (a / "brokenpng" / "x" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    np.save(a / "flat.npy", np.arange(10.0))
    (a / "text.npy").write_text("not numpy\n")
    np.savez(a / "arrays.npz", images=np.zeros((4, 8, 8), np.uint8))


def _copy_run(env: dict[str, str], t: Path) -> Path:
    dst = t / "r"
    shutil.copytree(env["run"], dst)
    return dst


def _no_checkpoints(env: dict[str, str], t: Path) -> None:
    shutil.rmtree(_copy_run(env, t) / "checkpoints")


def _truncated_checkpoint(env: dict[str, str], t: Path) -> None:
    for p in (_copy_run(env, t) / "checkpoints").rglob("*.data-*"):
        p.write_bytes(p.read_bytes()[:16])


def _no_config(env: dict[str, str], t: Path) -> None:
    (_copy_run(env, t) / "config.yaml").unlink()


def _damaged_config(env: dict[str, str], t: Path) -> None:
    (_copy_run(env, t) / "config.yaml").write_text("train: {epochs: [\n")


def _config_a_list(env: dict[str, str], t: Path) -> None:
    (_copy_run(env, t) / "config.yaml").write_text("- train\n- epochs\n")


def _newer_format(env: dict[str, str], t: Path) -> None:
    p = _copy_run(env, t) / "manifest.json"
    p.write_text(json.dumps({**json.loads(p.read_text()), "format": 99}))


SETUPS: dict[str, Callable[[dict[str, str], Path], None]] = {
    "no_checkpoints": _no_checkpoints, "truncated_checkpoint": _truncated_checkpoint, "no_config": _no_config,
    "damaged_config": _damaged_config, "config_a_list": _config_a_list, "newer_format": _newer_format}


def quiet_main(argv: list[str]) -> tuple[int, str, str]:
    """``mpgan.cli.main(argv)`` in this process: (exit code, stdout, stderr)."""
    from mpgan.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 2
        except Exception as exc:  # noqa: BLE001  a traceback is what the census counts as a failure
            import traceback

            traceback.print_exc(file=err)
            code = f"raised {type(exc).__name__}"
    return code, out.getvalue(), err.getvalue()


def make_env(root: Path) -> dict[str, str]:
    """Assets, a read-only folder (when ``chattr`` works here) and two small trained runs: a
    toy run and a conditional table run. Undo the read-only folder with :func:`release`."""
    a = root / "assets"
    make_assets(a)
    env = {"a": str(a), "f": str(a / "afile"), "tiny": str(a / "tiny.yaml"), "run": str(root / "run"),
           "tab": str(root / "tab")}
    code, _, err = quiet_main(["train", "--config", env["tiny"], "--run-dir", env["run"]])
    assert code == 0, err
    code, _, err = quiet_main(["synthesize", "--data", str(a / "good.csv"), "--target", "y", "--epochs", "1",
                               "--run-dir", env["tab"], "--out", str(root / "tab.csv")])
    assert code == 0, err
    ro = root / "ro"
    ro.mkdir()
    shutil.copytree(env["run"], ro / "run")
    if subprocess.run(["chattr", "+i", str(ro / "run"), str(ro)], capture_output=True).returncode == 0:
        env["ro"] = str(ro)
    return env


def release(env: dict[str, str]) -> None:
    if "ro" in env:
        subprocess.run(["chattr", "-i", env["ro"], os.path.join(env["ro"], "run")], capture_output=True)


def _tree(folders: list[str]) -> set[str]:
    found: set[str] = set()
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            found.update(os.path.join(dirpath, n) for n in dirnames + filenames)
    return found


def _fill(text: str, fill: dict[str, str]) -> str:
    """``text`` with its placeholders filled in (YAML braces in ``--set`` values kept)."""
    return re.sub(r"\{(a|t|f|ro|run|tab|tiny)\}", lambda m: fill[m.group(1)], text)


def check_case(case: Case, env: dict[str, str], t: Path) -> str | None:
    """Run ``case`` with ``t`` as its folder; None when it passes, else what went wrong."""
    if any(n not in env for n in case.needs):
        return None
    fill = {**env, "t": str(t)}
    t.mkdir(parents=True, exist_ok=True)
    if case.setup:
        SETUPS[case.setup](env, t)
    watched = [str(t), env["a"], env["run"], env["tab"]] + ([env["ro"]] if "ro" in env else [])
    before = _tree(watched)
    argv = [_fill(arg, fill) for arg in shlex.split(case.argv)]
    here = os.getcwd()
    os.chdir(_fill(case.cwd, fill))
    try:
        code, _, err = quiet_main(argv)
    finally:
        os.chdir(here)
    errors = [line for line in err.splitlines() if line.startswith("error:") or ": error:" in line]
    culprit = _fill(case.culprit, fill)
    problems = []
    if code != case.code:
        problems.append(f"exit {code}, expected {case.code}")
    if "Traceback" in err:
        problems.append("a traceback")
    if "unrecognized arguments" in err:  # the case's own command line is wrong: it tests nothing
        problems.append("the case's command line does not parse")
    if len(errors) != 1:
        problems.append(f"{len(errors)} error lines")
    elif culprit not in errors[0]:
        problems.append(f"the error does not name {culprit!r}")
    left = sorted(_tree(watched) - before)
    if left:
        problems.append(f"left behind {left[:3]}")
    return "; ".join(problems) + (f" -- {errors[0] if errors else err.strip()[-300:]}" if problems else "") or None
