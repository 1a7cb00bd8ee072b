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
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import importlib.util
import inspect
import os
import signal
import sys
import traceback
from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

import pluggy

from gatenet import hookspecs, watchdog
from gatenet.circuit import Circuit, CircuitError
from gatenet.extras import DISTRIBUTION
from gatenet.family import Chain, Family, GateList
from gatenet.gate import DEFAULT_TRUTH_TIMEOUT, Gate, deferring_errors, truth_timeout

ENTRY_POINT_GROUP = "gatenet"
BUILTIN_DISTRIBUTION = DISTRIBUTION  # entry points of this distribution are the built-in plugins
ENV_PLUGINS = "GATENET_PLUGINS"
ENV_DISABLE = "GATENET_DISABLE_PLUGINS"
ENV_NO_THIRD_PARTY = "GATENET_NO_THIRD_PARTY"

pm = pluggy.PluginManager("gatenet")
pm.add_hookspecs(hookspecs)
HOOKS = sorted(name for name in dir(hookspecs) if pm.parse_hookspec_opts(hookspecs, name))


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


_infos: dict[str, PluginInfo] = {}
_clashes: list[str] = []  # plugins not loaded because an earlier plugin has their name
_entry_points_loaded = False


def load_plugins(extra: Sequence[str] = (), disabled: Sequence[str] = (), third_party: bool = True) -> None:
    """Load the plugins in the documented order; call before the first `collect_gates` to configure."""
    global _entry_points_loaded
    for name in [*_env_list(ENV_DISABLE), *disabled]:
        pm.set_blocked(name)
        _infos[name] = PluginInfo(name, "disabled", "", "disabled on request")
    if not _entry_points_loaded:
        _entry_points_loaded = True
        third_party = third_party and os.environ.get(ENV_NO_THIRD_PARTY, "") in ("", "0")
        found = sorted(
            ((*_distribution(ep), ep) for ep in entry_points(group=ENTRY_POINT_GROUP)),
            key=lambda item: (item[0] != BUILTIN_DISTRIBUTION, item[2].name),
        )
        for dist_name, origin, entry_point in found:
            source = "builtin" if dist_name == BUILTIN_DISTRIBUTION else "entry point"
            if source == "entry point" and not third_party:
                _infos[entry_point.name] = PluginInfo(entry_point.name, "skipped", origin, "--no-third-party")
                continue
            _load_one(entry_point.name, source, origin, entry_point.load)
        for spec in _env_list(ENV_PLUGINS):
            _load_one(*_module_loader(spec, ENV_PLUGINS))
    for spec in extra:
        _load_one(*_module_loader(spec, "-p"))


def get_plugin_manager() -> pluggy.PluginManager:
    """The plugin manager, with the default plugins loaded on first use."""
    load_plugins()
    return pm


def plugin_infos() -> list[PluginInfo]:
    """Every plugin known so far: loaded, failed, disabled, or registered in-process by a test."""
    manager = get_plugin_manager()
    infos = dict(_infos)
    for name, plugin in manager.list_name_plugin():
        if name not in infos and plugin is not None:
            infos[name] = PluginInfo(name, "in-process", _file_of(plugin))
    return list(infos.values())


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


def _load_one(name: str, source: str, origin: str, load: Callable[[], object]) -> None:
    """Import and register one plugin; any failure is recorded against its name instead of raised."""
    if pm.is_blocked(name):
        return
    earlier = _infos.get(name)
    if earlier is not None and earlier.source == "skipped":  # by --no-third-party, so the name is free
        earlier = None
    if earlier is None and pm.has_plugin(name):
        earlier = PluginInfo(name, "in-process", _file_of(pm.get_plugin(name)))
    if earlier is not None:
        if not _same_plugin(earlier, origin):
            _clashes.append(
                f"plugin {name!r} from {origin} ({source}) is not loaded: plugin {name!r} from "
                f"{earlier.origin or 'unknown'} ({earlier.source}) has that name; rename one of them"
            )
        return
    info = _infos[name] = PluginInfo(name, source, origin)
    try:
        with _running(name, "loading"):
            plugin = load()
    except (Exception, SystemExit) as error:
        info.error = f"failed to load: {describe(error)}"
        return
    unknown = [
        attr for attr in dir(plugin) if pm.parse_hookimpl_opts(plugin, attr) is not None and attr not in HOOKS
    ]
    if unknown:
        info.error = (
            f"defines {', '.join(unknown)}, which gatenet has no hook for (hooks: {', '.join(HOOKS)})"
        )
        return
    try:
        pm.register(plugin, name=name)
    except (ValueError, pluggy.PluginValidationError) as error:
        info.error = f"cannot be registered: {' '.join(str(error).split())}"
    if hasattr(plugin, "__file__"):
        info.origin = origin if source in ("builtin", "entry point") else plugin.__file__


