"""Metrics: image (FID-style, KID, IS analogue, precision/recall, mode coverage),
distribution (moments, KS, Cramér–von Mises, W1) and tabular (column fidelity,
correlations, TSTR vs TRTR, distance to closest record), plus ``evaluate`` for a run,
``evaluate_samples`` for images from anywhere and ``evaluate_tables`` for any synthetic table."""

from . import builtin, features, images, stats, tabular
from .callback import MetricsCallback, metrics_callbacks
from .context import EvalContext, reference_images
from .evaluate import available_metrics, evaluate, flatten, format_table
from .features import FeatureExtractor, classifier_extractor, inception_extractor
from .images import (
    discriminator_accuracy,
    evaluate_images,
    fid_from_features,
    fid_sample_size_study,
    frechet_distance,
    inception_score_from_probs,
    kid_from_features,
    mode_coverage,
    precision_recall_from_features,
)
from .samples import evaluate_samples
from .stats import (
    cramervonmises_1samp,
    cramervonmises_2samp,
    distribution_report,
    ks_1samp,
    ks_2samp,
    mode_masses,
    moments,
    wasserstein1,
    wasserstein1_to_cdf,
)
from .tables import evaluate_tables
from .tabular import (
    column_report,
    correlation_difference,
    distance_to_closest_record,
    tabular_report,
    utility,
)

__all__ = [
    "builtin", "features", "images", "stats", "tabular", "EvalContext", "reference_images",
    "MetricsCallback", "metrics_callbacks", "available_metrics", "evaluate", "flatten", "format_table",
    "evaluate_samples", "evaluate_tables",
    "FeatureExtractor", "classifier_extractor", "inception_extractor",
    "discriminator_accuracy", "evaluate_images", "fid_from_features", "fid_sample_size_study",
    "frechet_distance", "inception_score_from_probs", "kid_from_features", "mode_coverage",
    "precision_recall_from_features",
    "cramervonmises_1samp", "cramervonmises_2samp", "distribution_report", "ks_1samp", "ks_2samp",
    "mode_masses", "moments", "wasserstein1", "wasserstein1_to_cdf",
    "column_report", "correlation_difference", "distance_to_closest_record", "tabular_report", "utility",
]
