"""The ``tf.distribute`` strategy a config asks for, and who writes files under it.

Under ``MultiWorkerMirroredStrategy`` every worker runs the same program; the chief
writes the run directory, the other workers write theirs (checkpoints included: every
worker must take part in saving) into a temporary folder that is removed afterwards,
as TensorFlow's multi-worker guide recommends.
"""

from __future__ import annotations

import json
import os

import tensorflow as tf

from ..config import DistributeConfig
from ..errors import ConfigError


def build_strategy(cfg: DistributeConfig) -> tf.distribute.Strategy:
    """``default``: the current (default) strategy; ``mirrored``: ``MirroredStrategy``
    over ``cfg.devices`` (default: all local GPUs, else the CPU); ``multi_worker``:
    ``MultiWorkerMirroredStrategy`` over the cluster in ``TF_CONFIG`` (one worker when unset)."""
    if cfg.strategy == "default":
        return tf.distribute.get_strategy()
    if cfg.strategy == "mirrored":
        return tf.distribute.MirroredStrategy(cfg.devices)
    raw = os.environ.get("TF_CONFIG")
    if raw:
        try:
            tf_config = json.loads(raw)
            tf_config["cluster"], tf_config["task"]["type"], tf_config["task"]["index"]  # noqa: B018
        except (ValueError, KeyError, TypeError):
            raise ConfigError("TF_CONFIG must be JSON like {\"cluster\": {\"worker\": [\"host:port\", ...]}, "
                              f"\"task\": {{\"type\": \"worker\", \"index\": 0}}}}, got {raw!r}") from None
    try:
        return tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as exc:
        raise ConfigError(f"distribute.strategy multi_worker must be set up before TensorFlow runs anything "
                          f"else in this process (start a fresh process): {exc}") from None


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """True unless this process is a non-chief worker of a multi-worker cluster."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None:
        return True
    cluster = resolver.cluster_spec().as_dict()
    task_type, task_id = resolver.task_type, resolver.task_id
    if not cluster or task_type is None:
        return True
    if task_type == "chief":
        return True
    return task_type == "worker" and task_id == 0 and "chief" not in cluster
