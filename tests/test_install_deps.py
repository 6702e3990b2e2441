"""The README's test command starts with scripts/install-test-deps: it installs Chromium where it can.

Each case runs the real script with a PATH of stand-ins (id, sudo, apt-get, chromium), so it
neither needs nor touches the machine's own packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "install-test-deps"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="a POSIX shell script")


def fake_bin(tmp_path: Path, *, uid: int, apt: bool = True, sudo: bool = False, browser: bool = False) -> Path:
    """A bin directory with only what the script may call, some of it stand-ins that log their arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "sed", "cat", "chmod"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    (bin_dir / "python3").symlink_to(sys.executable)
    log = tmp_path / "calls.log"

    def stub(name: str, body: str) -> None:
        (bin_dir / name).write_text(f'#!/bin/sh\necho "{name} $*" >> {log}\n{body}\n')
        (bin_dir / name).chmod(0o755)

    stub("id", f"echo {uid}")
    if apt:
        # "installing" chromium puts a stand-in browser on PATH, as the real package would
        stub(
            "apt-get",
            f'case "$*" in *install*chromium*) printf "#!/bin/sh\\n" > {bin_dir}/chromium; '
            f"chmod 755 {bin_dir}/chromium;; esac",
        )
    if sudo:
        stub("sudo", 'shift; "$@"')
    if browser:
        stub("chromium", "")
    return bin_dir


def run(bin_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(SCRIPT)], env={"PATH": str(bin_dir)}, capture_output=True, text=True, timeout=30)


def calls(tmp_path: Path) -> str:
    log = tmp_path / "calls.log"
    return log.read_text() if log.exists() else ""


def test_nothing_to_do_when_chromium_is_there(tmp_path: Path) -> None:
    result = run(fake_bin(tmp_path, uid=1000, browser=True))
    assert result.returncode == 0, result.stderr
    assert "present" in result.stderr
    assert "apt-get" not in calls(tmp_path)


def test_root_installs_chromium_with_apt_get(tmp_path: Path) -> None:
    result = run(fake_bin(tmp_path, uid=0))
    assert result.returncode == 0, result.stderr
    assert "apt-get update -qq" in calls(tmp_path)
    assert "apt-get install -y -qq chromium" in calls(tmp_path)


def test_sudo_without_a_password_is_used(tmp_path: Path) -> None:
    result = run(fake_bin(tmp_path, uid=1000, sudo=True))
    assert result.returncode == 0, result.stderr
    assert "sudo -n apt-get install -y -qq chromium" in calls(tmp_path)


def test_without_root_or_sudo_it_says_what_to_run(tmp_path: Path) -> None:
    result = run(fake_bin(tmp_path, uid=1000))
    assert result.returncode == 1
    assert "needs root" in result.stderr
    assert "sudo apt-get install -y chromium" in result.stderr
    assert "apt-get" not in calls(tmp_path).replace("id ", "")


def test_without_apt_get_it_names_the_packages(tmp_path: Path) -> None:
    result = run(fake_bin(tmp_path, uid=0, apt=False))
    assert result.returncode == 1
    assert "no apt-get" in result.stderr and "chromium" in result.stderr


def test_ci_runs_the_readme_test_command_and_nothing_else() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Two commands", 1)[1].split("```", 2)[1]
    command = [line for line in block.splitlines() if line.strip() and not line.startswith(("#", "sh"))][1]
    assert command.startswith("scripts/install-test-deps && ")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    steps = [line for line in ci if line.strip() and not line.startswith(("#", "set ", "cd "))]
    assert steps == [command]
