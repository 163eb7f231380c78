"""MultiWorkerMirroredStrategy with two worker processes on localhost: both end with the
same weights, only the chief writes the run directory, and its checkpoint resumes in a
single process."""

import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

SETS = ["name=mw", "data=gaussian_mixture", "data.params.n=512", "generator=toy_generator",
        "discriminator=toy_discriminator", "train.batch_size=32", "train.steps_per_epoch=6", "train.epochs=2",
        "train.tensorboard=false", "train.steps_per_call=3", "train.checkpoint_every=1"]

WORKER = textwrap.dedent('''
    import json, sys
    import numpy as np
    from mpgan import Trainer, load_config
    out, index, sets = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    cfg = load_config(None, sets + ["distribute.strategy=multi_worker"])
    t = Trainer.from_config(cfg, run_dir=out + "/run", progress=False)
    t.fit()
    np.savez(out + f"/worker{index}.npz", *[w.numpy() for w in t.generator.weights + t.discriminators[0].weights])
    print(json.dumps({"chief": t.is_chief, "replicas": t.strategy.num_replicas_in_sync, "step": int(t.step.numpy())}))
''')

RESUME = textwrap.dedent('''
    import json, sys
    import numpy as np, tensorflow as tf
    from mpgan import Trainer
    out = sys.argv[1]
    t = Trainer.from_run(out + "/run", progress=False, strategy=tf.distribute.get_strategy())
    np.savez(out + "/resumed.npz", *[w.numpy() for w in t.generator.weights + t.discriminators[0].weights])
    step = int(t.step.numpy())
    t.fit(epochs=3)  # and it keeps training on one device
    print(json.dumps({"step": step, "after": int(t.step.numpy())}))
''')


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _load(path):
    with np.load(path) as f:
        return [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]


@pytest.mark.slow  # two TensorFlow processes: about 20 s
def test_two_workers_on_localhost(tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    procs = []
    try:
        for i in range(2):
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TMPDIR": str(scratch),
                   "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})}
            procs.append(subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path), str(i), json.dumps(SETS)],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
        deadline = time.monotonic() + 240
        outs = []
        for p in procs:
            stdout, stderr = p.communicate(timeout=max(1, deadline - time.monotonic()))
            assert p.returncode == 0, stderr[-3000:]
            outs.append(json.loads(stdout.strip().splitlines()[-1]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert [o["chief"] for o in outs] == [True, False]
    assert all(o["replicas"] == 2 and o["step"] == 12 for o in outs)
    w0, w1 = _load(tmp_path / "worker0.npz"), _load(tmp_path / "worker1.npz")
    assert all(np.array_equal(a, b) for a, b in zip(w0, w1, strict=True))
    assert list(scratch.iterdir()) == []  # the non-chief's temporary run folder is gone
    run = tmp_path / "run"
    assert (run / "history.csv").is_file() and len((run / "history.csv").read_text().splitlines()) == 13

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    res = subprocess.run([sys.executable, "-c", RESUME, str(tmp_path)], capture_output=True, text=True,
                         timeout=240, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["step"] == 12 and out["after"] == 18
    resumed = _load(tmp_path / "resumed.npz")
    assert all(np.array_equal(a, b) for a, b in zip(w0, resumed, strict=True))