def _same_plugin(earlier: PluginInfo, origin: str) -> bool:
    """Whether `origin` names the plugin already loaded as `earlier`: the same file, or the same
    module (which Python imported once), given twice."""
    plugin = pm.get_plugin(earlier.name)
    return origin == earlier.origin or (plugin is not None and sys.modules.get(origin) is plugin)


@contextlib.contextmanager
def _running(plugin: str, doing: str) -> Iterator[None]:
    """Plugin code runs with its prints sent to stderr, which keeps `--json` and `predict` output
    clean, and a Ctrl-C in it still stops the command but says which plugin it stopped. Under
    `supervised`, the supervisor hears which plugin runs, in case it ends the process."""
    _tell_supervisor(f"{plugin}\t{doing}")
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    except KeyboardInterrupt as interrupt:
        raise KeyboardInterrupt(f"stopped while plugin {plugin!r} was {doing}") from interrupt
    finally:
        _tell_supervisor("")


_supervisor: tuple[int, int] | None = None  # (pid of the supervised process, its pipe to the supervisor)
_FINISHED = "\0finished"


def _tell_supervisor(line: str) -> None:
    if _supervisor is not None and _supervisor[0] == os.getpid():  # not a watchdog shadow's copy
        os.write(_supervisor[1], f"{line}\n".encode())


def supervised(work: Callable[[], int]) -> int:
    """Run `work`, a whole command that returns its exit status, in a forked child, and return the
    status it ended with; only this process returns.

    A plugin that ends the process itself (`os._exit(0)` while it is imported or in its hook, or a
    crash) skips every handler of the command: on its own, `gatenet train --check` would then pass
    a pre-commit hook with status 0 and no output. Here a child that ends before `work` returned is
    an `error:` line naming the plugin that was running, and status 1 (or the child's, if not 0).
    Ctrl-C reaches the child, which stops as it always does; SIGTERM here is passed on to it.
    """
    global _supervisor
    read, write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        _supervisor = (os.getpid(), write)
        try:
            code = work()
        except BaseException:  # `work` should return a status; a traceback is the honest report
            traceback.print_exc()
            code = 1
        atexit._run_exitfuncs()  # what the interpreter would run at exit, then say so and go
        sys.stdout.flush()
        sys.stderr.flush()
        _tell_supervisor(_FINISHED)
        os._exit(code)
    os.close(write)
    interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)
    said = os.fdopen(read, encoding="utf-8", errors="replace")
    try:
        try:
            lines = [line.rstrip("\n") for line in said]
        except KeyboardInterrupt:  # SIGTERM sent to this process alone: the child stops and says so
            os.kill(pid, signal.SIGTERM)
            said.read()  # drained, so the child's last word never meets a closed pipe
            return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    except BaseException:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        raise
    finally:
        said.close()
        signal.signal(signal.SIGINT, interrupt)
    if lines and lines[-1] == _FINISHED:
        return code
    running = lines[-1].split("\t") if lines and lines[-1] else None
    if running:
        who = f"plugin {running[0]!r} ended the process while {running[1]}"
    else:
        who = "the process ended while no plugin was running"
    print(f"error: {who} ({watchdog.ending(code)}); the command did not finish", file=sys.stderr)
    return code if code > 0 else 1


def _file_of(plugin: object) -> str:
    try:
        return inspect.getsourcefile(plugin if inspect.ismodule(plugin) else type(plugin)) or ""
    except TypeError:
        return ""


def describe(error: BaseException) -> str:
    """The exception on one line, with the file and line Python gives for where it was raised."""
    if isinstance(error, SyntaxError):
        return f"SyntaxError: {error.msg} ({error.filename}:{error.lineno})"
    frames = [
        frame for frame in traceback.extract_tb(error.__traceback__) if not frame.filename.startswith("<")
    ]
    where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}{': ' + message if message else ''}{where}"


