"""The built-in metrics, registered with what they declare.

Each is ``fn(ctx) -> dict`` on an :class:`~mpgan.metrics.context.EvalContext`; the
numeric work lives in :mod:`.images`, :mod:`.stats` and :mod:`.tabular` as pure
functions on arrays and DataFrames. A fork adds a metric the same way::

    from mpgan.registry import METRICS

    @METRICS.register("mean_ink", kinds=["image"], goal="info", range=(0, 1), cheap=True)
    def mean_ink(ctx):
        \"\"\"Mean pixel intensity of the samples.\"\"\"
        return {"value": float((ctx.fake + 1).mean() / 2)}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..registry import METRICS

INF = float("inf")


def _conditional_run(trainer: Any) -> str | None:
    if getattr(trainer, "condition_dim", 0):
        return None
    return "scores a conditional run (generator.params.conditional: true); this run's generator is unconditional"


def _fid_lines(fid: dict[str, Any], result: dict[str, Any]) -> list[str]:
    lines = [f"FID {fid['value']:.2f} ({fid['n_fake']} samples vs {result.get('reference', 'real images')})"]
    if "ladder" in fid:
        from .calibration import LADDER

        labels = {r.name: r.label for r in LADDER}
        lines.append(f"  reads as: {fid['reads_as']}")
        lines.append(f"  calibration ladder (same extractor, n = {fid['ladder_n']}):")
        lines += [f"    {labels.get(k, k):32s} {v:8.2f}" for k, v in fid["ladder"].items()]
    return lines


@METRICS.register("fid", kinds=["image"], goal="lower", range=(0, INF), needs_extractor=True, cheap=True,
                  summary=_fid_lines)
def fid(ctx) -> dict[str, Any]:
    """Fréchet distance between real and generated features (with the calibration ladder)."""
    from .images import fid_from_features

    out = fid_from_features(ctx.real_features[0], ctx.fake_features[0])
    if ctx.ladder:
        from .calibration import calibration_ladder, place

        ref = ctx.reference
        lad = calibration_ladder(ref["reference"], ref["pool_x"], ref["pool_y"], ctx.extractor, seed=ctx.seed)
        out["ladder"] = {k: v["fid"] for k, v in lad["rungs"].items()}
        out["ladder_n"] = lad["n"]
        out["reads_as"] = place(out["value"], lad)
    return out


@METRICS.register("kid", kinds=["image"], goal="lower", range=(-INF, INF), needs_extractor=True, cheap=True)
def kid(ctx) -> dict[str, Any]:
    """Kernel Inception Distance analogue: unbiased polynomial-kernel MMD², mean ± std over subsets."""
    from .images import kid_from_features

    return kid_from_features(ctx.real_features[0], ctx.fake_features[0], seed=ctx.seed)


@METRICS.register("is", kinds=["image"], goal="higher", range=(1, INF), needs_extractor=True, cheap=True)
def inception_score(ctx) -> dict[str, Any]:
    """Inception Score analogue from the dataset classifier (at most its number of classes)."""
    from .images import inception_score_from_probs

    return {**inception_score_from_probs(ctx.fake_features[1]), "n_real": int(len(ctx.real))}


@METRICS.register("precision_recall", kinds=["image"], goal="higher", range=(0, 1), needs_extractor=True,
                  cheap=True)
def precision_recall(ctx) -> dict[str, Any]:
    """Improved precision and recall (k-NN manifolds, Kynkäänniemi et al. 2019)."""
    from .images import precision_recall_from_features

    return precision_recall_from_features(ctx.real_features[0], ctx.fake_features[0])


def _coverage_lines(cov: dict[str, Any], result: dict[str, Any]) -> list[str]:
    shares = ", ".join(f"{n} {s:.1%}" for n, s in zip(cov["class_names"], cov["histogram"], strict=True))
    return [f"class shares (classifier labels): {shares}",
            f"  classes below half their fair share: {cov['n_missing']} {cov['missing'] or ''}".rstrip(),
            f"  mean classifier confidence {cov['mean_confidence']:.3f} "
            f"(real reference images: {cov['real_confidence']:.3f})"]


@METRICS.register("mode_coverage", kinds=["image"], goal="info", range=(0, INF), needs_extractor=True,
                  cheap=True, summary=_coverage_lines)
def mode_coverage(ctx) -> dict[str, Any]:
    """Class shares of the samples by the dataset classifier; classes under half their share; confidence."""
    from .images import mode_coverage as coverage

    p_fake, p_real = ctx.fake_features[1], ctx.real_features[1]
    names = ctx.extractor.info.get("class_names") or None
    if names is not None and len(names) != p_fake.shape[1]:
        names = None
    # The classifier's mean confidence (max probability): real images set its scale.
    return {**coverage(p_fake, class_names=names), "n_real": int(len(ctx.real)),
            "mean_confidence": float(p_fake.max(axis=1).mean()),
            "real_confidence": float(p_real.max(axis=1).mean())}


def _has_discriminator(trainer: Any) -> str | None:
    if getattr(trainer, "discriminators", None):
        return None
    return "needs a trained run's discriminator; these samples come without one"


@METRICS.register("discriminator_accuracy", kinds=["image"], goal="info", range=(0, 1), cheap=True,
                  requires=_has_discriminator)
def discriminator_accuracy(ctx) -> dict[str, Any]:
    """The run's discriminator on held-out real vs generated samples."""
    from .images import discriminator_accuracy as accuracy

    d = ctx.trainer.discriminators[0]
    if getattr(d, "condition_dim", 0):
        return {"skipped": "a conditional discriminator needs labels with each image"}
    return accuracy(d, ctx.real, ctx.fake)


