"""``RunConfig``: a training run, typed — data, method, optimisation and runtime — built
from a preset plus flags, validated in one place, saved as ``config.json`` and loaded back
into the same type (the tensorflow/models way: nested dataclasses, presets registered in
``presets.py``)."""

from __future__ import annotations

import dataclasses
import json

from colorization_tf import models
from colorization_tf.colorizers.config import MethodConfig
from colorization_tf.data.config import DataConfig
from colorization_tf.training.strategies import STRATEGIES


class ConfigError(ValueError):
    """A flag or preset value that cannot work; the message names the flag."""


@dataclasses.dataclass(frozen=True)
class OptimConfig:
    """Adam with the papers' staircase decay; other networks learn at a scale of the
    generator's rate (``scales``: role -> factor, e.g. the cGAN's D at 0.1).
    ``cosine_to_zero``: the rate falls by a half cosine to 0 over the run's updates instead
    (the short ``samples`` schedule, where the papers' staircase never fires and a constant
    rate leaves the validation error oscillating from epoch to epoch)."""

    learning_rate: float = 1e-3
    decay_rate: float | None = None
    decay_steps: int | None = None
    cosine_to_zero: bool = False
    beta_1: float = 0.9
    beta_2: float = 0.999
    weight_decay: float | None = None
    scales: dict = dataclasses.field(default_factory=dict)

    def scale(self, role: str) -> float:
        """The learning-rate factor of the optimiser for ``role`` (1 unless stated)."""
        return float(self.scales.get(role, 1.0))


