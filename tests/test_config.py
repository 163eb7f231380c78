import pytest

from mpgan import ConfigError, load_config
from mpgan.config import Config


def test_defaults_and_overrides():
    cfg = load_config(None, ["train.epochs=3", "generator.params.latent_dim=32", "name=x"])
    assert cfg.train.epochs == 3 and cfg.generator.params == {"latent_dim": 32} and cfg.name == "x"
    assert cfg.train.g_optimizer.name == "adam"


def test_yaml_file_and_component_shorthand(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("name: t\ngenerator: dcgan_generator\ntrain: {d_optimizer: sgd, batch_size: 8}\n")
    cfg = load_config(p)
    # a renamed component does not inherit the default's params
    assert cfg.generator.name == "dcgan_generator" and cfg.generator.params == {}
    assert cfg.train.d_optimizer.name == "sgd" and cfg.train.d_optimizer.params == {}
    assert Config.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize("override, message", [
    ("train.batch_size=7", "train.batch_size must be a positive even number"),
    ("train.batch_size=0", "train.batch_size must be a positive even number"),
    ("train.epochs=0", "train.epochs must be a positive integer, got 0"),
    ("train.epochs=abc", "train.epochs must be an integer, got 'abc'"),
    ("train.bogus=1", "unknown key 'train.bogus'; valid keys under train: epochs"),
    ("train.schedule=weird", "train.schedule must be one of joint, mpgan, n_critic"),
    ("train.label_smoothing=1.5", "train.label_smoothing must be in [0, 1)"),
    ("train.latent_std=0", "train.latent_std must be positive, got 0"),
    ("distribute.strategy=horovod", "distribute.strategy must be one of default, mirrored, multi_worker"),
    ("distribute.devices=[/gpu:0]", "distribute.devices applies to the mirrored strategy only"),
    ("train.g_optimizer.learning_rate=-1", "train.g_optimizer.learning_rate must be positive"),
    ("seed=[1", "is not valid YAML"),
    ("noequals", "--set expects key.sub=value"),
])
def test_bad_values_are_one_clear_sentence(override, message):
    with pytest.raises(ConfigError) as err:
        load_config(None, [override])
    assert message in str(err.value)
    assert str(err.value).startswith("config error:")


@pytest.mark.parametrize("overrides, message", [
    (["eval.metrics=[fdi]"], "eval.metrics names the unknown metric 'fdi' (did you mean 'fid'?)"),
    (["discriminator.params={conditional: projection}"],
     "discriminator.params.conditional needs a conditional generator: set generator.params.conditional: true"),
    (["discriminators=[{name: mpgan_discriminator}, {name: mpgan_discriminator, params: {conditional: projection}}]",
      "generator.params={conditional: false}"], "discriminators[1].params.conditional needs a conditional generator"),
    (["generator.params={conditional: true}",
      "discriminator={name: mpgan_discriminator, view: 2, params: {conditional: projection}}"],
     "discriminator: a conditional discriminator cannot take a view yet"),
    (["train.swaps=[{at_step: 10, g_optimizer: {name: sgd}}, {at_epoch: 2, g_optimizer: {name: adam}}]"],
     "train.swaps must all use at_epoch or all use at_step"),
])
def test_cross_field_rules_are_checked_when_the_config_loads(overrides, message):
    """Rules between keys fail at load time, before any data or model is built."""
    with pytest.raises(ConfigError) as err:
        load_config(None, overrides)
    assert message in str(err.value)


@pytest.mark.parametrize("override, message", [
    ("train.g_optimizer.name=rmsprp", "train.g_optimizer.name: unknown optimizer 'rmsprp' (did you mean 'rmsprop'?)"),
    ("train.swaps=[{at_epoch: 1, d_optimizer: {name: sgdd}}]",
     "train.swaps[0].d_optimizer.name: unknown optimizer 'sgdd' (did you mean 'sgd'?)"),
    ("discriminator={name: mpgan_discriminator, optimizer: {name: adamm}}",
     "discriminator.optimizer.name: unknown optimizer 'adamm' (did you mean 'adam'?)"),
    ("generator.name=dcgan_generatr", "generator.name: unknown generator 'dcgan_generatr' (did you mean 'dcgan_generator'?)"),
    ("discriminators=[{name: dcgan_discriminator}, {name: mlp_discriminatr}]",
     "discriminators[1].name: unknown discriminator 'mlp_discriminatr' (did you mean 'mlp_discriminator'?)"),
    ("data.name=mnst", "data.name: unknown dataset 'mnst' (did you mean 'mnist'?)"),
    ("objective.name=hing", "objective.name: unknown objective 'hing' (did you mean 'hinge'?)"),
    ("train.aggregate=gmn", "train.aggregate: unknown aggregator 'gmn' (did you mean 'gman'?)"),
    ("train.aggregate_params={temperature: 2}", "train.aggregate_params for mean take nothing, got ['temperature']"),
    ("train.regularizers=[{name: r11, weight: 1}]", "train.regularizers[0].name: unknown regularizer 'r11' (did you mean 'r1'?)"),
    ("train.augment={policy: [translation, cutuot]}",
     "train.augment.policy[1]: unknown augmentation 'cutuot' (did you mean 'cutout'?)"),
])
def test_every_registry_name_is_checked_when_the_config_loads(override, message):
    """A misspelt name fails at load time with the key and the nearest registered name."""
    with pytest.raises(ConfigError) as err:
        load_config(None, [override])
    assert message in str(err.value)


def test_exponent_without_a_dot_is_a_number():
    # YAML 1.1 reads 1e-3 as text; a float field takes it as the number it means
    cfg = load_config(None, ["train.g_optimizer.learning_rate=1e-3", "train.label_smoothing=1E-1"])
    assert cfg.train.g_optimizer.learning_rate == 0.001 and cfg.train.label_smoothing == 0.1
    with pytest.raises(ConfigError, match="train.latent_std must be a number, got 'wide'"):
        load_config(None, ["train.latent_std=wide"])


def test_odd_batch_allowed_for_joint_schedule():
    assert load_config(None, ["train.schedule=joint", "train.batch_size=7"]).train.batch_size == 7


def test_missing_file():
    with pytest.raises(ConfigError, match="does not exist"):
        load_config("/nonexistent/cfg.yaml")


def test_malformed_tf_config_is_one_clear_sentence(monkeypatch):
    from mpgan.config import DistributeConfig
    from mpgan.training.distribute import build_strategy

    monkeypatch.setenv("TF_CONFIG", '{"cluster": {}}')
    with pytest.raises(ConfigError, match="TF_CONFIG must be JSON like"):
        build_strategy(DistributeConfig("multi_worker"))


@pytest.mark.parametrize("override, message", [
    ("privacy={max_grad_nrm: 1, target_epsilon: 3}",
     "unknown key 'privacy.max_grad_nrm' (did you mean 'privacy.max_grad_norm'?); valid keys under privacy: "
     "noise_multiplier, target_epsilon, max_grad_norm, delta, accountant"),
    ("train.swaps=[{at_epoch: 1, g_optimizer: {name: adam, lerning_rate: 0.1}}]",
     "unknown key 'train.swaps[0].g_optimizer.lerning_rate' (did you mean 'train.swaps[0].g_optimizer.learning_rate'?)"),
    ("discriminators=[{name: mpgan_discriminator, viw: 2}]",
     "unknown key 'discriminators[0].viw' (did you mean 'discriminators[0].view'?)"),
    ("privacy=3", "privacy must be a mapping, got 3"),
    ("generator=5", "generator must be a mapping or a registry name, got 5"),
    ("train.epochs=2.5", "train.epochs must be an integer, got 2.5"),
    ("train.deterministic=maybe", "train.deterministic must be true or false, got 'maybe'"),
    ("generator={params: {}}", None),
])
def test_errors_inside_optional_and_list_sections_name_the_key(override, message):
    """A typo inside an optional section (privacy, a swap's optimizer) or a list item is
    reported at its own key with the nearest spelling, not as "must be X or null"."""
    if message is None:  # a section without its name keeps the default's
        assert load_config(None, [override]).generator.name == "mpgan_generator"
        return
    with pytest.raises(ConfigError) as err:
        load_config(None, [override])
    assert message in str(err.value)


def test_json_schema_accepts_every_shipped_config_and_refuses_a_typo():
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    from mpgan.config import packaged_configs
    from mpgan.config_reference import config_json_schema

    schema = config_json_schema()
    assert schema["$defs"]["PrivacyConfig"]["properties"]["max_grad_norm"]["description"].startswith(
        "each real row's gradient is clipped")
    for path in packaged_configs().values():
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)  # `objective: hinge` shorthand too
    with pytest.raises(jsonschema.ValidationError, match="max_grad_nrm"):
        jsonschema.validate({"privacy": {"max_grad_nrm": 1}}, schema)


def test_mpgan_config_prints_the_resolved_config(capsys):
    import yaml

    from mpgan.cli import main

    assert main(["config", "-c", "breast_cancer_mlp", "--set", "train.epochs=7"]) == 0
    resolved = yaml.safe_load(capsys.readouterr().out)
    assert resolved["train"]["epochs"] == 7 and resolved["data"]["name"] == "breast_cancer"
    assert resolved["train"]["n_critic"] == 1  # a default the file does not set
    assert main(["config", "--set", "privacy.max_grad_nrm=1"]) == 2
    assert "did you mean 'privacy.max_grad_norm'" in capsys.readouterr().err


def test_an_aggregator_registered_as_a_function_is_a_config_error(monkeypatch):
    from mpgan.registry import AGGREGATORS

    monkeypatch.setattr(AGGREGATORS, "_entries", dict(AGGREGATORS._entries))  # unregistered after the test

    @AGGREGATORS.register("plain_function_test", override=True)
    def plain(losses):
        return losses[0]

    with pytest.raises(ConfigError, match="train.aggregate 'plain_function_test' is registered as .*, not an "
                                          "Aggregator subclass"):
        load_config(None, ["train.aggregate=plain_function_test"])
