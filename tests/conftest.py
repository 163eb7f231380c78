import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

if os.environ.get("PYTEST_XDIST_WORKER"):
    # `pytest -n 2` on 2 cores: one TensorFlow thread per worker, not two fighting for each core.
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


# With `-n 2 --dist loadfile` whole files go to the two workers in collection order, so the
# longest files (measured: a minute or more each) start first and the short ones fill in at
# the end, instead of one worker finishing alone on the alphabetically last, longest files.
LONGEST_FIRST = ["test_trainer_controls.py", "test_sweeps.py", "test_stabilizers.py", "test_studies_mpgan.py",
                 "test_configs.py", "test_study_augmentation.py", "test_audit.py", "test_evaluate.py", "test_dp.py",
                 "test_studies_toy.py", "test_synthesis.py", "test_run_files.py", "test_studies_latent.py",
                 "test_cli.py", "test_trainer.py", "test_evaluate_anything.py", "test_notebooks.py",
                 "test_distribute.py", "test_real_tables.py", "test_privacy.py", "test_private_release.py", "test_run_dir.py",
                 "test_census.py", "test_registry.py", "test_plugins.py", "test_calibration.py"]


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: each file keeps its order
