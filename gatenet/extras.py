"""gatenet's distribution name and its optional extras, each declared once with its install hint.

In the manner of Keras's `keras/src/utils/module_utils.py`: every extra names the modules it brings,
`missing()` says (without importing anything) which one is absent, and `LazyModule` imports a module on
first use. Whatever is missing fails the same way everywhere, as one `MissingExtra` line that names the
package and the command that installs it:

    training needs the 'train' extra (tf2onnx is missing): pip install 'gatenet-logic[train]'

The import name stays `gatenet`; only the distribution is called `gatenet-logic`, because the name
`gatenet` on PyPI belongs to another project.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from types import ModuleType

DISTRIBUTION = "gatenet-logic"


class MissingExtra(ImportError):
    """A module of an optional extra is not installed; the message says how to install it."""

    def __init__(self, extra: str, module: str, message: str) -> None:
        super().__init__(message, name=module)
        self.extra = extra


@dataclass(frozen=True)
class Extra:
    """One optional extra of `pyproject.toml`: the modules it brings, and what needs it."""

    name: str
    modules: tuple[str, ...]
    needed_by: str  # the hint's subject: "training needs the 'train' extra (...)"

    @property
    def install(self) -> str:
        """The command that installs this extra."""
        return f"pip install '{DISTRIBUTION}[{self.name}]'"

    def hint(self, module: str, needed_by: str | None = None) -> str:
        """One line: what needs this extra, which module is missing, and the command that installs it."""
        subject = needed_by or self.needed_by
        return f"{subject} needs the '{self.name}' extra ({module} is missing): {self.install}"

    def missing(self) -> str | None:
        """The first of this extra's modules that is not installed, or None; imports nothing new."""
        return next((module for module in self.modules if not _installed(module)), None)

    def error(self, cause: ImportError | str, needed_by: str | None = None) -> MissingExtra:
        """The error to raise for a failed import (or a module name) of this extra."""
        module = cause if isinstance(cause, str) else cause.name or self.missing() or self.modules[0]
        return MissingExtra(self.name, module, self.hint(module, needed_by))

    def require(self, needed_by: str | None = None) -> None:
        """Raise `MissingExtra` when a module of this extra is not installed."""
        module = self.missing()
        if module is not None:
            raise self.error(module, needed_by)


EXTRAS: dict[str, Extra] = {
    extra.name: extra
    for extra in (
        Extra("train", ("tensorflow", "keras", "tf2onnx", "onnx"), "training"),
        Extra("plot", ("matplotlib", "graphviz"), "gatenet plot"),
        Extra("ray", ("ray",), "--ray"),
        Extra("c", ("onnx",), "export-c"),
        Extra("serve", ("starlette", "uvicorn"), "gatenet serve"),
    )
}


def extra(name: str) -> Extra:
    """The extra called `name`; a KeyError names the known ones."""
    try:
        return EXTRAS[name]
    except KeyError:
        raise KeyError(f"no extra {name!r} (extras: {', '.join(EXTRAS)})") from None


def install_command(name: str) -> str:
    """`pip install 'gatenet-logic[NAME]'`."""
    return extra(name).install


def hint(name: str, module: str, needed_by: str | None = None) -> str:
    """The one-line install hint for `module` of extra `name`."""
    return extra(name).hint(module, needed_by)


def missing(name: str) -> str | None:
    """The first module of extra `name` that is not installed, or None."""
    return extra(name).missing()


def require(name: str, needed_by: str | None = None) -> None:
    """Raise `MissingExtra` unless every module of extra `name` is installed."""
    extra(name).require(needed_by)


def error(name: str, cause: ImportError | str, needed_by: str | None = None) -> MissingExtra:
    """`MissingExtra` for a failed import of extra `name`: `raise extras.error("c", err) from None`."""
    return extra(name).error(cause, needed_by)


class LazyModule:
    """A module of an extra, imported on first attribute access; `MissingExtra` if it is not installed.

    `onnx = LazyModule("onnx", "c")` at module level costs nothing until `onnx.load(...)` runs.
    """

    def __init__(self, module: str, extra_name: str, needed_by: str | None = None) -> None:
        self._name = module
        self._extra = extra(extra_name)
        self._needed_by = needed_by
        self._module: ModuleType | None = None

    @property
    def available(self) -> bool:
        """Whether the module is installed; imports nothing."""
        return self._module is not None or _installed(self._name)

    def load(self) -> ModuleType:
        """The module itself, imported now if it was not yet."""
        if self._module is None:
            try:
                self._module = importlib.import_module(self._name)
            except ImportError as cause:
                raise self._extra.error(cause, self._needed_by) from None
        return self._module

    def __getattr__(self, attribute: str) -> object:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return getattr(self.load(), attribute)

    def __repr__(self) -> str:
        return f"LazyModule({self._name!r}, extra={self._extra.name!r})"


def _installed(module: str) -> bool:
    """Whether `module` can be imported, without importing it (one blocked in sys.modules is not)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ValueError:  # in sys.modules without a spec: imported already
        return True
    except ImportError:  # a parent package that fails to import
        return False
