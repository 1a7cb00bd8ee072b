"""What network to build and how to train it: plain data, so it can live in model metadata."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

DEFAULT_RESTARTS = 4  # seeds trained side by side per gate; the best verified one is kept


class NetworkError(ValueError):
    """A network setting that cannot be used; the message names the setting."""


@dataclass(frozen=True)
class NetworkSpec:
    """The tutorial's network by default: Dense(16, relu) -> Dense(sigmoid) per output, MSE, Adam.

    The learning rate is 0.01 rather than Keras' 0.001: with 1000 full-table steps the classic rate
    leaves easy gates such as OR short of a confident answer. Hidden biases start at 0.01, not 0:
    with zero biases the all-zeros input row gives every ReLU a pre-activation of exactly 0, whose
    gradient is 0, so that row can stay stuck at 0.5; that is the classic recipe's ~1-in-170 XOR
    failure. With both, every shipped gate verified on every one of 1000 seeds.
    """

    hidden: tuple[int, ...] = (16,)
    activation: str | tuple[str, ...] = "relu"
    output_activation: str = "sigmoid"
    loss: str = "mse"
    optimizer: str = "adam"
    learning_rate: float = 0.01
    steps: int = 1000
    hidden_bias: float = 0.01

    def __post_init__(self) -> None:
        hidden = tuple(self.hidden)
        if any(isinstance(units, bool) or not isinstance(units, int) or units < 1 for units in hidden):
            raise NetworkError(f"hidden: each layer needs a whole number of units >= 1, got {hidden}")
        activation = self.activation
        if isinstance(activation, str):
            activation = (activation,) * len(hidden)
        activation = tuple(activation)
        if len(activation) != len(hidden):
            raise NetworkError(
                f"activation: give one activation, or one per hidden layer ({len(hidden)}), "
                f"got {list(activation)}"
            )
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 1:
            raise NetworkError(f"steps: must be a whole number >= 1, got {self.steps!r}")
        if isinstance(self.hidden_bias, bool) or not isinstance(self.hidden_bias, (int, float)):
            raise NetworkError(f"hidden_bias: must be a number, got {self.hidden_bias!r}")
        if not isinstance(self.learning_rate, (int, float)) or not self.learning_rate > 0:
            raise NetworkError(f"learning_rate: must be a number > 0, got {self.learning_rate!r}")
        object.__setattr__(self, "hidden", hidden)
        object.__setattr__(self, "activation", activation)
        object.__setattr__(self, "learning_rate", float(self.learning_rate))
        object.__setattr__(self, "hidden_bias", float(self.hidden_bias))

    def with_changes(self, **changes: object) -> NetworkSpec:
        """A copy with the given settings changed; `None` values leave a setting as it is.

        A new `hidden` keeps a single shared activation, so `hidden=(8, 8)` needs no activation list.
        """
        changes = {key: value for key, value in changes.items() if value is not None}
        if "hidden" in changes and "activation" not in changes and len(set(self.activation)) <= 1:
            changes["activation"] = self.activation[0] if self.activation else "relu"
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return {
            key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()
        }
