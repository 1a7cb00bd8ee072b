"""Finds gate plugins and collects the gates they register, so that one broken plugin hurts nobody else.

Plugins load in this order, each under a name:
1. gatenet's own plugins (entry points of the `gatenet-logic` distribution), by entry-point name;
2. third-party entry points in the `gatenet` group, by entry-point name;
3. modules or `.py` files listed in `GATENET_PLUGINS` (comma-separated), in order;
4. modules or `.py` files given with `gatenet -p`, in order.
Names in `GATENET_DISABLE_PLUGINS` or given as `-p no:NAME` are not loaded at all, and
`--no-third-party` (or `GATENET_NO_THIRD_PARTY=1`) skips step 2. No plugin wins a clash: two gates
with one name are both left out and reported, so disable or rename one of them. Two plugins with
one name are a clash too: the later one is not loaded, and that is reported.

A plugin runs its own code while it is imported and while its hook runs. Then anything it prints goes
to stderr, an exception or `sys.exit()` becomes a reported problem, and Ctrl-C still stops the
command but names the plugin it stopped.

Each `PluginManager` keeps its own record of what it loaded, so `new_plugin_manager()` gives a test or
an embedding app plugins that nobody else shares. `get_plugin_manager()` is this process's manager:
the one the command line, `gatenet.train` and the server use when they are given none.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pluggy

from gatenet import hookspecs, supervisor, watchdog
from gatenet.circuit import Circuit
from gatenet.errors import describe
from gatenet.extras import DISTRIBUTION
from gatenet.family import Family
from gatenet.gate import DEFAULT_TRUTH_TIMEOUT, Gate, deferring_errors, truth_timeout
from gatenet.registry import Registry, add_circuits, add_gates

PROJECT = hookspecs.hookspec.project_name  # the name pluggy knows gatenet's hooks by
ENTRY_POINT_GROUP = "gatenet"
BUILTIN_DISTRIBUTION = DISTRIBUTION  # entry points of this distribution are the built-in plugins
ENV_PLUGINS = "GATENET_PLUGINS"
ENV_DISABLE = "GATENET_DISABLE_PLUGINS"
ENV_NO_THIRD_PARTY = "GATENET_NO_THIRD_PARTY"


def _hook_names() -> tuple[str, ...]:
    """The hooks `gatenet.hookspecs` defines, found by pluggy's own rule rather than listed twice."""
    specs = pluggy.PluginManager(PROJECT)
    return tuple(sorted(name for name in dir(hookspecs) if specs.parse_hookspec_opts(hookspecs, name)))


HOOKS = _hook_names()


@dataclass
class PluginInfo:
    """Where a plugin came from, and why it did not load if it did not."""

    name: str
    source: str
    origin: str
    error: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.error) and self.source not in ("disabled", "skipped")