def _agreement_lines(agree: dict[str, Any], result: dict[str, Any]) -> list[str]:
    lines = [f"label agreement {agree['value']:.1%} (classifier labels = requested class; worst class "
             f"{agree['min_class']:.1%}, mean confidence {agree['mean_confidence']:.3f})"]
    if "real_accuracy" in agree:
        lines.append(f"  the classifier on real reference images: {agree['real_accuracy']:.1%} right")
    return lines


@METRICS.register("label_agreement", kinds=["image"], goal="higher", range=(0, 1), needs_extractor=True,
                  cheap=True, requires=_conditional_run, summary=_agreement_lines)
def label_agreement(ctx) -> dict[str, Any]:
    """Conditional runs: the share of samples asked for class k that the classifier calls k."""
    k, n = ctx.trainer.condition_dim, ctx.n
    samples, asked = ctx.labelled_fake
    probs = ctx.extractor.probabilities(samples)
    hit = probs.argmax(axis=1) == asked
    per_class = [float(hit[asked == c].mean()) if (asked == c).any() else float("nan") for c in range(k)]
    out = {"value": float(hit.mean()), "per_class": per_class, "min_class": float(np.nanmin(per_class)),
           "mean_confidence": float(probs.max(axis=1).mean()), "n_fake": int(n)}
    real_y = ctx.reference["reference_y"]
    if real_y is not None:  # the judge's own accuracy on real images is the scale
        out["real_accuracy"] = float((ctx.real_features[1].argmax(axis=1) == real_y).mean())
    return out


@METRICS.register("distribution", kinds=["toy"], goal="info", range=(0, INF), cheap=True)
def distribution(ctx) -> dict[str, Any]:
    """Moments, KS, Cramér–von Mises and W1 against the known distribution and the real sample."""
    from ..data.toy import reference_distribution
    from .stats import distribution_report

    dist = reference_distribution(ctx.dataset)
    real = ctx.dataset.x
    if ctx.out_dir is not None:
        from .. import plots

        plots.plot_toy_samples(real, ctx.fake, ctx.out_dir / "histogram.png",
                               density=dist.pdf if dist is not None else None,
                               title=f"{ctx.trainer.config.name}: generated vs real")
    return distribution_report(ctx.fake.ravel(), real=real.ravel(), dist=dist)


def _has_holdout(trainer: Any) -> str | None:
    if getattr(trainer.dataset, "holdout", None) is not None:
        return None
    return ("needs real rows held out of training to compare with, and this run has none; train with "
            "data.params.holdout (mpgan synthesize --holdout 0.3)")


def _run_kinds(ds: Any, frame: Any) -> dict[Any, str] | None:
    """``{column: kind}`` the run's table was trained with (its saved schema), so the metrics
    score each column as it was modelled, forced kinds included; None for a run without one."""
    schema = ds.info.get("schema")
    if not schema:
        return None
    by_name = {c["name"]: c["kind"] for c in schema["columns"]}
    return {c: by_name[str(c)] for c in frame.columns if str(c) in by_name}


def _privacy_lines(report: dict[str, Any], result: dict[str, Any]) -> list[str]:
    return [f"privacy, {name.replace('_', ' ')}: {text}" for name, text in report.get("readings", {}).items()]


@METRICS.register("privacy", kinds=["tabular"], goal="info", range=(0, 1), requires=_has_holdout,
                  summary=_privacy_lines)
def privacy(ctx) -> dict[str, Any]:
    """DCR, NNDR, exact copies and membership-inference AUCs against held-out rows, with readings."""
    import pandas as pd

    from .privacy import privacy_report

    ds = ctx.dataset
    train = ds.frame if ds.frame is not None else pd.DataFrame(ds.inverse_transform(ds.x))
    synthetic = pd.DataFrame(ds.inverse_transform(ctx.fake))
    target = ds.info.get("target")
    kinds = _run_kinds(ds, train)
    if kinds is not None:
        return privacy_report(train, ds.holdout, synthetic, kinds=kinds, seed=ctx.seed)
    return privacy_report(train, ds.holdout, synthetic, categorical=[target] if target is not None else None,
                          seed=ctx.seed)


@METRICS.register("tabular", kinds=["tabular"], goal="info", range=(0, INF))
def tabular(ctx) -> dict[str, Any]:
    """Column fidelity, correlations, TSTR vs TRTR and distance to closest record (report.md)."""
    import pandas as pd
    from sklearn.model_selection import train_test_split

    from .tabular import tabular_report

    ds = ctx.dataset
    real = ds.frame if ds.frame is not None else pd.DataFrame(ds.inverse_transform(ds.x))
    synthetic = pd.DataFrame(ds.inverse_transform(ctx.fake))
    target = ds.info.get("target")
    if ds.holdout is not None:
        train, test = real, ds.holdout
        note = f"TSTR/TRTR are scored on {len(test)} real rows held out of training."
    else:
        strat = real[target] if target in real.columns else None
        try:
            train, test = train_test_split(real, test_size=0.3, random_state=ctx.seed, stratify=strat)
        except ValueError:
            train, test = train_test_split(real, test_size=0.3, random_state=ctx.seed)
        note = ("This run held no rows out of training, so the test rows below were seen by the generator "
                "and TSTR is optimistic; train with data.params.holdout (mpgan synthesize --holdout 0.3) "
                "for an honest score.")
    kinds = _run_kinds(ds, real)
    categorical = [target] if target is not None and kinds is None else None
    return tabular_report(train, test, synthetic, target=target, out_dir=ctx.out, note=note,
                          categorical=categorical, kinds=kinds)
