"""Error types. Every user mistake raises a subclass of :class:`MpganError`
whose message is one sentence naming the bad input and what is expected;
the CLI prints it and exits non-zero without a traceback."""

from __future__ import annotations


class MpganError(Exception):
    """Base class for errors caused by user input (config, data, files)."""


class ConfigError(MpganError, ValueError):
    """A config value is missing, of the wrong type or out of range."""

    def __init__(self, message: str):
        super().__init__(message if message.startswith("config error") else f"config error: {message}")


class DataError(MpganError, ValueError):
    """A dataset could not be loaded or holds values mpgan cannot train on."""


class UnknownNameError(MpganError, KeyError):
    """A registry lookup used a name that is not registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class ModelError(MpganError, ValueError):
    """A model or layer spec does not fit the data or is malformed."""


class DivergenceError(MpganError, FloatingPointError):
    """A training loss became NaN or infinite."""