class PluginManager(pluggy.PluginManager):
    """gatenet's hooks, and a record of every plugin this manager was asked to load: which loaded,
    which failed, were disabled or skipped and why, and which were not loaded for an earlier one's name."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.add_hookspecs(hookspecs)
        self._infos: dict[str, PluginInfo] = {}
        self._clashes: list[str] = []  # plugins not loaded because an earlier plugin has their name
        self._installed_loaded = False  # steps 1-3 of the load order, done by the first `load`

    def load(self, extra: Sequence[str] = (), disabled: Sequence[str] = (), third_party: bool = True) -> None:
        """Load the plugins in the documented order. The first call also loads the installed ones and
        `GATENET_PLUGINS`, so its `disabled` and `third_party` apply to them; later calls add `extra`."""
        for name in [*_env_list(ENV_DISABLE), *disabled]:
            self.set_blocked(name)
            self._infos[name] = PluginInfo(name, "disabled", "", "disabled on request")
        if not self._installed_loaded:
            self._installed_loaded = True
            third_party = third_party and os.environ.get(ENV_NO_THIRD_PARTY, "") in ("", "0")
            found = sorted(
                ((*_distribution(ep), ep) for ep in entry_points(group=ENTRY_POINT_GROUP)),
                key=lambda item: (item[0] != BUILTIN_DISTRIBUTION, item[2].name),
            )
            for dist_name, origin, entry_point in found:
                source = "builtin" if dist_name == BUILTIN_DISTRIBUTION else "entry point"
                if source == "entry point" and not third_party:
                    self._infos[entry_point.name] = PluginInfo(
                        entry_point.name, "skipped", origin, "--no-third-party"
                    )
                    continue
                self._load_one(entry_point.name, source, origin, entry_point.load)
            for spec in _env_list(ENV_PLUGINS):
                self._load_one(*_module_loader(spec, ENV_PLUGINS))
        for spec in extra:
            self._load_one(*_module_loader(spec, "-p"))

    def plugin_infos(self) -> list[PluginInfo]:
        """Every plugin known so far: loaded, failed, disabled, or registered in-process by a test."""
        infos = dict(self._infos)
        for name, plugin in self.list_name_plugin():
            if name not in infos and plugin is not None:
                infos[name] = PluginInfo(name, "in-process", _file_of(plugin))
        return list(infos.values())

    def problems(self) -> list[str]:
        """Each plugin that failed to load or register, and each not loaded for another one's name."""
        failed = [f"plugin {info.name!r} {info.error}" for info in self._infos.values() if info.failed]
        return failed + self._clashes

    def left_out(self) -> list[str]:
        """The names of the plugins whose gates are missing on purpose or by failure, sorted."""
        infos = sorted(self._infos.values(), key=lambda info: info.name)
        return [info.name for info in infos if info.source in ("disabled", "skipped") or info.failed]

    def _load_one(self, name: str, source: str, origin: str, load: Callable[[], object]) -> None:
        """Import and register one plugin; any failure is recorded against its name instead of raised."""
        if self.is_blocked(name):
            return
        earlier = self._infos.get(name)
        if earlier is not None and earlier.source == "skipped":  # by --no-third-party, so the name is free
            earlier = None
        if earlier is None and self.has_plugin(name):
            earlier = PluginInfo(name, "in-process", _file_of(self.get_plugin(name)))
        if earlier is not None:
            if not self._same_plugin(earlier, origin):
                self._clashes.append(
                    f"plugin {name!r} from {origin} ({source}) is not loaded: plugin {name!r} from "
                    f"{earlier.origin or 'unknown'} ({earlier.source}) has that name; rename one of them"
                )
            return
        info = self._infos[name] = PluginInfo(name, source, origin)
        try:
            with _running(name, "loading"):
                plugin = load()
        except (Exception, SystemExit) as error:
            info.error = f"failed to load: {describe(error)}"
            return
        unknown = [
            attr
            for attr in dir(plugin)
            if self.parse_hookimpl_opts(plugin, attr) is not None and attr not in HOOKS
        ]
        if unknown:
            info.error = (
                f"defines {', '.join(unknown)}, which gatenet has no hook for (hooks: {', '.join(HOOKS)})"
            )
            return
        try:
            self.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as error:
            info.error = f"cannot be registered: {' '.join(str(error).split())}"
        if hasattr(plugin, "__file__"):
            info.origin = origin if source in ("builtin", "entry point") else plugin.__file__

    def _same_plugin(self, earlier: PluginInfo, origin: str) -> bool:
        """Whether `origin` names the plugin already loaded as `earlier`: the same file, or the same
        module (which Python imported once), given twice."""
        plugin = self.get_plugin(earlier.name)
        return origin == earlier.origin or (plugin is not None and sys.modules.get(origin) is plugin)


def new_plugin_manager(
    extra: Sequence[str] = (), disabled: Sequence[str] = (), third_party: bool = True
) -> PluginManager:
    """A plugin manager of its own with the plugins loaded in the documented order, so that what a
    test or an embedding app loads reaches no other manager."""
    manager = PluginManager()
    manager.load(extra, disabled, third_party)
    return manager


@functools.cache
def _process_manager() -> PluginManager:
    """This process's manager, empty until the first `load_plugins` or `get_plugin_manager`: the one
    thing the command line, `gatenet.train` and the server share, so that `-p` reaches all of them."""
    return PluginManager()


def load_plugins(extra: Sequence[str] = (), disabled: Sequence[str] = (), third_party: bool = True) -> None:
    """Load plugins into this process's manager; call before the first `collect_gates` to configure."""
    _process_manager().load(extra, disabled, third_party)


def get_plugin_manager() -> PluginManager:
    """This process's plugin manager, with the default plugins loaded on first use."""
    manager = _process_manager()
    manager.load()
    return manager


def plugin_infos() -> list[PluginInfo]:
    """Every plugin of this process's manager (`PluginManager.plugin_infos`)."""
    return get_plugin_manager().plugin_infos()


def _distribution(entry_point) -> tuple[str | None, str]:
    """The entry point's distribution name, and "name version" to show; its metadata is parsed once
    (each `.dist.name` parses it again, which cost 60 ms of every command)."""
    if entry_point.dist is None:
        return None, entry_point.value
    metadata = entry_point.dist.metadata
    return metadata["Name"], f"{metadata['Name']} {metadata['Version']}"


def _env_list(variable: str) -> list[str]:
    return [part.strip() for part in os.environ.get(variable, "").split(",") if part.strip()]


