"""The docs say everything there is: every command and option, every hook, every public name.

In the manner of datasette's tests/test_docs.py: the checks walk the real click group, the pluggy
hookspecs and `gatenet.__all__`, so a new option, hook or name fails here until a page describes it.
The site itself must build with `mkdocs build --strict`.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

import click
import yaml

import gatenet
from gatenet import hookspecs
from gatenet.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CLI_PAGE = DOCS / "cli.md"
PLUGIN_PAGE = DOCS / "plugins.md"
README = ROOT / "README.md"


def docs_text() -> str:
    """Every Markdown page of the docs, as one text."""
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(DOCS.rglob("*.md")))


def command_sections(markdown: str) -> dict[str, str]:
    """The command reference cut at its `## gatenet ...` headings: {"gatenet train": its text}."""
    sections: dict[str, str] = {}
    for part in re.split(r"^(?=## )", markdown, flags=re.MULTILINE):
        heading = re.match(r"## (gatenet(?: [\w-]+)*)\s*$", part.splitlines()[0]) if part else None
        if heading:
            sections[heading.group(1)] = part
    return sections


def walk(command: click.Command, path: str) -> Iterable[tuple[str, click.Command]]:
    """Every command under a click group, with its full name ("gatenet train"), the group first."""
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            if not sub.hidden:
                yield from walk(sub, f"{path} {name}")


def option_names(option: click.Option) -> list[str]:
    """The names a user types: long forms (and `--no-x` switches); short forms only when alone."""
    names = [*option.opts, *option.secondary_opts]
    long = [name for name in names if name.startswith("--")]
    return long or names


def mentions(text: str, name: str) -> bool:
    """`--out` is mentioned in text, not as part of `--output-activation`."""
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


def undocumented_options(group: click.Group, markdown: str) -> list[str]:
    """Each command without a `## gatenet CMD` section, and each option its section never names."""
    sections = command_sections(markdown)
    missing = []
    for path, command in walk(group, "gatenet"):
        section = sections.get(path)
        if section is None:
            missing.append(f"{path}: no '## {path}' section")
            continue
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                missing += [f"{path}: {name}" for name in option_names(param) if not mentions(section, name)]
    return missing


def undocumented_hooks(module: ModuleType, markdown: str) -> list[str]:
    """Each hookspec of `module` that no heading of the plugin guide names."""
    headings = re.findall(r"^#+ .*$", markdown, flags=re.MULTILINE)
    hooks = [name for name, value in vars(module).items() if hasattr(value, "gatenet_spec")]
    return [name for name in sorted(hooks) if not any(re.search(rf"\b{name}\b", h) for h in headings)]


def undocumented_names(names: Iterable[str], markdown: str) -> list[str]:
    """Each public name that no page mentions as `gatenet.NAME`."""
    return [name for name in sorted(names) if not re.search(rf"\bgatenet\.{re.escape(name)}\b", markdown)]


def test_every_command_and_option_is_documented():
    assert undocumented_options(cli, CLI_PAGE.read_text(encoding="utf-8")) == []


def test_every_hook_has_a_heading_in_the_plugin_guide():
    assert undocumented_hooks(hookspecs, PLUGIN_PAGE.read_text(encoding="utf-8")) == []


def test_every_public_name_is_mentioned():
    assert undocumented_names(gatenet.__all__, docs_text()) == []


def test_the_walk_sees_every_command():
    """The checker is only as good as its walk: it must reach each command the CLI has."""
    walked = {path for path, _ in walk(cli, "gatenet")}
    assert walked == {"gatenet"} | {f"gatenet {name}" for name in cli.commands}
    assert {"gatenet train", "gatenet verify", "gatenet serve"} <= walked


def with_option(group: click.Group, command: str, option: click.Option) -> click.Group:
    """A copy of `group` whose `command` has one more option; the real CLI is left as it is."""
    changed = copy.copy(group.commands[command])
    changed.params = [*changed.params, option]
    copied = copy.copy(group)
    copied.commands = {**group.commands, command: changed}
    return copied


def test_an_undocumented_option_fails():
    markdown = CLI_PAGE.read_text(encoding="utf-8")
    grown = with_option(cli, "train", click.Option(["--frobnicate/--no-frobnicate", "-F"]))
    assert undocumented_options(grown, markdown) == [
        "gatenet train: --frobnicate",
        "gatenet train: --no-frobnicate",
    ]
    assert "--frobnicate" not in [param.opts[0] for param in cli.commands["train"].params]  # the real one
    # documenting it in the train section, and only there, makes the check pass
    documented = markdown.replace(
        "## gatenet sweep", "`--frobnicate` / `--no-frobnicate`.\n\n## gatenet sweep"
    )
    assert undocumented_options(grown, documented) == []
    # a mention in another command's section does not count
    elsewhere = markdown + "\n`--frobnicate` / `--no-frobnicate`\n"
    assert undocumented_options(grown, elsewhere) == [
        "gatenet train: --frobnicate",
        "gatenet train: --no-frobnicate",
    ]


def test_an_option_that_only_prefixes_another_is_not_a_mention():
    grown = with_option(cli, "train", click.Option(["--output"]))
    assert undocumented_options(grown, CLI_PAGE.read_text(encoding="utf-8")) == ["gatenet train: --output"]


def test_an_undocumented_command_fails():
    copied = copy.copy(cli)
    copied.commands = {**cli.commands, "frob": click.Command("frob", params=[click.Option(["--x"])])}
    assert undocumented_options(copied, CLI_PAGE.read_text(encoding="utf-8")) == [
        "gatenet frob: no '## gatenet frob' section"
    ]


def test_an_undocumented_hook_fails():
    module = ModuleType("fake_hookspecs")
    exec(  # a hookspec module like gatenet.hookspecs, with one hook more
        "import pluggy\nhookspec = pluggy.HookspecMarker('gatenet')\n"
        "@hookspec\ndef register_gates(register): ...\n"
        "@hookspec\ndef register_frobs(register): ...\n",
        module.__dict__,
    )
    assert undocumented_hooks(module, PLUGIN_PAGE.read_text(encoding="utf-8")) == ["register_frobs"]
    assert undocumented_hooks(module, "### `register_frobs`\n### register_gates\n") == []


def test_an_undocumented_public_name_fails():
    assert undocumented_names([*gatenet.__all__, "frobnicate"], docs_text()) == ["frobnicate"]
    assert undocumented_names(["train"], "see gatenet.trainer") == ["train"]


def test_the_readme_is_a_front_door():
    """A few KB, the exact test command, and links into docs/ that all resolve."""
    text = README.read_text(encoding="utf-8")
    assert len(text.encode()) < 8000
    test_command = (
        "scripts/setup-system && python3 -m venv .venv && . .venv/bin/activate && "
        "pip install -q -e '.[train,dev]' && pytest"
    )
    assert test_command in text.splitlines()
    assert "gatenet-logic" in text
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    assert any(link.startswith("docs/") for link in links)
    assert [link for link in links if "://" not in link and not (ROOT / link).exists()] == []


def test_the_site_builds_strict(tmp_path):
    """`mkdocs build --strict` (broken links, missing pages, bad docstrings fail), outside the checkout."""
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    assert (site / "index.html").is_file()
    reference = "".join(
        (site / "reference" / page / "index.html").read_text(encoding="utf-8") for page in ("api", "runtime")
    )
    anchors = set(re.findall(r'id="(gatenet\.[\w.]+)"', reference))
    for name in gatenet.__all__:  # the generated reference documents each public class and function
        if callable(getattr(gatenet, name)) and name != "hookimpl":
            assert {f"gatenet.{name}", f"gatenet.api.{name}", f"gatenet.runtime.{name}"} & anchors, name
    modules = (site / "reference" / "modules" / "index.html").read_text(encoding="utf-8")
    assert "gatenet/cli.py" in modules and "<!-- modules -->" not in modules


def nav_pages(nav: object) -> list[str]:
    """Every page a mkdocs `nav` lists, however deeply nested."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in nav_pages(value)]
    return [page for item in nav for page in nav_pages(item)] if isinstance(nav, list) else []


def test_every_page_is_in_the_nav():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    pages = sorted(path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md"))
    assert sorted(nav_pages(config["nav"])) == pages
