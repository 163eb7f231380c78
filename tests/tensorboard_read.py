"""Read a ``tensorboard/`` HParams folder back with TensorBoard's own event reader and
protobufs: the experiment's hyperparameters and metrics, and each session's values."""

from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2
from tensorboard.util import tensor_util


def _hparams_data(folder: Path) -> list:
    acc = EventAccumulator(str(folder), size_guidance={"tensors": 0})
    acc.Reload()
    try:
        content = acc.PluginTagToContent("hparams")
    except KeyError:
        content = {}
    return acc, [plugin_data_pb2.HParamsPluginData.FromString(c) for c in content.values()]


def read_hparams(folder: Path) -> tuple[dict, dict]:
    """({"hparams": {name: domain values}, "metrics": [tags]},
    {session: {"hparams": {name: value}, "group": group name, "scalars": {tag: [(step, value)]}}})."""
    _, data = _hparams_data(folder)
    experiment = next(d.experiment for d in data if d.HasField("experiment"))
    exp = {"hparams": {h.name: [v.WhichOneof("kind") and getattr(v, v.WhichOneof("kind"))
                                for v in h.domain_discrete.values] for h in experiment.hparam_infos},
           "metrics": [m.name.tag for m in experiment.metric_infos]}
    sessions = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        acc, data = _hparams_data(sub)
        start = next(d.session_start_info for d in data if d.HasField("session_start_info"))
        values = {k: getattr(v, v.WhichOneof("kind")) for k, v in start.hparams.items()}
        scalars = {tag: [(e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in acc.Tensors(tag)]
                   for tag in acc.Tags()["tensors"] if not tag.startswith("_hparams_")}
        sessions[sub.name] = {"hparams": values, "group": start.group_name, "scalars": scalars}
    return exp, sessions