@dataclasses.dataclass(frozen=True)
class RuntimeConfig:
    """How long and on what: schedule, batch, precision, compilation, distribution."""

    epochs: int = 200
    samples_epochs: int | None = None  # the short schedule used on `samples`
    batch_size: int = 128
    steps_per_epoch: int | None = None
    eval_examples: int | None = None  # validation and end-of-run metrics on a spread subset
    # train on random image_size crops of images fitted to image_size * crop_scale px
    crop_scale: float | None = None
    # None: on where the device computes the lower precision natively (training.precision
    # decides when the run starts; config.json records the decision)
    mixed_precision: bool | None = None
    # bfloat16 even on a CPU without native bfloat16 (--mixed_precision=force)
    force_mixed_precision: bool = False
    jit_compile: bool = False
    strategy: str = "default"
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Everything a training run is; later commands need nothing else."""

    preset: str
    method: MethodConfig
    optim: OptimConfig
    data: DataConfig
    runtime: RuntimeConfig
    num_classes: int = 0  # filled from the data source when training starts

    # -- (de)serialisation --------------------------------------------------------------

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_dict(cls, values: dict) -> RunConfig:
        """The config ``to_dict`` gave; raises ConfigError for a config.json of another
        layout (e.g. written by an older version)."""
        try:
            return cls(preset=values["preset"], method=_typed(MethodConfig, values["method"]),
                       optim=_typed(OptimConfig, values["optim"]),
                       data=DataConfig.from_dict(values["data"]),
                       runtime=_typed(RuntimeConfig, values["runtime"]),
                       num_classes=int(values.get("num_classes", 0)))
        except (KeyError, TypeError) as err:
            raise ConfigError(f"not a run configuration of this version ({err})") from None

    def replace(self, **sections) -> RunConfig:
        """A copy with whole sections or top-level fields replaced."""
        return dataclasses.replace(self, **sections)

    # -- validation ----------------------------------------------------------------------

    def validate(self) -> RunConfig:
        """Raises ConfigError naming the flag whose value cannot work; returns self."""
        runtime, data = self.runtime, self.data
        checks = [
            (runtime.batch_size >= 1, f"--batch_size={runtime.batch_size}: expected a positive "
                                      "integer"),
            (runtime.epochs >= 1, f"--epochs={runtime.epochs}: expected a positive integer"),
            (runtime.steps_per_epoch is None or runtime.steps_per_epoch >= 1,
             f"--steps_per_epoch={runtime.steps_per_epoch}: expected a positive integer"),
            (runtime.eval_examples is None or runtime.eval_examples >= 1,
             f"--eval_examples={runtime.eval_examples}: expected a positive integer"),
            (runtime.crop_scale is None or runtime.crop_scale >= 1.0,
             f"--crop_scale={runtime.crop_scale}: expected a factor of at least 1"),
            (runtime.strategy in STRATEGIES,
             f"--strategy={runtime.strategy}: expected one of {', '.join(STRATEGIES)}"),
            (self.optim.learning_rate > 0,
             f"--learning_rate={self.optim.learning_rate}: expected a positive number"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)
        try:
            data.validate()
            self.method.validate()
        except ValueError as err:
            raise ConfigError(str(err)) from None
        factor = input_multiple(self.method)
        if data.image_size % factor:
            raise ConfigError(
                f"--image_size={data.image_size}: preset {self.preset} needs a multiple of "
                f"{factor} (e.g. {max(factor, data.image_size // factor * factor)})")
        return self


def input_multiple(method: MethodConfig) -> int:
    """The factor the image size must be divisible by: the generator's downsampling (the
    network object is made without pretrained weights, so nothing is downloaded)."""
    spec = dict(method.generator)
    if "backbone_weights" in spec:
        spec["backbone_weights"] = "none"
    return int(getattr(models.build(spec), "downsampling", 1))


def _typed(cls, values: dict):
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(values) - names
    if unknown:
        raise TypeError(f"unknown {cls.__name__} fields {sorted(unknown)}")
    return cls(**values)


DATA_FLAGS = tuple(f.name for f in dataclasses.fields(DataConfig))
RUNTIME_FLAGS = tuple(f.name for f in dataclasses.fields(RuntimeConfig))


def apply_flags(preset: RunConfig, **flags) -> RunConfig:
    """The preset with every flag that was given (not None) applied on top, validated.
    Data flags (``dataset``, ``image_size``, ...) go to ``data``, runtime flags
    (``batch_size``, ``mixed_precision``, ...) to ``runtime``; ``seed`` to both; without
    ``epochs``, the preset's short ``samples_epochs`` applies on ``samples``, with the
    learning rate annealed to 0 over it (``OptimConfig.cosine_to_zero``)."""
    given = {k: v for k, v in flags.items() if v is not None}
    method = preset.method
    if "backbone_weights" in given:
        method = with_backbone_weights(method, given.pop("backbone_weights"))
    unknown = set(given) - set(DATA_FLAGS) - set(RUNTIME_FLAGS) - {"learning_rate"}
    if unknown:
        raise ConfigError(f"unknown settings {sorted(unknown)}")
    data = dataclasses.replace(preset.data, **{k: v for k, v in given.items()
                                               if k in DATA_FLAGS})
    runtime = dataclasses.replace(preset.runtime, **{k: v for k, v in given.items()
                                                     if k in RUNTIME_FLAGS})
    optim = preset.optim
    if "epochs" not in given and data.dataset == "samples" and runtime.samples_epochs:
        runtime = dataclasses.replace(runtime, epochs=runtime.samples_epochs)
        optim = dataclasses.replace(optim, cosine_to_zero=True)
    if "image_size" in method.generator:  # networks built for a fixed input size
        method = dataclasses.replace(method, generator={**method.generator,
                                                        "image_size": data.image_size})
    if "learning_rate" in given:
        optim = dataclasses.replace(optim, learning_rate=given["learning_rate"])
    return preset.replace(method=method, data=data, runtime=runtime, optim=optim).validate()


def precision_settings(value: str | None) -> dict:
    """The runtime settings ``--mixed_precision=VALUE`` (true | false | force) stands for;
    none when the flag is not given."""
    if value is None:
        return {}
    return {"mixed_precision": value != "false", "force_mixed_precision": value == "force"}


def with_backbone_weights(method: MethodConfig, weights: str) -> MethodConfig:
    """``--backbone_weights``: none | imagenet | PATH for presets with a pretrained
    backbone (multipath's ResNet-18, classification_vgg16's VGG16)."""
    if "backbone_weights" not in method.generator:
        raise ConfigError(f"--backbone_weights={weights}: this preset's {method.name} "
                          "network has no pretrained backbone")
    return dataclasses.replace(method, generator={**method.generator,
                                                  "backbone_weights": weights})


def override(config: RunConfig, **values) -> RunConfig:
    """``config`` with each value set on every section that has a field of that name
    (e.g. ``generator=`` on the method, ``learning_rate=`` on the optimiser, ``seed=`` on
    data and runtime): how notebooks and tests change a preset."""
    sections = {"method": config.method, "optim": config.optim, "data": config.data,
                "runtime": config.runtime}
    for name, value in values.items():
        owners = [key for key, part in sections.items()
                  if name in {f.name for f in dataclasses.fields(part)}]
        if not owners:
            raise ConfigError(f"{name!r} is not a setting of any config section")
        for key in owners:
            sections[key] = dataclasses.replace(sections[key], **{name: value})
    return config.replace(**sections)
