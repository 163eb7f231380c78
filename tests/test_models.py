"""Model factories: reference parameter counts, shapes for any image size, logits,
column-aware tabular output, the layer-spec builder and its errors, the classifier."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest

import mpgan.models as M
from mpgan import (
    DISCRIMINATORS,
    GENERATORS,
    Column,
    DataSpec,
    ModelError,
    UnknownNameError,
)

MNIST = DataSpec("image", (28, 28, 1), (-1.0, 1.0), num_classes=10)
TOY = DataSpec("toy", (1,))
RAYLEIGH = DataSpec("toy", (1000,))
COLUMNS = (
    Column("age", "numeric", 1),
    Column("job", "categorical", 3, ("a", "b", "c")),
    Column("income", "numeric", 2),
    Column("sex", "categorical", 2, ("f", "m")),
)
TABLE = DataSpec("tabular", (8,), (-1.0, 1.0), columns=COLUMNS)

IMAGE_GENERATORS = [M.mpgan_generator, M.dcgan_generator]
IMAGE_DISCRIMINATORS = [M.mpgan_discriminator, M.dcgan_discriminator]
SIZES = [(8, 8), (25, 25), (28, 28), (32, 32), (20, 28)]

REFERENCE_D_SPEC = [
    {"type": "Conv2D", "filters": 64, "kernel_size": [3, 3], "strides": [2, 2], "padding": "valid"},
    {"type": "LeakyReLU", "negative_slope": 0.2},
    {"type": "Dropout", "rate": 0.4},
    {"type": "Conv2D", "filters": 64, "kernel_size": 3, "strides": 2, "padding": "same"},
    {"type": "LeakyReLU", "negative_slope": 0.2},
    {"type": "Dropout", "rate": 0.4},
    {"type": "Flatten"},
    {"type": "Dense", "units": 1},
]

REFERENCE_G_SPEC = [
    {"type": "Dense", "units": 6272, "use_bias": False},
    {"type": "BatchNormalization"},
    {"type": "Reshape", "target_shape": [7, 7, 128]},
    {"type": "Conv2DTranspose", "filters": 128, "kernel_size": 4, "strides": 2,
     "padding": "same", "use_bias": False},
    {"type": "LeakyReLU", "negative_slope": 0.2},
    {"type": "BatchNormalization"},
    {"type": "Conv2DTranspose", "filters": 128, "kernel_size": 4, "strides": 2,
     "padding": "same", "use_bias": False},
    {"type": "BatchNormalization"},
    {"type": "LeakyReLU", "negative_slope": 0.2},
    {"type": "Conv2D", "filters": 1, "kernel_size": 7, "padding": "same", "use_bias": False,
     "activation": "tanh"},
]


def _z(n: int, latent_dim: int, scale: float = 1.0) -> np.ndarray:
    return (np.random.default_rng(0).normal(size=(n, latent_dim)) * scale).astype("float32")


def _is_linear(layer: keras.layers.Layer) -> bool:
    return getattr(layer, "activation", keras.activations.linear) is keras.activations.linear


# --- the MP-GAN reference pair ---------------------------------------------------------------


def test_reference_parameter_counts():
    assert M.mpgan_generator(MNIST, latent_dim=100).count_params() == 1_183_872
    assert M.mpgan_discriminator(MNIST).count_params() == 40_705


def test_reference_discriminator_intermediate_shapes():
    d = M.mpgan_discriminator(MNIST)
    convs = [layer for layer in d.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [tuple(c.output.shape) for c in convs] == [(None, 13, 13, 64), (None, 7, 7, 64)]
    assert d.output_shape == (None, 1)


# --- image factories at any size -------------------------------------------------------------


@pytest.mark.parametrize("hw", SIZES, ids=lambda hw: f"{hw[0]}x{hw[1]}")
@pytest.mark.parametrize("factory", IMAGE_GENERATORS, ids=lambda f: f.__name__)
def test_image_generator_shapes_and_range(factory, hw):
    spec = DataSpec("image", (*hw, 1), (-1.0, 1.0))
    keras.utils.set_random_seed(0)
    g = factory(spec, latent_dim=16)
    assert g.output_shape == (None, *hw, 1)
    x = np.asarray(g(_z(2, 16, scale=10.0), training=False))
    assert x.shape == (2, *hw, 1)
    assert np.all(x >= -1.0) and np.all(x <= 1.0)


@pytest.mark.parametrize("hw", SIZES, ids=lambda hw: f"{hw[0]}x{hw[1]}")
@pytest.mark.parametrize("factory", IMAGE_DISCRIMINATORS, ids=lambda f: f.__name__)
def test_image_discriminator_shapes_and_logits(factory, hw):
    spec = DataSpec("image", (*hw, 1), (-1.0, 1.0))
    d = factory(spec)
    assert d.input_shape == (None, *hw, 1)
    assert d.output_shape == (None, 1)
    assert _is_linear(d.layers[-1])
    x = np.random.default_rng(0).uniform(-1, 1, size=(2, *hw, 1)).astype("float32")
    assert np.asarray(d(x, training=False)).shape == (2, 1)


def test_generator_rescales_to_other_value_range():
    spec = DataSpec("image", (8, 8, 1), (0.0, 1.0))
    x = np.asarray(M.dcgan_generator(spec, latent_dim=4, width=8)(_z(3, 4, 10.0), training=False))
    assert x.min() >= 0.0 and x.max() <= 1.0


def test_discriminator_outputs_unbounded_logits():
    d = M.mpgan_discriminator(MNIST)
    head = d.get_layer("logit")
    kernel, bias = head.get_weights()
    head.set_weights([np.zeros_like(kernel), np.full_like(bias, -5.0)])
    out = np.asarray(d(np.zeros((2, 28, 28, 1), "float32"), training=False))
    np.testing.assert_allclose(out, -5.0)  # a sigmoid could never give this


def test_dcgan_depth_validation():
    with pytest.raises(ModelError, match=r"depth=4 is too deep for 8x8 images.*at most 3"):
        M.dcgan_generator(DataSpec("image", (8, 8, 1), (-1, 1)), depth=4)
    with pytest.raises(ModelError, match="too deep"):
        M.dcgan_discriminator(DataSpec("image", (8, 8, 1), (-1, 1)), depth=5)
    assert M.dcgan_generator(DataSpec("image", (8, 8, 1), (-1, 1)), depth=3, width=4).output_shape == (
        None, 8, 8, 1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: M.mpgan_generator(TOY), "models 'image' data but the dataset's kind is 'toy'"),
        (lambda: M.dcgan_generator(MNIST, width=0), "width must be a positive integer, got 0"),
        (lambda: M.dcgan_discriminator(MNIST, dropout=1.5), r"dropout must be a number in \[0, 1\)"),
        (lambda: M.dcgan_discriminator(MNIST, norm="group"), "norm must be one of"),
        (lambda: M.mpgan_generator(MNIST, latent_dim=-3), "latent_dim must be a positive integer"),
        (lambda: M.mpgan_discriminator(DataSpec("image", (2, 2, 1))), "at least 3x3"),
        (lambda: M.mlp_generator(MNIST), "models 'tabular' or 'toy' data"),
        (lambda: M.mlp_generator(TABLE, hidden=(64, 0)), "hidden must be a list of positive integers"),
        (lambda: M.toy_discriminator(TABLE), "models 'toy' data but the dataset's kind is 'tabular'"),
        (lambda: M.toy_generator(TOY, activation="nope"), "'nope' is not a Keras activation"),
    ],
)
def test_bad_params_raise_model_error(call, message):
    with pytest.raises(ModelError, match=message):
        call()


# --- tabular ---------------------------------------------------------------------------------


def test_tabular_generator_follows_columns():
    keras.utils.set_random_seed(0)
    g = M.mlp_generator(TABLE, latent_dim=8, hidden=(16,))
    assert g.output_shape == (None, 8)
    assert g.get_layer("features").units == sum(c.width for c in COLUMNS)  # one head for every column
    assert g.get_layer("categories").blocks == [(1, 3), (6, 2)]  # softmax over job, over sex
    x = np.asarray(g(_z(4, 8, 5.0), training=False))
    np.testing.assert_allclose(x[:, 1:4].sum(axis=1), 1.0, atol=1e-5)  # job
    np.testing.assert_allclose(x[:, 6:8].sum(axis=1), 1.0, atol=1e-5)  # sex
    assert np.all(np.abs(x) <= 1.0)


def test_tabular_without_columns_and_discriminator():
    spec = DataSpec("tabular", (5,))
    g = M.mlp_generator(spec, latent_dim=4, activation="leaky_relu", batchnorm=False)
    assert g.output_shape == (None, 5) and _is_linear(g.layers[-1])
    d = M.mlp_discriminator(TABLE, hidden=(8, 8), dropout=0.0)
    assert d.output_shape == (None, 1) and _is_linear(d.layers[-1])


# --- toy -------------------------------------------------------------------------------------


def test_toy_models():
    g = M.toy_generator(TOY)
    assert g.input_shape == (None, 5) and g.output_shape == (None, 1)
    assert _is_linear(g.layers[-1])
    assert M.toy_generator(RAYLEIGH, latent_dim=3).output_shape == (None, 1000)
    d = M.toy_discriminator(TOY)
    dense = [layer for layer in d.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.activation for layer in dense[:-1]] == [keras.activations.tanh] * 3
    assert dense[-1].units == 1 and _is_linear(dense[-1])
    assert M.toy_discriminator(RAYLEIGH).input_shape == (None, 1000)
    lr = M.toy_discriminator(TOY, hidden=[])  # seed 003's logistic regression
    assert lr.count_params() == 2


def test_iid_generator_features_are_independent_draws():
    spec = DataSpec("toy", (6,))
    g = M.iid_generator(spec, noise_per_feature=3, hidden=(8,))
    assert g.input_shape == (None, 18) and g.output_shape == (None, 6)
    z = np.random.default_rng(0).normal(size=(4, 18)).astype("float32")
    z2 = z.copy()
    z2[:, 3:6] += 1.0  # the noise of feature 1 only
    diff = np.abs(np.asarray(g(z2)) - np.asarray(g(z))).max(axis=0)
    assert diff[1] > 1e-4 and np.all(diff[[0, 2, 3, 4, 5]] == 0)
    # one shared MLP: feature i given noise v equals feature j given the same noise
    z3 = np.tile(z[:, :3], (1, 6))
    out = np.asarray(g(z3))
    np.testing.assert_allclose(out, np.repeat(out[:, :1], 6, axis=1), rtol=1e-6)
    g_abs = M.iid_generator(spec, noise_per_feature=3, hidden=(8,), output="abs")
    g_abs.set_weights(g.get_weights())  # same weights: |linear output|
    np.testing.assert_allclose(np.asarray(g_abs(z)), np.abs(np.asarray(g(z))), rtol=1e-6)
    keras.models.clone_model(g_abs)  # serialisable (the EMA generator is a clone)
    with pytest.raises(ModelError, match="iid_generator output must be 'linear' or 'abs', got 'exp'"):
        M.iid_generator(spec, output="exp")


def test_set_discriminator_ignores_feature_order():
    d = M.set_discriminator(RAYLEIGH, hidden=(8, 8), head=(4,))
    x = np.random.default_rng(1).rayleigh(size=(3, 1000)).astype("float32")
    perm = np.random.default_rng(2).permutation(1000)
    np.testing.assert_allclose(np.asarray(d(x[:, perm])), np.asarray(d(x)), rtol=1e-5, atol=1e-6)
    assert d.output_shape == (None, 1)


# --- layer specs -----------------------------------------------------------------------------


def test_spec_builds_reference_pair():
    d = M.build_from_spec(REFERENCE_D_SPEC, (28, 28, 1), "d")
    assert d.count_params() == 40_705 and d.output_shape == (None, 1)
    assert DISCRIMINATORS.build("spec", MNIST, layers=REFERENCE_D_SPEC).count_params() == 40_705
    g = GENERATORS.build("spec", MNIST, layers=REFERENCE_G_SPEC, latent_dim=100)
    assert g.count_params() == 1_183_872 and g.output_shape == (None, 28, 28, 1)


def test_spec_accepts_case_insensitive_type_and_does_not_mutate_input():
    layers = [{"type": "flatten"}, {"type": "dense", "units": 1, "activation": "sigmoid"}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        M.spec_discriminator(DataSpec("image", (4, 4, 1)), layers)
    assert layers[-1]["activation"] == "sigmoid"


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        ([{"type": "Flatten"}, {"type": "Dens", "units": 1}],
         r"layer 1 has unknown type 'Dens'; did you mean 'Dense'"),
        ([{"type": "Flatten"}, {"type": "NoSuchLayerAtAll"}],
         r"layer 1 has unknown type 'NoSuchLayerAtAll'; use a keras.layers class name, e.g. .*Conv2D"),
        ([{"type": "Flatten"}, {"units": 1}], r"layer 1 has no 'type' key"),
        ([{"type": "Flatten"}, {"type": "Dense"}],
         r"layer 1 \(Dense\) is missing the required argument\(s\) 'units'"),
        ([{"type": "Flatten"}, {"type": "Dense", "units": 1, "colour": "red"}],
         r"layer 1 \(Dense\) got bad arguments: .*colour"),
        ([{"type": "Conv2D", "filters": 4, "kernel_size": 3, "padding": "sideways"}],
         r"layer 0 \(Conv2D\) got bad arguments"),
        ([{"type": "Conv2D", "filters": 4, "kernel_size": 9}, {"type": "Flatten"}],
         r"layer 0 \(Conv2D\) does not fit its input of shape \(None, 4, 4, 1\)"),
        ([{"type": "Reshape", "target_shape": [3, 3, 1]}],
         r"layer 0 \(Reshape\) does not fit its input of shape \(None, 4, 4, 1\): .*total size"),
        (["Dense"], r"layer 0 must be a mapping with a 'type' key"),
        ([], r"at least one layer"),
        ([{"type": "Flatten"}], r"output shape \(None, 16\) is not \(None, 1\)"),
    ],
)
def test_spec_errors(layers, message):
    with pytest.raises(ModelError, match=message):
        M.spec_discriminator(DataSpec("image", (4, 4, 1)), layers)


def test_spec_generator_shape_mismatch():
    layers = [{"type": "Dense", "units": 27 * 27}, {"type": "Reshape", "target_shape": [27, 27, 1]}]
    with pytest.raises(ModelError, match=r"spec generator output shape \(None, 27, 27, 1\) does "
                                         r"not match the dataset's sample shape \(28, 28, 1\)"):
        M.spec_generator(MNIST, layers, latent_dim=4)


def test_spec_sigmoid_is_converted_with_warning():
    spec = DataSpec("image", (4, 4, 1))
    dense = [{"type": "Flatten"}, {"type": "Dense", "units": 1, "activation": "sigmoid"}]
    with pytest.warns(UserWarning, match="made it linear.*objective applies the sigmoid"):
        d = M.spec_discriminator(spec, dense)
    assert _is_linear(d.layers[-1])
    act = [{"type": "Flatten"}, {"type": "Dense", "units": 1}, {"type": "Activation", "activation": "sigmoid"}]
    with pytest.warns(UserWarning, match=r"Activation\('sigmoid'\).*dropped"):
        d = M.spec_discriminator(spec, act)
    assert not any(isinstance(layer, keras.layers.Activation) for layer in d.layers)
    d.get_layer(index=-1).set_weights([np.zeros((16, 1), "float32"), np.array([-3.0], "float32")])
    np.testing.assert_allclose(np.asarray(d(np.zeros((2, 4, 4, 1), "float32"))), -3.0)


# --- classifier ------------------------------------------------------------------------------


def test_classifier_features_and_discriminator(tmp_path):
    spec = DataSpec("image", (8, 8, 1), (-1.0, 1.0), num_classes=3)
    keras.utils.set_random_seed(0)
    clf = M.build_classifier(spec, width=4, features=8)
    assert clf.output_shape == (None, 3) and clf.get_layer("features").units == 8
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(32, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 3, size=32)
    history = M.train_classifier(clf, x, y, epochs=1, batch_size=16, validation_split=0.25)
    assert "loss" in history.history and "val_loss" in history.history

    feats = M.classifier_features(clf)
    assert np.asarray(feats(x[:2], training=False)).shape == (2, 8)
    assert M.classifier_body(clf).output_shape == (None, 8)

    path = str(tmp_path / "clf.weights.h5")
    clf.save_weights(path)
    unlabeled = DataSpec("image", (8, 8, 1), (-1.0, 1.0))  # class count read from the file
    d = DISCRIMINATORS.build("classifier_discriminator", unlabeled, weights=path, width=4, features=8)
    assert d.output_shape == (None, 1) and _is_linear(d.layers[-1])
    assert np.asarray(d(x[:2], training=False)).shape == (2, 1)
    np.testing.assert_array_equal(
        d.get_layer("features").get_weights()[0], clf.get_layer("features").get_weights()[0]
    )
    frozen = M.classifier_discriminator(spec, weights=path, width=4, features=8, freeze_body=True)
    assert [w.shape for w in frozen.trainable_weights] == [(8, 1), (1,)]
    fresh = M.classifier_discriminator(spec, width=4, features=8)
    assert fresh.output_shape == (None, 1)
    assert fresh.count_params() == d.count_params()

    with pytest.raises(ModelError, match="does not exist"):
        M.classifier_discriminator(spec, weights=str(tmp_path / "missing.weights.h5"))
    with pytest.raises(ModelError, match="cannot load classifier weights"):
        M.classifier_discriminator(spec, weights=path, width=8, features=8)


def test_classifier_needs_num_classes():
    with pytest.raises(ModelError, match="needs num_classes"):
        M.build_classifier(DataSpec("image", (8, 8, 1)))
    with pytest.raises(ModelError, match="no layer named 'features'"):
        M.classifier_features(M.mpgan_discriminator(MNIST))


# --- pairing and registries ------------------------------------------------------------------


def test_check_pair():
    g, d = M.mpgan_generator(MNIST, latent_dim=8), M.mpgan_discriminator(MNIST)
    M.check_pair(g, d, MNIST)
    assert M.latent_dim_of(g) == 8
    bad_g = M.build_from_spec(
        [{"type": "Dense", "units": 27 * 27}, {"type": "Reshape", "target_shape": [27, 27, 1]}],
        (8,), "g")
    with pytest.raises(ModelError, match=r"generator output shape \(None, 27, 27, 1\) does not "
                                         r"match the dataset's sample shape \(28, 28, 1\)"):
        M.check_pair(bad_g, d, MNIST)
    with pytest.raises(ModelError, match=r"discriminator input shape \(None, 8, 8, 1\)"):
        M.check_pair(g, M.mpgan_discriminator(DataSpec("image", (8, 8, 1))), MNIST)
    no_logit = M.build_from_spec([{"type": "Flatten"}, {"type": "Dense", "units": 2}], (28, 28, 1), "d")
    with pytest.raises(ModelError, match=r"discriminator output shape \(None, 2\) is not \(None, 1\)"):
        M.check_pair(g, no_logit, MNIST)


GEN_CASES = {
    "mpgan_generator": MNIST, "dcgan_generator": MNIST, "mlp_generator": TABLE,
    "toy_generator": TOY,
}
DISC_CASES = {
    "mpgan_discriminator": MNIST, "dcgan_discriminator": MNIST, "mlp_discriminator": TABLE,
    "toy_discriminator": TOY, "classifier_discriminator": MNIST,
}


def test_registries_reach_every_factory():
    assert set(GEN_CASES) | {"spec"} <= set(GENERATORS.names())
    assert set(DISC_CASES) | {"spec"} <= set(DISCRIMINATORS.names())
    for name, spec in GEN_CASES.items():
        g = GENERATORS.build(name, spec, latent_dim=7)
        assert g.input_shape == (None, 7) and g.output_shape[1:] == spec.shape
        assert GENERATORS.get(name).__doc__.strip()
    for name, spec in DISC_CASES.items():
        d = DISCRIMINATORS.build(name, spec)
        assert d.output_shape == (None, 1) and _is_linear(d.layers[-1])
    with pytest.raises(UnknownNameError, match="unknown generator 'nope'.*mpgan_generator"):
        GENERATORS.build("nope", MNIST)


@pytest.mark.parametrize("shape", [(16, 7, 7, 8), (16, 32)])
def test_fused_batchnorm_matches_keras(shape):
    """mpgan's BatchNormalization (TensorFlow's fused kernel when training) computes what
    Keras' does: outputs, gradients, moving statistics, inference, weight names."""
    import tensorflow as tf

    from mpgan.models.layers import BatchNormalization

    x = tf.random.stateless_normal(shape, seed=(1, 2)) * 3.0 + 2.0
    ref, fused = keras.layers.BatchNormalization(), BatchNormalization()
    ref.build(shape)
    fused.build(shape)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y_ref, y_fused = ref(x, training=True), fused(x, training=True)
        l_ref, l_fused = tf.reduce_sum(tf.sin(y_ref)), tf.reduce_sum(tf.sin(y_fused))
    np.testing.assert_allclose(y_fused, y_ref, atol=1e-5)
    for a, b in zip(tape.gradient(l_fused, [x, *fused.trainable_variables]),
                    tape.gradient(l_ref, [x, *ref.trainable_variables]), strict=True):
        np.testing.assert_allclose(a, b, atol=5e-4, rtol=1e-4)
    np.testing.assert_allclose(fused.moving_mean, ref.moving_mean, atol=1e-6)
    np.testing.assert_allclose(fused.moving_variance, ref.moving_variance, rtol=1e-5)
    np.testing.assert_allclose(fused(x), ref(x), atol=1e-5)
    assert [w.path.split("/")[-1] for w in fused.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]


