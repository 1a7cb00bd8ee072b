"""The `gatenet` command: list the gates, train them into ONNX models, verify the models."""

from __future__ import annotations

import atexit
import functools
import itertools
import json
import math
import os
import shlex
import signal
import sys
import traceback
from collections import ChainMap
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gatenet import atlas as atlases
from gatenet import builder, contract, durable, extras, ray_jobs, table_files
from gatenet.check import DEFAULT_MARGIN, MARGIN_RULE, is_margin
from gatenet.circuit import WIRINGS, Circuit
from gatenet.errors import first_line
from gatenet.family import Chain
from gatenet.gate import Gate, is_name, table_gate
from gatenet.learners import KINDS
from gatenet.logic_spec import WIRINGS as LOGIC_WIRINGS
from gatenet.netlist import Netlist
from gatenet.network import (
    DEFAULT_CHUNK,
    DEFAULT_ESCALATE,
    DEFAULT_RESTARTS,
    MAX_ESCALATE,
    MAX_UNITS,
    hidden_text,
    parse_hidden,
)
from gatenet.overview import Overview, overview
from gatenet.plugins import HOOKS, collect_gates, get_plugin_manager, load_plugins, plugin_infos
from gatenet.progress import Bar, progress_bar
from gatenet.record import Kind
from gatenet.registry import Registry
from gatenet.status import MISSING, ORPHANED, STALE, UP_TO_DATE, ModelStatus, folder_status
from gatenet.store import ModelFolder, os_error
from gatenet.supervisor import supervised

if TYPE_CHECKING:
    from gatenet.pipeline import GateResult


def folder(flag: str, default: str, help_text: str, must_exist: bool | None = None):
    """A folder option: `--dir` is where a command reads, so it must exist (a typo would otherwise
    read as an empty folder, or be created by a command that writes there); `--out` is where it writes."""
    dest = "directory" if flag == "--dir" else "out_dir"
    kind = Folder(must_exist=flag == "--dir" if must_exist is None else must_exist)
    return click.option(flag, dest, default=default, show_default=True, type=kind, help=help_text)


class Folder(click.ParamType):
    """A folder path, never empty (`--out ""` would silently mean the current folder); with
    `must_exist`, an existing folder, refused when parsed rather than created or read as empty."""

    name = "folder"

    def __init__(self, must_exist: bool) -> None:
        self.must_exist = must_exist

    def convert(self, value, param, ctx) -> Path:
        if isinstance(value, Path):
            value = str(value)
        if not value.strip():
            self.fail(f"expected a folder, got {value!r}", param, ctx)
        if self.must_exist and not Path(value).is_dir():
            self.fail(f"{value}: no such folder", param, ctx)
        return Path(value)


class Finite(click.ParamType):
    """A float that is a real number: NaN and infinities are refused when parsed, naming the option."""

    name = "number"

    def __init__(self, low: float | None = None, low_open: bool = False) -> None:
        self.low, self.low_open = low, low_open

    def convert(self, value, param, ctx) -> float:
        number = click.FLOAT.convert(value, param, ctx)
        too_low = self.low is not None and (number <= self.low if self.low_open else number < self.low)
        if not math.isfinite(number) or too_low:
            self.fail(f"expected a finite number{self._range()}, got {value!r}", param, ctx)
        return number

    def _range(self) -> str:
        return "" if self.low is None else f" {'>' if self.low_open else '>='} {self.low:g}"


class Margin(click.ParamType):
    """A margin, by the one rule of `gatenet.check`, refused when parsed."""

    name = "margin"

    def convert(self, value, param, ctx) -> float:
        number = click.FLOAT.convert(value, param, ctx)
        if not is_margin(number):
            self.fail(f"expected {MARGIN_RULE}, got {value!r}", param, ctx)
        return number


class KerasName(click.ParamType):
    """The name of a Keras activation, loss or optimizer: letters, digits and underscores, so an empty
    or mistyped one (`--activation ""`) is refused when parsed, not after TensorFlow's import."""

    name = "name"

    def convert(self, value, param, ctx) -> str:
        if not is_name(value.strip()):
            self.fail(f"expected a Keras name like 'relu', got {value!r}", param, ctx)
        return value.strip()


class Listed(click.ParamType):
    """Comma-separated values, each checked by `item`: `--activation relu,tanh`, a sweep's axis."""

    def __init__(self, item: click.ParamType, single: bool = False) -> None:
        self.item, self.single = item, single
        self.name = f"{item.name}[,{item.name}...]"

    def convert(self, value, param, ctx) -> object:
        if not isinstance(value, str):
            return value
        values = [self.item.convert(part, param, ctx) for part in value.split(",")]
        return values[0] if self.single and len(values) == 1 else tuple(values)


# Whole numbers are bounded where the code that uses them is: a seed is a non-negative numpy seed (and
# the Playground's bound), steps run as an int32 loop counter in the compiled training loop. Restarts
# and sweep seeds are networks per gate trained side by side, and a chunk is gates per program, so
# their bounds keep a typo (10**20) from being an overflow or an out-of-memory after TensorFlow's import.


class Whole(click.IntRange):
    """A bounded whole number, named so: click's own says "'1e3' is not a valid integer range"."""

    name = "whole number"


MAX_SEED = 2**31 - 1
SEED = Whole(0, MAX_SEED)
STEPS = Whole(1, 2**31 - 1)
NETWORKS_PER_GATE = Whole(1, 1000)
CHUNK = Whole(1, 65536)
UNITS = Whole(1, MAX_UNITS)
LAYERS = Whole(1, 64)
LEARNING_RATE = Finite(0, low_open=True)
MARGIN = Margin()


class Hidden(click.ParamType):
    """Hidden layer sizes, `16` or `16,8` (`16+8` within a sweep's list), or `none` for no hidden layer."""

    name = "sizes"

    def __init__(self, separator: str = ",") -> None:
        self.separator = separator

    def convert(self, value, param, ctx) -> tuple[int, ...]:
        if not isinstance(value, str):
            return value
        try:
            return parse_hidden(value, self.separator)
        except ValueError:
            self.fail(
                f"expected sizes like 16 or 16{self.separator}8, each in [1, {UNITS.max}], or none; "
                f"got {value!r}",
                param,
                ctx,
            )


class Bit(click.ParamType):
    """One input bit on the command line: exactly "0" or "1" (not "1e0", " 1" or another script's 1)."""

    name = "bit"

    def convert(self, value, param, ctx) -> int:
        if value not in ("0", "1"):
            self.fail(f"expected 0 or 1, got {value!r}", param, ctx)
        return int(value)


class GateName(click.ParamType):
    """A gate's name as gatenet spells it, so a path (`../base/xor`) never names a model file."""

    name = "gate"

    def convert(self, value, param, ctx) -> str:
        if not is_name(value):
            self.fail(
                f"expected a gate name (a letter, then letters, digits or underscores), got {value!r}",
                param,
                ctx,
            )
        return value


class PluginSpec(click.ParamType):
    """`-p MODULE`, `-p FILE.py` or `-p no:NAME`, none of them empty."""

    name = "plugin"

    def convert(self, value, param, ctx) -> str:
        if not value.strip() or not value.removeprefix("no:").strip():
            self.fail(f"expected MODULE, FILE.py or no:NAME, got {value!r}", param, ctx)
        return value


LOAD_PLUGINS = "gatenet.load_plugins"


class Command(click.Command):
    """A command whose options are all parsed and checked before the plugins load: the group's
    callback only leaves the loading to do, so a bad value is refused before any plugin code runs."""

    def invoke(self, ctx: click.Context):
        load = ctx.meta.pop(LOAD_PLUGINS, None)
        if load is not None:
            load()
        return super().invoke(ctx)


