"""Search-space parsing: every word of the Hydra Optuna plugin, fixed values, and errors that name the key."""

from __future__ import annotations

import optuna
import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from motionlab.errors import ConfigError
from motionlab.sweep.compose import compose_config
from motionlab.sweep.pruning import make_pruner
from motionlab.sweep.space import SearchSpace, override_keys
from tests.helpers import CONFIG_DIR


def parse_one(value) -> SearchSpace:
    return SearchSpace.parse({"model.channels": value})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("choice(32, 64, 128)", CategoricalDistribution([32, 64, 128])),
        (
            "choice(adamw, 'two words', [16, 32], true)",
            CategoricalDistribution(["adamw", "two words", "[16,32]", True]),
        ),
        ("range(3, 6)", IntDistribution(3, 6)),  # hi included, as in the Hydra Optuna plugin
        ("range(2, 10, 4)", IntDistribution(2, 10, step=4)),
        ("range(0.5, 2.0, 0.5)", FloatDistribution(0.5, 2.0, step=0.5)),
        ("shuffle(range(1, 4))", None),  # a shuffled range is a choice of its values
        ("interval(0, 1)", FloatDistribution(0.0, 1.0)),
        ("int(interval(1, 10))", IntDistribution(1, 10)),
        ("tag(log, interval(1e-4, 1e-2))", FloatDistribution(1e-4, 1e-2, log=True)),
        ("tag(log, int(interval(16, 256)))", IntDistribution(16, 256, log=True)),
    ],
)
def test_every_search_word_maps_to_its_distribution(text, expected):
    space = parse_one(text)
    assert space.fixed == {}
    distribution = space.distributions["model.channels"]
    if expected is None:
        assert isinstance(distribution, CategoricalDistribution)
        assert sorted(distribution.choices) == [1, 2, 3]
    else:
        assert distribution == expected


@pytest.mark.parametrize(
    ("value", "override"),
    [
        ("workout_tcn", "workout_tcn"),
        (8, "8"),
        (0.25, "0.25"),
        (True, "true"),
        (None, "null"),
        ([16, 32], "[16,32]"),
    ],
)
def test_plain_values_are_fixed_for_every_trial(value, override):
    space = SearchSpace.parse({"experiment": value})
    assert space.distributions == {}
    assert space.fixed_overrides() == [f"experiment={override}"]


def test_sampled_values_round_trip_through_hydras_override_parser():
    space = SearchSpace.parse(
        {
            "a": "choice(adamw, 'two words', [16, 32], true)",
            "b": "range(2, 10, 4)",
            "c": "tag(log, interval(1e-6, 1e-2))",
            "d": "int(interval(1, 3))",
        }
    )
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    parser = OverridesParser.create()
    seen = set()
    for _ in range(30):
        trial = study.ask()
        values = {o.key_or_group: o.value() for o in parser.parse_overrides(space.suggest(trial))}
        assert values["a"] in ("adamw", "two words", [16, 32], True)
        assert values["b"] in (2, 6, 10) and isinstance(values["b"], int)
        assert 1e-6 <= values["c"] <= 1e-2 and isinstance(values["c"], float)
        assert values["d"] in (1, 2, 3)
        assert values["c"] == trial.params["c"]  # no precision lost on the way
        seen.add(str(values["a"]))
        study.tell(trial, 0.0)
    assert len(seen) == 4


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("choice(16, 32", "cannot parse"),
        ("choice()", "empty choice"),
        ("interval(1)", "missing a required argument"),
        ("frobnicate(1, 2)", "Unknown function"),
        ("interval(2, 1)", "interval"),
        ("range(6, 3)", "range"),
        ("range(1, 5, -1)", "positive step"),
        ("tag(lg, interval(1, 2))", "unknown tag"),
        ("tag(log, interval(0, 1))", "log"),
        ("tag(log, choice(1, 2))", "unknown tag"),
        ("glob(*)", "not a search the sweep supports"),
    ],
)
def test_bad_syntax_raises_an_error_naming_the_parameter(text, problem):
    with pytest.raises(ConfigError, match=r"^search\.params\.model\.channels: ") as error:
        parse_one(text)
    assert problem in str(error.value)
    assert "choice(" in str(error.value)  # and says what is allowed


def test_keys_set_on_the_command_line_are_neither_searched_nor_fixed_by_the_search_file():
    space = SearchSpace.parse(
        {"experiment": "workout_tcn", "model.channels": "choice(16, 32)", "seed": "range(1, 3)"}
    )
    keys = override_keys(["experiment=other", "model.channels=64", "+trainer.limit_train_batches=2"])
    assert keys == {"experiment", "model.channels", "trainer.limit_train_batches"}
    narrowed = space.without(keys)
    assert narrowed.fixed == {} and list(narrowed.distributions) == ["seed"]


@pytest.mark.parametrize("search", sorted(p.stem for p in (CONFIG_DIR / "search").glob("*.yaml")))
def test_every_search_file_parses_and_its_trials_compose(search, tmp_path):
    """Dropping a file into configs/search/ is all it takes to add a search; this checks it."""
    sweep = compose_config(CONFIG_DIR, "sweep", [f"search={search}"])
    space = SearchSpace.parse(OmegaConf.to_container(sweep.search.params), where=f"search/{search}")
    assert space.distributions, "a search file should search something"
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(3):
        sampled = space.suggest(study.ask())
        cfg = compose_config(CONFIG_DIR, "train", [*space.fixed_overrides(), *sampled])
        for override in OverridesParser.create().parse_overrides(sampled):
            assert OmegaConf.select(cfg, override.key_or_group) == override.value()


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("median", optuna.pruners.MedianPruner),
        ("successive_halving", optuna.pruners.SuccessiveHalvingPruner),
        ("hyperband", optuna.pruners.HyperbandPruner),
        ("none", optuna.pruners.NopPruner),
    ],
)
def test_pruner_names_build_optunas_pruners(name, kind):
    settings = compose_config(CONFIG_DIR, "sweep", [f"sweep.pruner.name={name}"]).sweep
    assert isinstance(make_pruner(settings.pruner, max_epochs=10), kind)


def test_unknown_pruner_is_a_config_error():
    settings = compose_config(CONFIG_DIR, "sweep", ["sweep.pruner.name=mean"]).sweep
    with pytest.raises(ConfigError, match=r"sweep\.pruner\.name: unknown pruner 'mean'"):
        make_pruner(settings.pruner, max_epochs=10)
