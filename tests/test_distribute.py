"""The trainer under tf.distribute.MirroredStrategy over two logical CPU devices matches
single-device training on the same global batch."""

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent('''
    import json, sys
    import numpy as np, pandas as pd, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from mpgan import Trainer, load_config
    sets = ["name=m", "data=gaussian_mixture", "data.params.n=512", "generator=toy_generator",
            "discriminator=toy_discriminator", "objective=wasserstein_gp", "train.n_critic=2",
            "train.batch_size=32", "train.steps_per_epoch=6", "train.epochs=2",
            "train.tensorboard=false", "train.steps_per_call=4", "train.ema=0.9"]
    cfg = load_config(None, sets)
    out = sys.argv[1]
    single = Trainer.from_config(cfg, run_dir=out + "/single", progress=False)
    single.fit()
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    mirrored = Trainer.from_config(cfg, run_dir=out + "/mirrored", progress=False, strategy=strategy)
    mirrored.fit()
    diffs = [float(np.max(np.abs(a.numpy() - b.numpy())))
             for a, b in zip(single.generator.weights + single.discriminators[0].weights,
                             mirrored.generator.weights + mirrored.discriminators[0].weights)]
    ha, hb = pd.read_csv(out + "/single/history.csv"), pd.read_csv(out + "/mirrored/history.csv")
    resumed = Trainer.from_run(out + "/mirrored", progress=False)  # a mirrored checkpoint, restored on one device
    print(json.dumps({"replicas": strategy.num_replicas_in_sync, "max_weight_diff": max(diffs),
                      "max_history_diff": float((ha - hb).abs().to_numpy().max()),
                      "resumed_step": int(resumed.step.numpy()),
                      "resumed_diff": max(float(np.max(np.abs(a.numpy() - b.numpy())))
                                          for a, b in zip(mirrored.generator.weights, resumed.generator.weights))}))
''')


def test_mirrored_two_cpus_matches_single_device(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True,
                         timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    assert result["max_weight_diff"] < 1e-5
    assert result["max_history_diff"] < 1e-5
    assert result["resumed_step"] == 12 and result["resumed_diff"] == 0.0