@pytest.mark.parametrize("kernel,filters,padding,bias", [(7, 1, "same", False), (4, 2, "same", True),
                                                         (3, 1, "valid", True), (5, 8, "same", False)])
def test_conv2d_matches_keras(kernel, filters, padding, bias):
    """mpgan's Conv2D (a matmul plus shifted adds with a hand-written gradient for few
    output channels) computes what Keras' Conv2D does, gradients included; filters=8 is
    above SHIFT_CONV_MAX_FILTERS and checks the fallback."""
    import tensorflow as tf

    from mpgan.models.layers import SHIFT_CONV_MAX_FILTERS, Conv2D

    shape = (3, 11, 9, 6)
    x = tf.random.stateless_normal(shape, seed=(3, 4))
    kw = dict(padding=padding, use_bias=bias, activation="tanh")
    ref, ours = keras.layers.Conv2D(filters, kernel, **kw), Conv2D(filters, kernel, **kw)
    ref.build(shape)
    ours.build(shape)
    ours.set_weights([w + 0.1 for w in ref.get_weights()])
    ref.set_weights(ours.get_weights())
    assert ours._shift_ok(x) == (filters <= SHIFT_CONV_MAX_FILTERS)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y_ref, y_ours = ref(x), ours(x)
        l_ref, l_ours = tf.reduce_sum(tf.sin(3 * y_ref)), tf.reduce_sum(tf.sin(3 * y_ours))
    assert y_ours.shape == y_ref.shape
    np.testing.assert_allclose(y_ours, y_ref, atol=1e-5)
    for a, b in zip(tape.gradient(l_ours, [x, *ours.trainable_variables]),
                    tape.gradient(l_ref, [x, *ref.trainable_variables]), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=1e-4)


def test_reference_generator_weights_load_into_a_stock_keras_model(tmp_path):
    """The mpgan layers keep Keras' weight layout: the reference generator's .weights.h5
    loads into the same architecture built from plain keras.layers, with equal outputs."""
    from keras import layers

    keras.utils.set_random_seed(0)
    g = GENERATORS.build("mpgan_generator", MNIST)
    g.save_weights(tmp_path / "g.weights.h5")
    z = keras.Input((100,))
    x = layers.Dense(7 * 7 * 128, use_bias=False)(z)
    x = layers.BatchNormalization()(x)
    x = layers.Reshape((7, 7, 128))(x)
    x = layers.Conv2DTranspose(128, 4, strides=2, padding="same", use_bias=False)(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Conv2DTranspose(128, 4, strides=2, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = layers.Conv2D(1, 7, padding="same", use_bias=False, activation="tanh")(x)
    stock = keras.Model(z, x)
    stock.load_weights(tmp_path / "g.weights.h5")
    zs = np.random.default_rng(0).standard_normal((4, 100)).astype("float32")
    np.testing.assert_allclose(stock(zs, training=True), g(zs, training=True), atol=1e-5)
    np.testing.assert_allclose(stock(zs), g(zs), atol=1e-5)
