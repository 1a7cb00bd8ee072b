"""scripts/setup-system, run against stand-ins for dpkg-query, apt-get, sudo and id: what it installs, how."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT_NAME = "scripts/setup-system"
SCRIPT = ROOT / SCRIPT_NAME
REAL_TOOLS = ("bash", "env", "awk", "grep")
EVERYTHING = (
    "cmake g++ make binutils libopencv-dev nlohmann-json3-dev libssl-dev graphviz chromium git e2fsprogs "
    "nodejs npm ca-certificates yosys iverilog"
).split()


def stub(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


@pytest.fixture
def system(tmp_path):
    """A PATH with only the script's tools; `run(installed, uid=...)` runs it and returns (result, log)."""
    bin_dir, log = tmp_path / "bin", tmp_path / "log"
    bin_dir.mkdir()
    apt_lists = tmp_path / "lists"
    apt_lists.mkdir()
    (apt_lists / "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4").touch()
    for tool in REAL_TOOLS:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    stub(bin_dir / "python3", 'exit "${FAKE_NO_VENV:-0}"\n')  # its venv works unless FAKE_NO_VENV=1
    stub(bin_dir / "id", 'echo "$FAKE_UID"\n')
    stub(bin_dir / "dpkg-query", 'for p in $FAKE_INSTALLED; do echo "$p ii "; done\n')
    # apt-get logs each call; an install fails while $FAKE_STALE exists, and `update` removes it
    stub(
        bin_dir / "apt-get",
        f'echo "apt-get $*" >> {log}\n'
        'if [ "$1" = update ]; then /bin/rm -f "$FAKE_STALE"; exit 0; fi\n'
        '[ ! -e "$FAKE_STALE" ]\n',
    )

    def run(installed, *args, uid=0, sudo=True, stale=False, lists=True, venv=True):
        if sudo:
            stub(bin_dir / "sudo", f'echo "sudo" >> {log}\nexec "$@"\n')
        elif (bin_dir / "sudo").exists():
            (bin_dir / "sudo").unlink()
        if stale:
            (tmp_path / "stale").touch()
        env = {
            "PATH": str(bin_dir),
            "FAKE_UID": str(uid),
            "FAKE_INSTALLED": " ".join(installed),
            "FAKE_STALE": str(tmp_path / "stale"),
            "SETUP_SYSTEM_APT_LISTS": str(apt_lists if lists else tmp_path / "no-lists"),
            "FAKE_NO_VENV": "0" if venv else "1",
        }
        result = subprocess.run(
            [str(bin_dir / "bash"), SCRIPT, *args], capture_output=True, text=True, env=env, timeout=30
        )
        return result, log.read_text().splitlines() if log.exists() else []

    return run


def test_with_everything_installed_it_changes_nothing(system):
    result, log = system(EVERYTHING)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "setup-system: all 16 system packages the tests need are installed\n"
    assert log == []


def test_it_installs_only_what_is_missing_without_updating_first(system):
    result, log = system([p for p in EVERYTHING if p not in ("graphviz", "chromium")])
    assert result.returncode == 0, result.stderr
    assert log == ["apt-get install -y -q --no-install-recommends graphviz chromium"]
    assert "setup-system: installing graphviz chromium" in result.stderr


def test_a_failed_install_updates_the_package_lists_and_tries_again(system):
    result, log = system([p for p in EVERYTHING if p != "cmake"], stale=True)
    assert result.returncode == 0, result.stderr
    assert log == [
        "apt-get install -y -q --no-install-recommends cmake",
        "apt-get update -q",
        "apt-get install -y -q --no-install-recommends cmake",
    ]


def test_not_root_it_says_it_uses_sudo(system):
    result, log = system([p for p in EVERYTHING if p != "git"], uid=1000)
    assert result.returncode == 0, result.stderr
    assert "not root, so installing with sudo" in result.stderr
    assert log == ["sudo", "apt-get install -y -q --no-install-recommends git"]


def test_not_root_and_no_sudo_it_prints_the_command_for_root(system):
    result, log = system([p for p in EVERYTHING if p != "git"], uid=1000, sudo=False)
    assert result.returncode == 1
    assert "apt-get update && apt-get install -y --no-install-recommends git" in result.stderr
    assert log == []


def test_check_only_names_what_is_missing(system):
    result, log = system([p for p in EVERYTHING if p != "nodejs"], "--check")
    assert (result.returncode, result.stderr, log) == (1, "setup-system: missing: nodejs\n", [])


def test_a_fresh_image_without_package_lists_updates_first(system):
    result, log = system([p for p in EVERYTHING if p != "make"], lists=False)
    assert result.returncode == 0, result.stderr
    assert log == ["apt-get update -q", "apt-get install -y -q --no-install-recommends make"]


def test_venv_mode_on_a_python_with_venv_does_nothing_and_says_nothing(system, tmp_path):
    (tmp_path / "bin" / "dpkg-query").unlink()  # not even Debian: the main line still runs
    result, log = system([], "--venv")
    assert (result.returncode, result.stderr, log) == (0, "", [])


def test_venv_mode_on_debians_bare_python_installs_python3_venv_only(system):
    result, log = system([], "--venv", venv=False)
    assert result.returncode == 0, result.stderr
    assert log == ["apt-get install -y -q --no-install-recommends python3-venv"]


def test_the_full_setup_adds_python3_venv_when_venv_cannot_work(system):
    result, log = system(EVERYTHING, venv=False)
    assert log == ["apt-get install -y -q --no-install-recommends python3-venv"]


def test_ci_runs_the_readmes_test_command_word_for_word():
    lines = (ROOT / "README.md").read_text().splitlines()
    readme = [line for line in lines if line.startswith(SCRIPT_NAME) and line.endswith("pytest")]
    assert len(readme) == 1
    assert readme[0] in (ROOT / ".ci" / "run").read_text().splitlines()