@dataclass
class Registry:
    """The gates every plugin registered, keyed by lower-case name, and what went wrong on the way."""

    gates: dict[str, Gate] = field(default_factory=dict)
    plugin_of: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    circuits: dict[str, Circuit] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # not errors: e.g. circuits a disabled plugin's gates
    unavailable: dict[str, str] = field(default_factory=dict)  # circuit key -> why, for those notes
    made_families: dict[str, Family] = field(default_factory=dict)  # members made on demand, by key

    def find(self, name: str) -> Gate | None:
        """A registered gate or a member of a family, by name in any letter case."""
        return self.gates.get(name.lower()) or _Members(self.made_families).get(name.lower())

    def definitions(self) -> Mapping[str, Gate | Circuit]:
        """What a model in a folder may have been made from, by lower-case name: gates, circuits, and
        family members, which are looked up, not listed."""
        return ChainMap(self.gates, self.circuits, _Members(self.made_families))

    def find_circuit(self, name: str) -> Circuit | None:
        return self.circuits.get(name.lower())

    def default_gates(self) -> list[Gate]:
        """What `gatenet train` trains with no names: every gate that is not in an opt-in family."""
        return [gate for _, gate in sorted(self.gates.items()) if gate.family is None]

    def families(self) -> dict[str, Family]:
        """Opt-in families of gates, by lower-case family name: those made on demand, and those whose
        members a plugin registered one by one with `Gate(family=...)`."""
        found: dict[str, list[Gate]] = {}
        for _, gate in sorted(self.gates.items()):
            if gate.family is not None:
                found.setdefault(gate.family.lower(), []).append(gate)
        listed = {key: GateList(key, members) for key, members in found.items()}
        return dict(sorted({**listed, **self.made_families}.items()))

    def select(self, names: Sequence[str] = (), families: Sequence[str] = ()) -> Chain:
        """The named gates and families' members, once each; the default gates when nothing is named.

        Family members are made as they are read, so a family of 65,536 costs nothing until it is
        trained. An unknown name is a ValueError that lists what is known.
        """
        known_families = self.families()
        unknown = [family for family in families if family.lower() not in known_families]
        if unknown:
            listed = ", ".join(known_families) or "none"
            raise ValueError(f"unknown family {', '.join(map(repr, unknown))}; families: {listed}")
        chosen = [known_families[key] for key in dict.fromkeys(family.lower() for family in families)]
        unknown = [name for name in names if self.find(name) is None]
        if unknown:
            known = ", ".join(gate.name for gate in self.default_gates())
            hint = f"; families: {', '.join(known_families)}" if known_families else ""
            raise ValueError(f"unknown gate {', '.join(map(repr, unknown))}; known gates: {known}{hint}")
        selected = [] if names or families else self.default_gates()
        selected += [self.find(name) for name in names if not any(family.find(name) for family in chosen)]
        return Chain([list({gate.key: gate for gate in selected}.values()), *chosen])


class _Members(Mapping[str, Gate]):
    """Family members by lower-case name, made when looked up; iterating lists none of them."""

    def __init__(self, families: Mapping[str, Family]) -> None:
        self.families = families

    def __getitem__(self, key: str) -> Gate:
        for family in self.families.values():
            found = family.find(key)
            if found is not None:
                return found
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def collect_gates(manager: pluggy.PluginManager | None = None) -> Registry:
    """Ask each plugin for its gates; a broken plugin, a broken gate or a name clash becomes a problem,
    not a crash."""
    manager = manager or get_plugin_manager()
    found: dict[str, list[tuple[Gate, str]]] = {}
    problems = [f"plugin {info.name!r} {info.error}" for info in _infos.values() if info.failed]
    problems += _clashes
    try:
        timeout = truth_timeout()
    except ValueError as error:
        problems.append(f"{error}; using {DEFAULT_TRUTH_TIMEOUT:g} s")
        timeout = DEFAULT_TRUTH_TIMEOUT
    families: dict[str, list[tuple[Family, str]]] = {}
    registry = Registry(problems=problems)
    with watchdog.watched():  # truth functions stuck in C code are stopped too
        for impl in manager.hook.register_gates.get_hookimpls():
            items, failures = _gates_of(impl, timeout)
            for item in items:
                into = families if isinstance(item, Family) else found
                into.setdefault(item.key, []).append((item, impl.plugin_name))
            problems += [f"plugin {impl.plugin_name!r}: {failure}" for failure in failures]
        clashed = _keep_unique(registry, found)
        _add_families(registry, families)
        _add_circuits(registry, manager, clashed)
    return registry