class Group(click.Group):
    """Every failure of a command as one line naming what failed; `--debug` adds the traceback."""

    command_class = Command

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt as error:
            terminated = _terminated_by(error)
            how = "terminated" if terminated else "interrupted"
            click.echo(f"gatenet: {how}{': ' + str(error) if str(error) else ''}", err=True)
            ctx.exit(128 + terminated.signal if terminated else 130)
        except BrokenPipeError:  # `gatenet status | head -1`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush is quiet
            ctx.exit(0)
        except Exception as error:
            if debugging():
                traceback.print_exc()
            raise click.ClickException(summary(error)) from None


def debugging() -> bool:
    return os.environ.get("GATENET_DEBUG", "") not in ("", "0")


def summary(error: Exception) -> str:
    """One line: the path and reason of a filesystem error, our own errors as they are, else the type."""
    if isinstance(error, OSError) and error.filename is not None:
        return str(os_error(error))
    text = first_line(error)
    if isinstance(error, ValueError | ImportError):
        return text or type(error).__name__
    return f"{type(error).__name__}: {text} (gatenet --debug shows the traceback)"


@click.group(cls=Group)
@click.version_option(package_name=extras.DISTRIBUTION)
@click.option("--debug", is_flag=True, help="Show the full traceback of any failure (or GATENET_DEBUG=1).")
@click.option(
    "-p",
    "--plugin",
    "plugin_specs",
    multiple=True,
    type=PluginSpec(),
    metavar="MODULE|FILE.py|no:NAME",
    help="Load a plugin module or .py file, or with no:NAME keep a plugin from loading. Repeatable.",
)
@click.option("--no-third-party", is_flag=True, help="Load no installed third-party plugins.")
@click.pass_context
def cli(ctx: click.Context, plugin_specs: tuple[str, ...], no_third_party: bool, debug: bool) -> None:
    """Learn logic gates with small neural networks and ship them as verified ONNX models."""
    if debug:
        os.environ["GATENET_DEBUG"] = "1"
    ctx.meta[LOAD_PLUGINS] = lambda: _load_plugins(plugin_specs, no_third_party)


def _load_plugins(plugin_specs: tuple[str, ...], no_third_party: bool) -> None:
    """The plugins of `-p` and `--no-third-party`; a module given with -p should implement a hook."""
    load_plugins(
        disabled=[spec[3:] for spec in plugin_specs if spec.startswith("no:")], third_party=not no_third_party
    )
    before = {name for name, _ in get_plugin_manager().list_name_plugin()}
    load_plugins(extra=[spec for spec in plugin_specs if not spec.startswith("no:")])
    _note_idle_plugins({name for name, _ in get_plugin_manager().list_name_plugin()} - before)


def _note_idle_plugins(names: set[str]) -> None:
    """Say so when a module given with -p implements no hook: it gives nothing, so it is most likely
    the wrong module (`-p os`, or a typo naming another one). A note, not a refusal: a module loaded
    only for what its import does (logging, registering another object) is still allowed."""
    origins = {info.name: info.origin for info in plugin_infos()}
    pm = get_plugin_manager()
    plugins = {name: pm.get_plugin(name) for name in names}
    for name in sorted(name for name, plugin in plugins.items() if plugin and not pm.get_hookcallers(plugin)):
        click.echo(
            f"note: plugin {name!r} ({origins.get(name) or name}) implements no gatenet hook, so it gives "
            f"nothing; hooks: {', '.join(HOOKS)}",
            err=True,
        )