def _module_loader(spec: str, source: str) -> tuple[str, str, str, Callable[[], object]]:
    """A module name or a path to a `.py` file; a file is named after its stem."""
    if spec.endswith(".py") or os.sep in spec:
        path = Path(spec).resolve()

        def load_file() -> object:
            if not path.is_file():
                raise FileNotFoundError(f"no such file {path}")
            if path.suffix != ".py":
                raise ValueError(f"{path} is not a .py file")
            module_spec = importlib.util.spec_from_file_location(f"gatenet_plugin_{path.stem}", path)
            module = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
            return module

        return path.stem, source, str(path), load_file

    def load_module() -> object:
        sys.path.insert(0, os.getcwd())  # a module beside the user, as `python -m` would find it
        try:
            return importlib.import_module(spec)
        finally:
            sys.path.remove(os.getcwd())

    return spec, source, spec, load_module


@contextlib.contextmanager
def _running(plugin: str, doing: str) -> Iterator[None]:
    """Plugin code runs with its prints sent to stderr, which keeps `--json` and `predict` output
    clean, and a Ctrl-C in it still stops the command but says which plugin it stopped. Under
    `supervisor.supervised`, the supervisor hears which plugin runs, in case it ends the process."""
    with supervisor.announce(plugin, doing):
        try:
            with contextlib.redirect_stdout(sys.stderr):
                yield
        except KeyboardInterrupt as interrupt:
            raise KeyboardInterrupt(f"stopped while plugin {plugin!r} was {doing}") from interrupt


def _file_of(plugin: object) -> str:
    try:
        return inspect.getsourcefile(plugin if inspect.ismodule(plugin) else type(plugin)) or ""
    except TypeError:
        return ""


def collect_gates(manager: PluginManager | None = None) -> Registry:
    """Ask each plugin of `manager` (this process's by default) for its gates and circuits; a broken
    plugin, a broken gate or a name clash becomes a problem, not a crash."""
    manager = get_plugin_manager() if manager is None else manager
    registry = Registry(problems=manager.problems())
    try:
        timeout = truth_timeout()
    except ValueError as error:
        registry.problems.append(f"{error}; using {DEFAULT_TRUTH_TIMEOUT:g} s")
        timeout = DEFAULT_TRUTH_TIMEOUT
    with watchdog.watched():  # truth functions stuck in C code are stopped too
        gates = _gather(registry, manager.hook.register_gates, lambda impl: _gates_of(impl, timeout))
        clashed = add_gates(registry, gates)
        circuits = _gather(
            registry,
            manager.hook.register_circuits,
            lambda impl: _registered(impl, (Circuit,), "register_circuits"),
        )
        add_circuits(registry, circuits, manager.left_out(), clashed)
    return registry


def _gather(
    registry: Registry,
    hook: pluggy.HookCaller,
    registered: Callable[[pluggy.HookImpl], tuple[list, list[str]]],
) -> list[tuple[Any, str]]:
    """What each plugin's implementation of `hook` registered, as (item, plugin), in the order the
    plugins run; each problem on the way goes to the registry, naming the plugin."""
    found: list[tuple[Any, str]] = []
    for impl in hook.get_hookimpls():
        items, failures = registered(impl)
        found += [(item, impl.plugin_name) for item in items]
        registry.problems += [f"plugin {impl.plugin_name!r}: {failure}" for failure in failures]
    return found


def _gates_of(impl: pluggy.HookImpl, timeout: float) -> tuple[list[Gate | Family], list[str]]:
    """One plugin's good gates and families, and every problem on the way: each gate is judged on its
    own, so a bad one costs only itself, and the hook failing costs only what it had not yet registered."""
    with deferring_errors(timeout) as failures:
        items, _ = _registered(impl, (Gate, Family), "register_gates", failures)
    return items, failures


def _registered(
    impl: pluggy.HookImpl, kinds: tuple[type, ...], hook: str, failures: list[str] | None = None
) -> tuple[list, list[str]]:
    """What one plugin's hook registers: objects of `kinds`, and (added to `failures`, in the order they
    happen) a problem for anything else or a hook that fails; a broken gate noted itself when made."""
    kept: list = []
    failures = [] if failures is None else failures
    with _running(impl.plugin_name, f"registering {kinds[0].__name__.lower()}s"):

        def register(item: object) -> None:
            if not isinstance(item, kinds):
                caller = sys._getframe(1)
                expected = " or ".join(f"gatenet.{kind.__name__}" for kind in kinds)
                failures.append(
                    f"register() takes a {expected}, got {type(item).__name__} "
                    f"({caller.f_code.co_filename}:{caller.f_lineno})"
                )
            elif getattr(item, "problem", None) is None:
                kept.append(item)

        try:
            impl.function(**{name: register for name in impl.argnames})
        except (Exception, SystemExit) as error:
            failures.append(f"{hook} failed: {describe(error)}")
    return kept, failures