def _add_families(registry: Registry, found: dict[str, list[tuple[Family, str]]]) -> None:
    """Keep each family name registered once, and leave out a gate whose name a family member has."""
    for key, (family, plugin) in _unique(registry, found, "family").items():
        registry.made_families[key] = family
        registry.plugin_of[f"family {key}"] = plugin
        for gate_key in [gate_key for gate_key in registry.gates if family.number_of(gate_key) is not None]:
            registry.problems.append(
                f"gate name {registry.gates[gate_key].name!r} of plugin {registry.plugin_of[gate_key]!r} "
                f"is a member of family {family.name!r} of plugin {plugin!r}; the gate is left out until "
                "it is renamed"
            )
            del registry.gates[gate_key], registry.plugin_of[gate_key]


def _keep_unique(registry: Registry, found: dict[str, list[tuple[Gate, str]]]) -> list[str]:
    """Keep each gate name registered once; return the names left out because two plugins gave them."""
    kept = _unique(registry, found, "gate")
    for key, (gate, plugin) in kept.items():
        registry.gates[key] = gate
        registry.plugin_of[key] = plugin
    return [entries[0][0].name for key, entries in sorted(found.items()) if key not in kept]


def _unique(registry: Registry, found: dict[str, list[tuple]], kind: str) -> dict[str, tuple]:
    """(item, plugin) for each name registered once; a name two plugins gave is reported and left out."""
    kept = {}
    for key, entries in sorted(found.items()):
        if len(entries) > 1:
            owners = " and ".join(f"plugin {plugin!r}" for _, plugin in entries)
            registry.problems.append(
                f"{kind} name {entries[0][0].name!r} is registered by {owners}; "
                "it is left out until one of them is renamed or disabled (gatenet -p no:NAME)"
            )
            continue
        kept[key] = entries[0]
    return kept


def _add_circuits(registry: Registry, manager: pluggy.PluginManager, clashed: list[str]) -> None:
    """Every plugin's circuits, each checked against the gates and the other circuits on its own."""
    found: dict[str, list[tuple[Circuit, str]]] = {}
    for impl in manager.hook.register_circuits.get_hookimpls():
        circuits, failures = _registered(impl, (Circuit,), "register_circuits")
        for circuit in circuits:
            found.setdefault(circuit.key, []).append((circuit, impl.plugin_name))
        registry.problems += [f"plugin {impl.plugin_name!r}: {failure}" for failure in failures]
    pending: dict[str, Circuit] = {}
    for key, entries in sorted(found.items()):
        owners = [f"plugin {plugin!r}" for _, plugin in entries]
        if key in registry.gates:
            owners.append(f"gate {registry.gates[key].name!r} of plugin {registry.plugin_of[key]!r}")
        owners += [
            f"a member of family {family.name!r} of plugin {registry.plugin_of[f'family {family_key}']!r}"
            for family_key, family in registry.made_families.items()
            if family.number_of(key) is not None
        ]
        if len(owners) > 1:
            registry.problems.append(
                f"circuit name {entries[0][0].name!r} is used by {' and '.join(owners)}; "
                "the circuit is left out until one of them is renamed"
            )
            continue
        pending[key] = entries[0][0]
        registry.plugin_of[key] = entries[0][1]

    def find(name: str) -> Gate | Circuit | None:
        return registry.find(name) or pending.get(name.lower())

    # With a plugin disabled, failed or clashing, a circuit needing its gates is a consequence, not a new
    # error: `gatenet -p no:xor list` works and just says which circuits are not available.
    left_out = [
        f"plugin {info.name}"
        for info in sorted(_infos.values(), key=lambda info: info.name)
        if info.source in ("disabled", "skipped") or info.failed
    ]
    left_out += [f"gate {name}" for name in clashed]
    for key, circuit in pending.items():
        try:
            circuit.resolve(find)
        except CircuitError as error:
            plugin = registry.plugin_of.pop(key)
            if error.missing and left_out:
                why = (
                    f"circuit {circuit.name!r} of plugin {plugin!r} is not available: it needs "
                    f"{error.missing!r}, which no loaded plugin provides (left out: {', '.join(left_out)})"
                )
                registry.notes.append(why)
                registry.unavailable[key] = why
            else:
                registry.problems.append(f"plugin {plugin!r}: {error}")
            continue
        except Exception as error:  # the plugin's own objects in the netlist (a Mapping, a __str__) broke
            plugin = registry.plugin_of.pop(key)
            registry.problems.append(f"plugin {plugin!r}: circuit {key!r}: {describe(error)}")
            continue
        registry.circuits[key] = circuit


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