@cli.command(name="plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def list_plugins(as_json: bool) -> None:
    """Every plugin: where it came from, the gates it gives, and why it failed if it did."""
    registry = collect_gates()
    rows = []
    for info in plugin_infos():
        mine = [key for key, plugin in registry.plugin_of.items() if plugin == info.name]
        gates = sorted(registry.gates[key].name for key in mine if key in registry.gates)
        circuits = {
            registry.circuits[key].name: registry.circuits[key].part_summary()
            for key in sorted(mine)
            if key in registry.circuits
        }
        families = {
            family.name: len(family)
            for key, family in registry.made_families.items()
            if registry.plugin_of_family.get(key) == info.name
        }
        rows.append({**asdict(info), "gates": gates, "circuits": circuits, "families": families})
    if as_json:
        click.echo(
            json.dumps({"plugins": rows, "problems": registry.problems, "notes": registry.notes}, indent=2)
        )
        return
    for row in rows:
        state = f"  {row['error']}" if row["error"] else ""
        gates = ", ".join(row["gates"]) if len(row["gates"]) <= 8 else f"{len(row['gates'])} gates"
        circuits = [f"{name} ({parts})" for name, parts in row["circuits"].items()]
        families = [f"family {name} ({size} gates)" for name, size in row["families"].items()]
        gates = ", ".join(filter(None, [gates, *circuits, *families]))
        click.echo(f"{row['name']:<12} {row['source']:<12} {row['origin']:<24} {gates or '-'}{state}")
    for note in registry.notes:
        click.echo(f"note: {note}", err=True)
    for problem in registry.problems:
        click.echo(f"error: {problem}", err=True)


@cli.command(name="list")
@click.option("--family", "families", multiple=True, help="List this opt-in family's gates instead.")
def list_gates(families: tuple[str, ...]) -> None:
    """List the gates every plugin registers, and which plugin gives each."""
    registry = collect_gates()
    gates = _select(registry, families=families)
    for gate in gates:
        shape = f"{gate.inputs} in, {gate.outputs} out"
        plugin = registry.plugin_of.get(gate.key) or registry.plugin_of_family[gate.family]
        click.echo(f"{gate.name:<16} {shape:<12} {plugin:<10} {gate.description}")
    if not families:
        for circuit in registry.circuits.values():
            shape = f"{circuit.inputs} in, {circuit.outputs} out"
            made_of = f"circuit of {circuit.part_summary()}"
            click.echo(f"{circuit.name:<16} {shape:<12} {registry.plugin_of[circuit.key]:<10} {made_of}")
        for key, family in registry.families().items():
            plugin = registry.plugin_of_family.get(key) or registry.plugin_of[family[0].key]
            click.echo(
                f"{'family ' + key:<29} {plugin:<10} {len(family)} gates, "
                f"opt-in: gatenet train --family {key}"
            )
    _exit_on_problems(registry)


def _ray_address(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An optional value swallows the next word: `--ray XOR` would be a cluster called XOR."""
    if value is None or ray_jobs.ADDRESS.fullmatch(value):
        return value
    raise click.BadParameter(
        f"expected local, auto, HOST:PORT or ray://HOST:PORT, got {value!r}; "
        "put gate names before --ray, or give it an address",
        ctx,
        param,
    )


DEEP_OPTION = click.option(
    "--deep",
    is_flag=True,
    help="Also run each up-to-date model on every row of its truth table, as verify does: for a folder "
    "from someone else, whose manifest could vouch for edited models.",
)


RAY_OPTION = click.option(
    "--ray",
    metavar="ADDRESS",
    is_flag=False,
    flag_value="local",
    callback=_ray_address,
    help="Run the work as Ray tasks: on the cluster at ADDRESS ('auto' finds a running one), or with "
    f"no ADDRESS on a local cluster started for the run. Needs {extras.install_command('ray')}.",
)


RECIPE_OPTIONS = (  # flag, type, default, help: in the order --help lists them
    ("--seed", SEED, 0, "First seed of each gate's restarts."),
    (
        "--restarts",
        NETWORKS_PER_GATE,
        DEFAULT_RESTARTS,
        "Seeds tried per gate, in order; the first that verifies is kept.",
    ),
    (
        "--escalate",
        click.IntRange(0, MAX_ESCALATE),
        DEFAULT_ESCALATE,
        "Rungs of the ladder a gate no seed learns may climb: more seeds, a deeper network, more steps.",
    ),
    (
        "--margin",
        MARGIN,
        DEFAULT_MARGIN,
        "How far on the right side of 0.5 every output must be, in (0, 0.5].",
    ),
)


def recipe_options(command: Callable) -> Callable:
    """--seed, --restarts, --escalate (or --no-escalate) and --margin: with the network settings, what
    makes a model."""

    @functools.wraps(command)
    def with_ceiling(*args: object, no_escalate: bool, escalate: int, **kwargs: object) -> None:
        return command(*args, escalate=0 if no_escalate else escalate, **kwargs)

    with_ceiling = click.option(
        "--no-escalate", is_flag=True, help="Same as --escalate 0: only the network asked for."
    )(with_ceiling)
    for flag, kind, default, help_text in reversed(RECIPE_OPTIONS):  # the last applied is listed first
        with_ceiling = click.option(flag, type=kind, default=default, show_default=True, help=help_text)(
            with_ceiling
        )
    return with_ceiling


@cli.command()
@click.argument("gate_names", metavar="[GATE|CIRCUIT|FILE]...", nargs=-1)
@click.option("--family", "families", multiple=True, help="Also train every gate of this opt-in family.")
@folder("--out", "exported", "Folder for the .onnx models and manifest.json.")
@click.option(
    "--hidden", type=Hidden(), help="Hidden layer sizes, e.g. 16 or 16,8; 'none' for no hidden layer. [16]"
)
@click.option(
    "--activation",
    type=Listed(KerasName(), single=True),
    help="Hidden activation, or one per layer: relu or relu,tanh. [relu]",
)
@click.option("--output-activation", type=KerasName(), help="Output activation. [sigmoid]")
@click.option("--loss", type=KerasName(), help="Keras loss. [mse]")
@click.option("--optimizer", type=KerasName(), help="Keras optimizer. [adam]")
@click.option("--learning-rate", type=LEARNING_RATE, help="Optimizer learning rate. [0.01]")
@click.option("--steps", type=STEPS, help="Training steps, each over the whole truth table. [1000]")
@click.option("--hidden-bias", type=Finite(), help="Starting bias of hidden units. [0.01]")
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    help="What to learn: a neural network, or a network of logic gates (an exact circuit). [network]",
)
@click.option("--logic-width", type=click.IntRange(1), help="Logic nodes per layer (--kind logic). [4]")
@click.option("--logic-depth", type=click.IntRange(0), help="Layers of logic nodes before the outputs. [3]")
@click.option(
    "--logic-wiring",
    type=click.Choice(LOGIC_WIRINGS),
    help="How logic nodes pick their two inputs: learned, or fixed at random. [learned]",
)
@click.option(
    "--logic-restarts", type=click.IntRange(1), help="Logic networks per gate, trained side by side. [32]"
)
@click.option("--logic-steps", type=click.IntRange(1), help="Training steps of each logic network. [500]")
@click.option(
    "--logic-escalate",
    type=click.IntRange(0),
    help="Larger logic networks to try in turn for a gate no restart learns (0: none). [2]",
)
@recipe_options
@click.option("--no-export", is_flag=True, help="Train and check in Keras only; write nothing.")
@click.option(
    "--compact-history/--full-history",
    default=None,
    help="Write each history file with 101 points of the learning curve and no weight snapshots "
    "(the gallery's replay needs them). [default: compact when a --family trains]",
)
@click.option(
    "--resume/--force",
    default=True,
    help="Skip gates whose model is up to date, so an interrupted run goes on where it stopped "
    "(the default), or retrain every selected gate.",
)
@click.option(
    "--chunk",
    type=CHUNK,
    default=DEFAULT_CHUNK,
    show_default=True,
    help="Gates trained, checked and committed together: bounds memory, and sizes a Ray task.",
)
@RAY_OPTION
@click.option(
    "--check", is_flag=True, help="Train and write nothing; exit 1 if a selected gate is stale or missing."
)
@DEEP_OPTION
@click.option(
    "--wiring",
    type=click.Choice(WIRINGS),
    default="digital",
    show_default=True,
    help="How circuits pass bits between gates: rounded to 0 or 1, or as probabilities.",
)
@click.option(
    "--table",
    "tables",
    multiple=True,
    metavar="BITS",
    help="Train a gate of your own from its truth table, no plugin needed: 0 or 1 for each row in "
    "binary counting order (as in BOOLEAN<n>_<k>), e.g. 0110; once per output. Goes with --name.",
)
@click.option("--name", "table_name", type=GateName(), help="The name of the --table gate, e.g. MYXOR.")
@click.option("--quiet", "-q", is_flag=True, help="Print errors only: no table, no progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON document.")
def train(
    gate_names,
    families,
    out_dir,
    seed,
    restarts,
    escalate,
    margin,
    no_export,
    compact_history,
    resume,
    chunk,
    ray,
    check,
    deep,
    wiring,
    tables,
    table_name,
    quiet,
    as_json,
    **network,
) -> None:
    """Train GATEs (all but opt-in families by default), export each to ONNX, verify it with onnxruntime;
    then build the CIRCUITs named (all by default) from the verified gate models. A FILE (.pla, .truth
    or .blif) is a gate of its own, its truth table read from the file.

    Gates whose model is up to date (intact, and made by the recipe this run would use) are skipped
    without importing TensorFlow; --force retrains them. Network settings given here override
    [tool.gatenet] in ./pyproject.toml, which overrides the plugin's hints for each gate, which
    override gatenet's defaults. A circuit is rebuilt when its netlist, its wiring or a gate model
    it is made of changed.
    """
    registry = collect_gates()
    if tables or table_name:
        gates, circuits = [_table_gate(registry, tables, table_name, gate_names + families)], []
    else:
        gates, circuits = _selection(registry, gate_names, families)
    if no_export and circuits and gate_names:
        raise click.UsageError("circuits are built from the model folder; --no-export cannot build them")
    if deep and not check:
        raise click.UsageError("--deep goes with --check: it runs the models an up-to-date check trusts")
    if check and (no_export or not resume):
        raise click.UsageError(
            "--check trains and writes nothing; it goes with neither --no-export nor --force"
        )
    options = builder.Options(
        out_dir,
        {key: value for key, value in network.items() if value is not None},
        seed,
        restarts,
        margin,
        wiring,
        chunk,
        force=not resume,
        export=not no_export,
        ray=ray,
        escalate=escalate,
        compact_history=compact_history,
    )
    if check:
        statuses = builder.check(registry, gates, circuits, options, deep)
        _check(statuses, _summary(statuses, options, gate_names, families), as_json)
        return
    folder = ModelFolder(out_dir)
    with progress_bar(len(gates), f"training {len(gates)} gates", enabled=not quiet) as bar:
        events = _table_events(folder, bar, show_rows=not quiet and not as_json, as_json=as_json)
        report = builder.run(registry, gates, [] if no_export else circuits, options, events)
    _finish_train(registry, report, folder, as_json)


def _table_events(folder: ModelFolder, bar: Bar, show_rows: bool, as_json: bool) -> builder.Events:
    """What `gatenet train` does as the build goes: a table row and a tick of the progress bar per
    gate, and it keeps only what its JSON or its errors need (a resume may skip 65,536 gates)."""

    headed = []

    def row(line: builder.Row) -> None:
        """A row of the table, under its heading, printed with the first row: an error before any row
        (the train extra missing, say) prints alone."""
        if show_rows:
            if not headed:
                _print_heading()
                headed.append(True)
            _print_row(line)

    def on_fresh(status: ModelStatus) -> None:
        row(builder.Row.fresh(status, folder))
        if status.entry.kind.trained:
            bar.advance()

    def on_result(result: GateResult) -> None:
        row(builder.Row.trained(result))
        bar.advance()

    return builder.Events(
        on_start=bar.start,  # the folder is locked and checked: an error before this prints alone
        on_fresh=on_fresh,
        on_result=on_result,
        on_circuit=lambda built: row(builder.Row.built(built, folder)),
        on_wait=_waiting,
        keep=lambda result: as_json or not result.verified,
        histories=False,
        fresh=as_json,
    )


def _print_heading() -> None:
    click.echo(
        f"{'gate':<16} {'verified':<10} {'worst margin':>12} {'steps':>6} {'all right at':>12} "
        f"{'seconds':>8}  file"
    )


def _check(statuses: list[ModelStatus], advice: str, as_json: bool) -> None:
    """`gatenet train --check`: report what is not up to date, and exit 1 if anything is."""
    behind = [status for status in statuses if status.state != UP_TO_DATE]
    if as_json:
        document = {"up_to_date": not behind, "gates": [status.to_dict() for status in statuses]}
        click.echo(json.dumps(document, indent=1))
    else:
        for status in behind:
            click.echo(f"{status.name}: {status.state}: {'; '.join(status.reasons)}")
        click.echo(advice)
    if behind:
        sys.exit(1)


def _summary(
    statuses: list[ModelStatus], options: builder.Options, names: tuple[str, ...], families: tuple[str, ...]
) -> str:
    """The last line of `train --check` and `status`: the counts, and the commands that bring this
    folder up to date, spelled for it (a bare `gatenet train` would fill another folder)."""
    behind = sum(status.state in (STALE, MISSING) for status in statuses)
    orphaned = sum(status.state == ORPHANED for status in statuses)
    up = sum(status.state == UP_TO_DATE for status in statuses)
    line = f"{ModelFolder(options.out).root}: {up} up to date, {behind} stale or missing"
    line += f", {orphaned} orphaned" if orphaned else ""
    fixes = [_train_command(options, names, families)] if behind else []
    if orphaned:
        fixes.append(f"gatenet prune --dir {shlex.quote(str(options.out))}")
    return line + (f"; run {' and '.join(fixes)}" if fixes else "")


def _train_command(
    options: builder.Options, names: tuple[str, ...] = (), families: tuple[str, ...] = ()
) -> str:
    """The `gatenet train` line that makes what a check compared against: the folder, and every option
    that is not the default, so following the advice makes the check pass."""
    words = ["gatenet", "train", *map(shlex.quote, names), *(f"--family {family}" for family in families)]
    if Path(options.out) != Path(builder.Options().out):
        words.append(f"--out {shlex.quote(str(options.out))}")
    for flag, kind, default, _ in RECIPE_OPTIONS:
        value = getattr(options, flag[2:])
        if value != default:
            words.append(f"{flag} {value:g}" if kind is MARGIN else f"{flag} {value}")
    if options.wiring != "digital":
        words.append(f"--wiring {options.wiring}")
    for key, value in options.network.items():
        text = hidden_text(value, ",") if key == "hidden" else value
        text = ",".join(map(str, text)) if isinstance(text, tuple | list) else str(text)
        words.append(f"--{key.replace('_', '-')} {shlex.quote(text)}")
    return " ".join(words)


def _finish_train(registry: Registry, report: builder.Report, folder: ModelFolder, as_json: bool) -> None:
    """The JSON document or the errors of a `gatenet train`, and its exit status."""
    built = [result for result in report.circuits if not isinstance(result, str)]
    if as_json:
        document = {
            "results": [builder.Row.fresh(status, folder).to_json() for status in report.fresh]
            + [builder.Row.trained(result).to_json() for result in report.trained]
            + [builder.Row.built(result, folder).to_json() for result in built],
            "problems": report.problems + [result for result in report.circuits if isinstance(result, str)],
        }
        click.echo(json.dumps(document, indent=1))
    for result in report.circuits:
        if isinstance(result, str):
            click.echo(f"error: {result}", err=True)
        elif not result.check.verified:
            depth = f"; the margin broke at gate depth {result.broke_at}" if result.broke_at else ""
            click.echo(
                f"error: circuit {result.recipe.gate.name!r} not verified: {result.check.details}{depth}; "
                "the model exported before is left as it was",
                err=True,
            )
    for result in report.trained:
        if result.verified:
            continue
        if result.error is not None and debugging():
            traceback.print_exception(result.error)
        click.echo(
            f"error: gate {result.gate.name!r} not verified: {result.problem}; "
            "the model exported before is left as it was",
            err=True,
        )
    _exit_on_problems(registry, failed=report.failed)


NO_MANIFEST = click.option(
    "--no-manifest",
    is_flag=True,
    help="Accept models the manifest does not list (their files' integrity is then not checked).",
)


@cli.command()
@folder("--dir", "exported", "Folder of .onnx models.")
@click.option(
    "--margin",
    type=MARGIN,
    help="Margin to verify at, in (0, 0.5]. [each model's manifest entry's, else 0.4]",
)
@NO_MANIFEST
@click.option(
    "--tools",
    is_flag=True,
    help="Also export each model as Verilog, BLIF and AIGER and prove them with Yosys, ABC and Icarus "
    "Verilog, those on PATH (docs/hardware.md).",
)
def verify(directory: Path, margin: float | None, no_manifest: bool, tools: bool) -> None:
    """Verify every model in a folder: its files against manifest.json, its outputs against its truth
    table (with onnxruntime only), and its truth table against the gate's plugin when installed."""
    from gatenet import runtime

    registry = collect_gates()
    results = runtime.verify_dir(directory, margin, registry.definitions(), require_manifest=not no_manifest)
    if not results:
        raise click.ClickException(f"{directory}: holds no .onnx models")
    for result in results:
        if result.ok:
            click.echo(f"{result.path.name:<24} verified   worst margin {result.check.worst_margin:.3f}")
        else:
            reason = result.problem or result.check.details
            click.echo(f"{result.path.name:<24} FAILED     {reason}")
    verified = all(result.ok for result in results)
    if tools and not verified:
        click.echo("note: --tools not run: the tools check exports of verified models only", err=True)
    if not verified or (tools and not _verify_tools(directory)):
        sys.exit(1)


def _verify_tools(directory: Path) -> bool:
    """`verify --tools`: each model's hardware exports checked by the tools on PATH, and which ran."""
    from gatenet import hdl, logic_tools

    try:
        found = logic_tools.check_folder(directory)
    except hdl.HdlError as error:
        raise click.ClickException(str(error)) from None
    for note in [*found.skipped, *found.missing]:
        click.echo(f"note: {note}", err=True)
    for name, checks in found.checks.items():
        for check in checks:
            verdict, detail = (
                ("proven" if check.ok else "FAILED"),
                f": {check.detail}" if check.detail else "",
            )
            click.echo(f"{name:<24} {verdict:<10} {check.tool}: {check.what}{detail}")
    if not found.ran:
        click.echo("tools run: none (install them with scripts/setup-system)", err=True)
        return False
    click.echo(f"tools run: {', '.join(f'{tool} ({path})' for tool, path in found.ran.items())}")
    return found.ok


@cli.command()
@folder(
    "--dir",
    "exported",
    "Folder of .onnx models (one not made yet holds every gate as missing).",
    must_exist=False,
)
@click.option("--family", "families", multiple=True, help="Also report every gate of this opt-in family.")
@recipe_options
@click.option(
    "--wiring", type=click.Choice(WIRINGS), default="digital", show_default=True, help="Circuits' wiring."
)
@DEEP_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def status(
    directory: Path,
    families: tuple[str, ...],
    seed: int,
    restarts: int,
    escalate: int,
    margin: float,
    wiring: str,
    deep: bool,
    as_json: bool,
) -> None:
    """Is each gate's model what `gatenet train` would make now, with these options and the network
    settings of ./pyproject.toml?

    One line per gate and per model file: up to date, stale (and why), missing, or orphaned (a model
    no plugin defines any more; `gatenet prune` removes those). Up to date trusts the manifest's
    SHA-256 digests; --deep also runs every up-to-date model on its whole truth table.
    """
    registry = collect_gates()
    folder = ModelFolder(directory)
    _select(registry, (), families)  # an unknown family is a usage error
    options = builder.Options(
        directory, seed=seed, restarts=restarts, margin=margin, wiring=wiring, escalate=escalate
    )
    statuses = builder.status(registry, families, options, deep)
    if as_json:
        click.echo(
            json.dumps({"folder": str(folder.root), "models": [s.to_dict() for s in statuses]}, indent=1)
        )
    else:
        for entry in statuses:
            reasons = "; ".join(entry.reasons)
            click.echo(f"{entry.name:<16} {entry.state:<10} {entry.file or '-':<22} {reasons}".rstrip())
        click.echo(_summary(statuses, options, (), families))
    _exit_on_problems(registry)


@cli.command()
@click.argument("name", metavar="GATE|CIRCUIT", type=GateName())
@folder("--dir", "exported", "Folder of .onnx models.", must_exist=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def show(name: str, directory: Path, as_json: bool) -> None:
    """One gate or circuit on one screen: its definition and plugin, how `gatenet train` would make it
    now, and its model in the folder: state (as `gatenet status` says it), record, margin and files."""
    options = builder.Options(directory)
    try:
        seen = overview(collect_gates(), name, options)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    if as_json:
        click.echo(json.dumps(seen.to_dict(), indent=1))
        return
    for label, text in _show_lines(seen, options):
        click.echo(f"{label:<8} {text}".rstrip())


def _show_lines(seen: Overview, options: builder.Options) -> list[tuple[str, str]]:
    """`gatenet show`'s screen, as (label, text) rows; an empty label continues the row above."""
    record, status = seen.record, seen.status
    ins, outs = seen.inputs, seen.outputs
    rows = [(seen.name, f"{len(ins)} in ({', '.join(ins)}), {len(outs)} out ({', '.join(outs)})")]
    if seen.plugin is not None:
        rows.append(("plugin", f"{seen.plugin}: {seen.description}" if seen.description else seen.plugin))
    rows.append(("status", "; ".join([status.state, *status.reasons]).replace(";", ":", 1)))
    if status.state in (STALE, MISSING):
        rows.append(("fix", _train_command(options, (seen.name,))))
    elif status.state == ORPHANED:
        rows.append(("fix", f"gatenet prune --dir {shlex.quote(str(options.out))}"))
    if seen.recipe is not None:
        settings = [f"{key} {_setting_text(value)}" for key, value in seen.recipe.items() if key != "kind"]
        rows.append(("recipe", f"{seen.recipe['kind']}: {', '.join(settings)}"))
    if record is None:
        return [*rows, ("model", f"none in {ModelFolder(options.out).root}")]
    made = [f"{record.kind.value}, worst margin {record.worst_margin:.3f} (verified at {record.margin:g})"]
    training = record.training
    if training is not None:
        made += [f"seed {training.seed}", f"{training.steps} steps"]
        made.append(f"all right at step {training.first_right_step}")
        rung = (training.build or {}).get("rung", 0)
        if rung and record.logic is None:  # a logic model's rung is in its `logic` shape, below
            hidden = training.network.get("hidden")  # a folder's record: any mapping of settings
            shape = f", hidden {hidden_text(hidden)}" if isinstance(hidden, list) else ""
            made.append(f"rung {rung} of the escalation ladder{shape}")
    circuit = record.circuit or {}
    shape = record.logic or {key: circuit.get(key) for key in ("depth", "instances", "verification")}
    made += [f"{key} {value}" for key, value in shape.items() if value is not None]
    rows.append(("model", ", ".join(made)))
    return rows + [("files" if index == 0 else "", str(path)) for index, path in enumerate(seen.files)]


@cli.command()
@folder("--dir", "exported", "Folder of .onnx models.")
@click.option("--yes", is_flag=True, help="Remove without asking.")
def prune(directory: Path, yes: bool) -> None:
    """Remove orphaned models (whose gate no plugin defines any more): the files their manifest entry
    lists, each path listed first. A model file the manifest does not list is not gatenet's to delete."""
    registry = collect_gates()
    if registry.problems:
        for problem in registry.problems:
            click.echo(f"error: {problem}", err=True)
        raise click.ClickException("nothing removed: while a plugin is broken, its gates look orphaned")
    with ModelFolder(directory).writing("gatenet prune", _waiting) as writer:
        folder = writer.folder
        known = ChainMap(registry.definitions(), registry.unavailable)  # an unavailable circuit is not gone
        orphans = [s for s in folder_status(folder, [], known) if s.state == ORPHANED]
        listed = folder.entries()
        for orphan in [orphan for orphan in orphans if orphan.file not in listed]:
            click.echo(f"left alone: {folder.root / orphan.file} (not in its manifest, so not gatenet's)")
        orphans = [orphan for orphan in orphans if orphan.file in listed]
        if not orphans:
            click.echo(f"{folder.root}: no orphaned models")
            return
        for orphan in orphans:
            why = f"({orphan.name}: no plugin defines it)"
            click.echo(f"orphaned: {folder.root / orphan.file} {why}; removes:")
            for path in folder.removal_paths(orphan.file, listed[orphan.file]):
                click.echo(f"  {path}")
        if not yes:
            if not sys.stdin.isatty():
                raise click.ClickException("nothing removed: confirm with --yes when not at a terminal")
            click.confirm(f"Remove these {len(orphans)} models and their files?", abort=True)
        writer.commit([], remove=[orphan.file for orphan in orphans])
    click.echo(f"removed {len(orphans)} orphaned models")


@cli.command()
@folder("--dir", "exported", "Folder of .onnx models.")
def recover(directory: Path) -> None:
    """Finish a commit that was interrupted (a writer killed mid-commit), and clear what it left.

    Readers (verify, status, predict, serve) only report an interrupted commit, since finishing it moves
    and deletes files; `gatenet train` and `prune` finish one themselves before they write. A journal
    that names anything outside the folder, or that gatenet did not write, is refused and nothing changes.
    """
    folder = ModelFolder(directory)
    if folder.recover():
        click.echo(f"{folder.root}: finished an interrupted commit")
    else:
        click.echo(f"{folder.root}: no interrupted commit")


@cli.command()
@click.argument("gate_name", metavar="GATE", type=GateName())
@click.argument("bits", nargs=-1, type=Bit())
@folder("--dir", "exported", "Folder of .onnx models.")
@click.option("--table", is_flag=True, help="Print the model's whole truth table instead.")
@click.option("--probabilities", is_flag=True, help="Print probabilities instead of bits.")
@NO_MANIFEST
def predict(
    gate_name: str,
    bits: tuple[int, ...],
    directory: Path,
    table: bool,
    probabilities: bool,
    no_manifest: bool,
) -> None:
    """Run GATE's exported model on BITS (one per input), with onnxruntime only.

    \b
    gatenet predict XOR 0 1        -> 1
    gatenet predict XOR --table    -> every row, with its probability
    """
    from gatenet import runtime

    model = runtime.load_gate(gate_name, directory, require_manifest=not no_manifest)
    changes = runtime.out_of_date(model, collect_gates().definitions().get(model.name.lower()))
    retrain = _train_command(builder.Options(directory), (model.name,)) if changes else ""
    stale = f"{model.path} is out of date ({'; '.join(changes)}); retrain it: {retrain}" if changes else ""
    if stale and not table and len(bits) != model.inputs:  # bits for the gate as it is now
        raise click.ClickException(stale)
    if table and model.table is None:
        raise click.ClickException(f"{model.name}: {2**model.inputs} rows are too many to print")
    if len(bits) != model.inputs and not table:
        names, example = ", ".join(model.input_names), " ".join("01"[i % 2] for i in range(model.inputs))
        raise click.UsageError(
            f"{model.name} takes {model.inputs} bits ({names}), one per input, e.g. "
            f"gatenet predict {model.name} {example}; got {len(bits) or 'none'}"
        )
    if stale:  # it still computes the old gate: the answer is printed, with why it may be wrong
        click.echo(f"note: {stale}", err=True)
    rows = model.rows if table else [list(bits)]
    values = model.probabilities(rows) if table or probabilities else model.predict(rows)
    if table:
        click.echo(f"{' '.join(model.input_names)} | {' '.join(model.output_names)}")
        for row, value in zip(rows, values, strict=True):
            outputs = " ".join(f"{int(p > 0.5)} ({p:.3f})" for p in value)
            click.echo(f"{' '.join(map(str, row))} | {outputs}")
        return
    click.echo(" ".join(f"{value:.6f}" if probabilities else str(value) for value in values[0]))


def _waiting(message: str) -> None:
    click.echo(message, err=True)


@cli.command()
@click.argument("gate_names", metavar="[GATE|CIRCUIT]...", nargs=-1, type=GateName())
@folder("--dir", "exported", "Folder of trained models, with their history.json files.")
@folder("--out", "plots", "Folder for the PNG files.")
def plot(gate_names: tuple[str, ...], directory: Path, out_dir: Path) -> None:
    """Learning curves of the gates trained into DIR, decision surfaces of its 2-input models, and
    schematics of its circuits (with, for analog circuits, the worst margin at each gate depth) and of
    its logic models' learned circuits."""
    try:
        from gatenet import circuit_plots, plots, runtime
    except ImportError as error:
        raise click.ClickException(str(extras.error("plot", error))) from None
    registry = collect_gates()
    entries = {entry.key: entry for entry in ModelFolder(directory).entries().values()}
    asked = {name.lower() for name in gate_names}
    if gate_names:
        circuit_keys = [key for key in map(str.lower, gate_names) if key in registry.circuits]
        gate_names = tuple(name for name in gate_names if name.lower() not in registry.circuits)
        plot_gates = bool(gate_names)
    else:  # everything in the folder: its gates, and its circuits
        circuit_keys = [key for key in registry.circuits if key in entries]
        plot_gates = any(entry.kind.trained for entry in entries.values()) or not circuit_keys
    out_dir.mkdir(parents=True, exist_ok=True)
    written, drawings = [], [registry.circuits[key] for key in circuit_keys]
    if plot_gates:
        histories = _histories(directory, gate_names)
        written.append(plots.learning_curves(histories, out_dir / "learning_curves.png"))
        for name in histories:
            model = runtime.load_gate(name, directory)
            if model.inputs == 2:
                written.append(plots.decision_surface(model, out_dir / f"{model.name.lower()}_surface.png"))
            if contract.KEY_NETLIST in model.metadata:  # a logic model: its learned circuit
                netlist = Netlist.from_json(model.metadata[contract.KEY_NETLIST])
                drawings.append(
                    circuit_plots.logic_drawing(
                        model.name, model.metadata.get(contract.KEY_DESCRIPTION, ""), netlist
                    )
                )
    undrawn, why = [], ""
    for drawing in drawings:
        try:
            written += circuit_plots.schematic(drawing, out_dir)
        except RuntimeError as error:  # Graphviz's `dot` is missing: draw the rest
            undrawn.append(drawing.name)
            why = str(error)
    for key in circuit_keys:
        circuit = registry.circuits[key]
        record = entries[key].circuit if key in entries else None
        if record and record["wiring"] == "analog":
            path = out_dir / f"{key}_margin_by_depth.png"
            written.append(
                circuit_plots.margin_by_depth(
                    circuit.name, record["depth_margins"], entries[key].margin, path
                )
            )
    for path in written:
        click.echo(str(path))
    if undrawn:
        click.echo(f"note: no schematic of {', '.join(undrawn)}: {why}", err=True)
        if any(name.lower() in asked for name in undrawn):  # asked for by name, and not drawn
            sys.exit(1)


@cli.command(name="export-c")
@click.argument("gate_names", metavar="[GATE]...", nargs=-1, type=GateName())
@folder("--dir", "exported", "Folder of verified .onnx models.")
@folder("--out", "exported-c", "Folder for the C headers.")
def export_c(gate_names: tuple[str, ...], directory: Path, out_dir: Path) -> None:
    """Write each verified model (or each GATE) as one C99 header, for apps with no ONNX runtime.

    \b
    gatenet export-c XOR --out firmware/   -> firmware/xor.h, with xor_probabilities() and xor_verify()
    """
    try:
        import onnx  # noqa: F401  (the graph is read with it)

        from gatenet import c_export, runtime
    except ImportError as error:
        raise click.ClickException(str(extras.error("c", error))) from None
    if gate_names:
        models = [runtime.load_gate(name, directory) for name in gate_names]
    else:  # the whole folder: a circuit verified on a sample has no table for `_verify()`, so skip it
        models = list(runtime.load_dir(directory).values())
        for model in [model for model in models if model.table is None]:
            click.echo(f"skipped {model.path.name}: {model.inputs} inputs, verified on a sample", err=True)
        models = [model for model in models if model.table is not None]
    if not models:
        raise click.ClickException(f"{directory}: no models to export (train some with gatenet train)")
    for path in c_export.write_headers(models, out_dir):
        click.echo(str(path))


@cli.command(name="export-hdl")
@click.argument("gate_names", metavar="[GATE]...", nargs=-1, type=GateName())
@folder("--dir", "exported", "Folder of verified .onnx models.")
@folder("--out", "hdl", "Folder for the Verilog, BLIF and AIGER files.")
@click.option(
    "--format",
    "formats",
    default="verilog,blif,aig",
    show_default=True,
    help="Comma-separated: verilog (.v), blif (.blif), aig (binary AIGER).",
)
@click.option(
    "--abc",
    "abc_script",
    metavar="SCRIPT",
    help="Pass each model through ABC with this script, e.g. 'strash; dc2; resyn2', prove the result "
    "on every row and export it.",
)
def export_hdl(
    gate_names: tuple[str, ...], directory: Path, out_dir: Path, formats: str, abc_script: str | None
) -> None:
    """Write each verified model (or each GATE) as structural Verilog, BLIF and binary AIGER, each
    file proven equal to the model's truth table first; print its gates and AIG AND nodes.

    \b
    gatenet export-hdl FULL_ADDER --out hdl/   -> hdl/full_adder.v, .blif and .aig
    """
    from gatenet import hdl, logic_tools

    chosen = [name.strip() for name in formats.split(",") if name.strip()]
    try:
        exported, skipped = logic_tools.export(directory, gate_names, out_dir, chosen, abc_script)
    except (hdl.HdlError, logic_tools.ToolMissing) as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(str(os_error(error, "cannot write"))) from None
    for note in skipped:
        click.echo(note, err=True)
    if not exported:
        raise click.ClickException(f"{directory}: no models to export (train some with gatenet train)")
    abc = abc_script is not None
    heading = f"{'model':<24} {'gates':>6} {'AND nodes':>9}"
    heading += f" {'ABC gates':>9} {'ABC ANDs':>8}" if abc else ""
    click.echo(f"{heading}  files")
    for row in exported:
        line = f"{row.design.file:<24} {row.learned.gates:>6} {row.learned.and_nodes:>9}"
        line += f" {row.design.gates:>9} {row.design.and_nodes:>8}" if abc else ""
        click.echo(f"{line}  {' '.join(str(path) for path in row.paths)}")


def _histories(directory: Path, gate_names: tuple[str, ...]) -> dict[str, dict]:
    """The history of each model the manifest lists (or of the named gates), by gate name."""
    folder = ModelFolder(directory)
    entries = {entry.key: (name, entry) for name, entry in folder.entries().items() if entry.kind.trained}
    if not entries:
        raise click.ClickException(
            f"{directory}: no trained models with a history (train some with gatenet train)"
        )
    wanted = [name.lower() for name in gate_names] or sorted(entries)
    missing = [name for name in wanted if name not in entries]
    if missing:
        raise click.ClickException(
            f"{directory}: no history for {', '.join(missing)}; there: {', '.join(sorted(entries))}"
        )
    return {entries[key][1].gate: folder.read_history(entries[key][0]) for key in wanted}


@cli.command()
@click.argument("gate_names", metavar="[GATE]...", nargs=-1)
@click.option(
    "--family", "families", multiple=True, help="Sweep every gate of this family: a capacity study."
)
@click.option(
    "--hidden",
    type=Listed(Hidden("+")),
    help="Hidden layers to try: none (logistic regression), 4, 8+8; e.g. none,1,2,4.",
)
@click.option("--hidden-units", type=Listed(UNITS), help="Units per hidden layer to try, e.g. 2,4,8,16.")
@click.option("--layers", type=Listed(LAYERS), help="Numbers of hidden layers to try, e.g. 1,2.")
@click.option("--activation", type=Listed(KerasName()), help="Hidden activations to try, e.g. relu,tanh.")
@click.option("--loss", type=Listed(KerasName()), help="Losses to try, e.g. mse,binary_crossentropy.")
@click.option("--optimizer", type=Listed(KerasName()), help="Optimizers to try, e.g. adam,sgd.")
@click.option(
    "--learning-rate", type=Listed(LEARNING_RATE), help="Learning rates to try, e.g. 0.001,0.01,0.1."
)
@click.option("--steps", type=Listed(STEPS), help="Step counts to try, e.g. 250,1000.")
@click.option(
    "--seeds", type=NETWORKS_PER_GATE, default=20, show_default=True, help="Networks trained per setting."
)
@click.option("--margin", type=MARGIN, default=DEFAULT_MARGIN, show_default=True)
@folder("--out", "sweeps", "Folder for the CSV, JSON and PNG.")
@RAY_OPTION
@click.option("--quiet", "-q", is_flag=True, help="Print errors only.")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as one JSON document.")
def sweep(gate_names, families, seeds, margin, out_dir, ray, quiet, as_json, **axes) -> None:
    """Train one GATE over a grid of settings, SEEDS networks each: success rate, steps to 100%, margin.
    With several GATEs or a --family it is a capacity study: how many of them each setting learns.

    \b
    gatenet sweep XOR --hidden-units 2,4,8,16 --learning-rate 0.001,0.01,0.1 --seeds 20
    gatenet sweep --family boolean3 --hidden none,1,2,4 --seeds 4
    """
    if not gate_names and not families:
        raise click.UsageError("name a GATE, several GATEs, or a --family to sweep")
    registry = collect_gates()
    gates = _select(registry, gate_names, families)
    parsed = {name: list(values) for name, values in axes.items() if values is not None}
    durable.check_writable(out_dir)  # before hours of training, not after
    from gatenet import sweeps

    points = len(sweeps.grid(parsed))
    names = [axis for axis in sweeps.AXES if axis in parsed]
    run_jobs = ray_jobs.runner(ray)
    with progress_bar(points, f"sweeping {points} settings", enabled=not quiet) as bar:
        bar.start()
        if len(gates) == 1 and not families:
            rows = sweeps.sweep(gates[0], parsed, seeds, margin, lambda row: bar.advance(), run_jobs)
        else:
            rows = sweeps.capacity(gates, parsed, seeds, margin, lambda row: bar.advance(), run_jobs)
    single = len(gates) == 1 and not families
    if single:
        paths = sweeps.write_sweep(gates[0], rows, out_dir)
    else:
        first = itertools.islice(gates, 4)
        subject = "_".join(families) if families and not gate_names else "_".join(g.name for g in first)
        paths = sweeps.write_capacity(subject, rows, out_dir)
    if as_json:
        files = {kind: str(path) for kind, path in paths.items()}
        click.echo(json.dumps({"gates": [gate.name for gate in gates], "rows": rows, "files": files}))
        return
    if quiet:
        return
    heading = f" {'verified':>9} {'median steps':>12} {'margin':>7}"
    if not single:
        heading = f" {'learned':>9} {'pairs':>6} {'median steps':>12}"
    click.echo(" ".join(f"{name:>13}" for name in names) + heading)
    for row in rows:
        median = "-" if row["median_steps"] is None else f"{row['median_steps']:g}"
        if single:
            cells = f" {row['success_rate']:>9.0%} {median:>12} {row['median_margin']:>7.3f}"
        else:
            learned = f"{row['learned']}/{row['gates']}"
            cells = f" {learned:>9} {row['pairs_verified_share']:>6.0%} {median:>12}"
        click.echo(" ".join(f"{_setting_text(row[name]):>13}" for name in names) + cells)
    click.echo("wrote " + ", ".join(str(path) for path in paths.values()))


def _setting_text(value: object) -> str:
    """A setting as the command line spells it: hidden layers as none or 8+8."""
    return hidden_text(value) if isinstance(value, tuple | list) else str(value)


@cli.command()
@click.option("--family", required=True, help="The family whose functions to map, e.g. boolean4.")
@click.option(
    "--hidden",
    type=Listed(Whole(0, MAX_UNITS)),
    default=",".join(map(str, atlases.HIDDEN)),
    show_default=True,
    help="Hidden ReLU units to try, one layer each; 0 is no hidden layer.",
)
@click.option(
    "--widths",
    type=Listed(Whole(1, 1024)),
    default=",".join(map(str, atlases.WIDTHS)),
    show_default=True,
    help="Logic network widths (nodes per layer) to try.",
)
@click.option(
    "--seeds", type=NETWORKS_PER_GATE, default=atlases.SEEDS, show_default=True, help="Networks per rung."
)
@folder("--out", "atlas", "Folder for FAMILY.csv and FAMILY.png.")
@click.option("--quiet", "-q", is_flag=True, help="Print errors only.")
def atlas(family: str, hidden, widths, seeds: int, out_dir: Path, quiet: bool) -> None:
    """Map a family's NPN classes: how small a ReLU layer and a logic network learn each one.

    \b
    gatenet atlas --family boolean4 --out docs/atlas
    """
    gates = list(_select(collect_gates(), (), (family,)))
    try:
        import matplotlib  # noqa: F401  (the figure's; checked before minutes of training)
    except ImportError as error:
        raise click.ClickException(str(extras.error("plot", error, "gatenet atlas"))) from None
    durable.check_writable(out_dir)  # before minutes of training, not after
    with progress_bar(0, f"mapping {family}", enabled=not quiet) as bar:

        def advance(done: int, total: int) -> None:
            if not done:
                bar.total = total
                bar.start()
            else:
                bar.advance()

        try:
            rows = atlases.atlas(gates, hidden, widths, seeds, on_program=advance)
        except ValueError as error:
            raise click.ClickException(f"--family {family}: {first_line(error)}") from None
    paths = atlases.write_atlas(family.lower(), rows, out_dir)
    if quiet:
        return
    click.echo(f"{'rung':<10} {'classes':>8} {f'all {seeds} seeds':>13} {'functions':>10} {'all seeds':>10}")
    for line in atlases.summary(rows):
        click.echo(
            f"{line['rung']:<10} {line['classes_some']:>8} {line['classes_all']:>13} "
            f"{line['functions_some']:>10} {line['functions_all']:>10}"
        )
    click.echo("wrote " + ", ".join(str(path) for path in paths.values()))


@cli.command(name="new-plugin")
@click.argument("name")
@folder("--dir", ".", "Folder to write the package into.", must_exist=False)
def new_plugin(name: str, directory: Path) -> None:
    """Write an installable plugin package gatenet-NAME with one example gate and its tests."""
    from gatenet.scaffold import new_plugin as scaffold

    existing = collect_gates().find(name)
    if existing is not None:
        raise click.ClickException(f"gate name {existing.name!r} already exists; pick another NAME")
    root = scaffold(name, directory)
    gate = name.upper()
    click.echo(
        f"wrote {root}: its gate {gate} is an example (a and not b); define yours in {root}/gatenet_{name}.py"
    )
    click.echo(f"then: cd {root} && pip install -e '.[test]' && gatenet train {gate} && python -m pytest")


@cli.command(name="serve")
@folder("--dir", "exported", "Folder of verified .onnx models.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but loopback lets other machines reach the gallery.",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port; 0 picks a free one."
)
@click.option(
    "--playground-dir",
    "playground_dir",
    type=Folder(must_exist=False),
    default=None,
    help="Folder the Playground writes its models to, shown in the gallery beside --dir's "
    "[default: playground/ beside --dir]. Give --dir's own folder to write into it.",
)
@click.option("--quiet", "-q", is_flag=True, help="No line per request (warnings and errors still show).")
def serve_gallery(directory: Path, host: str, port: int, playground_dir: Path | None, quiet: bool) -> None:
    """Serve a gallery of the folder's models in the browser, which runs them itself: click the input
    bits, see the outputs, the decision surface, the learning curve, the truth table and a replay of the
    training. Its Playground trains a network live and writes it to a folder of its own
    (--playground-dir), whose models the gallery shows too. Ctrl-C stops."""
    try:
        from gatenet.web.serve import serve
    except ImportError as error:
        raise click.ClickException(str(extras.error("serve", error))) from None
    serve(directory, host, port, click.echo, _waiting, playground_dir, access_log=not quiet)


@cli.command(name="site")
@folder("--dir", "exported", "Folder of verified .onnx models.")
@folder("--out", "site", "Folder for the static site (new, empty, or an earlier site, which is replaced).")
@click.option(
    "--playground-dir",
    "playground_dir",
    type=Folder(must_exist=True),
    default=None,
    help="Publish the models of this Playground folder too (gatenet serve's, e.g. playground). "
    "Without it, only --dir's models are published.",
)
def write_site(directory: Path, out_dir: Path, playground_dir: Path | None) -> None:
    """Write the gallery as static files that any static web host can serve: no server code, the
    browser runs the models.

    \b
    gatenet site --out site && python -m http.server --directory site
    """
    from gatenet.web.site import write_site as write

    catalog = write(directory, out_dir, playground_dir)
    played = f", and the Playground's models of {playground_dir}" if playground_dir else ""
    models = f"{len(catalog.models)} models{played}"
    click.echo(f"wrote {out_dir}: the gallery of {models}; open it through any web server")


def _selection(
    registry: Registry, names: tuple[str, ...], families: tuple[str, ...]
) -> tuple[Chain, list[Circuit]]:
    """`builder.select`, with table files among the names read as gates (FILE.pla, FILE.truth,
    FILE.blif: `gatenet.table_files`), and an unknown name or a bad file reported as a usage error."""
    try:
        files, names = table_files.file_arguments(
            names, lambda n: registry.find(n) or registry.find_circuit(n)
        )
        if files and not names and not families:
            return Chain([files]), []
        gates, circuits = builder.select(registry, names, families)
        return Chain([*gates.parts, files]), circuits
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def _table_gate(
    registry: Registry, tables: tuple[str, ...], name: str | None, others: tuple[str, ...]
) -> Gate:
    """`train --table BITS --name NAME`: one gate of the user's own, not a registered one's namesake."""
    if not (tables and name):
        raise click.UsageError("--table and --name go together, e.g. gatenet train --table 0110 --name MYXOR")
    if others:
        raise click.UsageError("--table trains one gate of its own: give no GATE or --family with it")
    if registry.find(name) or registry.find_circuit(name):
        raise click.UsageError(f"--name {name}: a registered gate or circuit has that name; pick another")
    try:
        return table_gate(name, tables)
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def _select(registry: Registry, names: tuple[str, ...] = (), families: tuple[str, ...] = ()) -> Chain:
    """`Registry.select`, with an unknown name reported as a usage error."""
    try:
        return registry.select(names, families)
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def _print_row(row: builder.Row) -> None:
    """One line of `gatenet train`'s table."""
    fresh = row.status == UP_TO_DATE
    verified = UP_TO_DATE if fresh else "yes" if row.verified else "NO"
    if row.rung and not fresh:
        verified += f" (r{row.rung})"  # learned on a rung of the ladder above what was asked for
    steps = "-" if row.steps is None else row.steps
    right = "-" if row.first_right_step is None else str(row.first_right_step)
    seconds = "-" if fresh else f"{row.seconds:.2f}"
    click.echo(
        f"{row.gate:<16} {verified:<10} {row.worst_margin:>12.3f} {steps:>6} "
        f"{'circuit' if row.kind is Kind.CIRCUIT else right:>12} {seconds:>8}  {row.file or '-'}"
    )


def _exit_on_problems(registry: Registry, failed: bool = False) -> None:
    for note in registry.notes:
        click.echo(f"note: {note}", err=True)
    for problem in registry.problems:
        click.echo(f"error: {problem}", err=True)
    if failed or registry.problems:
        sys.exit(1)


def main() -> None:
    """The console script.

    SIGTERM unwinds like Ctrl-C, so the model folder's cleanup and lock release run. Once a command
    that loaded TensorFlow is done, the exit handlers (a plugin's `atexit`, `logging`'s flush) run and
    the process ends without the interpreter teardown, which costs TensorFlow a second or more.
    """
    signal.signal(signal.SIGTERM, _terminated)
    code = supervised(_run) if _is_check(sys.argv[1:]) else _run()
    if "tensorflow" in sys.modules:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _run() -> int:
    """The command, as an exit status."""
    try:
        cli()
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    if not isinstance(code, int):
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    return code


def _is_check(args: list[str]) -> bool:
    """`gatenet [OPTIONS] train ... --check`: the pre-commit check, which runs supervised so that a
    plugin that ends the process (`os._exit(0)`) cannot make it pass with no output."""
    takes_value = {name for param in cli.params if not getattr(param, "is_flag", True) for name in param.opts}
    words = iter(args)
    for word in words:
        if word in takes_value:
            next(words, None)
        elif not word.startswith("-"):
            return word == "train" and "--check" in args
    return False


class Terminated(KeyboardInterrupt):
    """SIGTERM: stop as Ctrl-C does (cleanup and lock release run, and plugin code, which may swallow
    `SystemExit`, cannot turn it into a failure and go on), but exit with 128 + the signal."""

    def __init__(self, signal: int) -> None:
        super().__init__()
        self.signal = signal


def _terminated(signum: int, frame: object) -> None:
    raise Terminated(signum)


def _terminated_by(error: BaseException) -> Terminated | None:
    """The Terminated behind `error`: the plugin loader re-raises a stop as a KeyboardInterrupt that
    names the plugin, caused by the original."""
    while error is not None and not isinstance(error, Terminated):
        error = error.__cause__ or error.__context__
    return error


if __name__ == "__main__":
    main()
