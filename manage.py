#!/usr/bin/env python3
"""Django's command-line utility, plus a first-run bootstrap.

On a fresh machine `python3 manage.py <command>` creates `.venv`, installs the
pinned dependencies into it (pyproject.toml, constrained by
.ci/constraints.txt) and re-runs itself inside it, so the README's two commands
work with nothing installed by hand. Set COURSEPROJ_NO_BOOTSTRAP=1 to use the
interpreter you started with instead.
"""
import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
DEPENDENCY_FILES = (ROOT / "pyproject.toml", ROOT / ".ci" / "constraints.txt")


def _dependencies_digest() -> str:
    digest = hashlib.sha256()
    for path in DEPENDENCY_FILES:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _ensure_environment() -> None:
    """Run inside the project's virtualenv, creating or updating it first."""
    if os.environ.get("COURSEPROJ_NO_BOOTSTRAP"):
        return
    if sys.version_info < (3, 11):
        sys.exit("courseproj needs Python 3.11 or newer (Django 5.2 LTS).")
    python = VENV / "bin" / "python"
    stamp = VENV / ".courseproj-dependencies"
    wanted = _dependencies_digest()
    if not stamp.exists() or stamp.read_text() != wanted:
        print("courseproj: installing pinned dependencies into .venv (first run, about a minute)...", flush=True)
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "-c", str(ROOT / ".ci" / "constraints.txt"), "-e", f"{ROOT}[test]"],
            check=True,
        )
        stamp.write_text(wanted)
    if Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])


def main() -> None:
    _ensure_environment()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseproj.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
