"""Each objective against values computed by hand from fixed logits."""

import math

import numpy as np
import pytest
import tensorflow as tf

from mpgan import OBJECTIVES

REAL = np.array([[0.0], [math.log(3.0)]], np.float32)  # sigmoid: 0.5, 0.75
FAKE = np.array([[-math.log(3.0)], [2.0]], np.float32)  # sigmoid: 0.25, 0.8808


def sig(x):
    return 1 / (1 + np.exp(-x))


def terms(name, smoothing=0.0):
    obj = OBJECTIVES.build(name)
    return [float(v) for v in (obj.d_real(tf.constant(REAL), smoothing), obj.d_fake(tf.constant(FAKE)),
                               obj.g(tf.constant(FAKE)))]


def test_non_saturating():
    d_real, d_fake, g = terms("non_saturating")
    assert d_real == pytest.approx((math.log(2) + math.log(4 / 3)) / 2, rel=1e-6)
    assert d_fake == pytest.approx(-np.mean(np.log(1 - sig(FAKE))), rel=1e-6)
    assert g == pytest.approx(-np.mean(np.log(sig(FAKE))), rel=1e-6)


def test_one_sided_label_smoothing():
    d_real, _, _ = terms("non_saturating", smoothing=0.1)
    p = sig(REAL)
    assert d_real == pytest.approx(-np.mean(0.9 * np.log(p) + 0.1 * np.log(1 - p)), rel=1e-6)


def test_minimax():
    d_real, d_fake, g = terms("minimax")
    assert d_real == pytest.approx((math.log(2) + math.log(4 / 3)) / 2, rel=1e-6)
    assert g == pytest.approx(np.mean(np.log(1 - sig(FAKE))), rel=1e-6)  # negative: G minimises it


def test_least_squares():
    d_real, d_fake, g = terms("least_squares")
    assert d_real == pytest.approx(0.5 * np.mean((REAL - 1) ** 2), rel=1e-6)
    assert d_fake == pytest.approx(0.5 * np.mean(FAKE ** 2), rel=1e-6)
    assert g == pytest.approx(0.5 * np.mean((FAKE - 1) ** 2), rel=1e-6)


def test_hinge():
    d_real, d_fake, g = terms("hinge")
    assert d_real == pytest.approx(np.mean(np.maximum(0, 1 - REAL)), rel=1e-6)  # (1 + 0)/2 ... = 0.5 + 0*
    assert d_fake == pytest.approx(np.mean(np.maximum(0, 1 + FAKE)), rel=1e-6)
    assert g == pytest.approx(-np.mean(FAKE), rel=1e-6)


def test_combined_call():
    obj = OBJECTIVES.build("non_saturating")
    d, g = obj(tf.constant(REAL), tf.constant(FAKE))
    d_real, d_fake, g_ref = terms("non_saturating")
    assert float(d) == pytest.approx(d_real + d_fake, rel=1e-6)
    assert float(g) == pytest.approx(g_ref, rel=1e-6)
