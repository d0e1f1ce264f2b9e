"""`python manage.py test` runs the pytest suite (the README's test command).

First `lint-imports` checks the apps' dependency direction and that the
engines import no Django (contracts in pyproject.toml); a broken contract
fails the run before any test. Then pytest runs in a child process with the test settings, so nothing of the
manage.py process's Django set-up leaks into the tests. Browser tests need
Debian's Chromium: it is installed first when missing and we may (root + apt).
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")


def ensure_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(f"Browser tests need {CHROMIUM}: install Debian's 'chromium' package.", file=sys.stderr)
        return
    print("Installing Debian's Chromium for the browser tests (about a minute)...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env, stdout=subprocess.DEVNULL)


class PytestRunner:
    def __init__(self, verbosity: int = 1, failfast: bool = False, **kwargs):
        self.verbosity = verbosity
        self.failfast = failfast

    def run_tests(self, test_labels, **kwargs) -> int:
        root = Path(__file__).resolve().parent.parent
        contracts = subprocess.call([str(Path(sys.executable).with_name("lint-imports"))], cwd=root)
        if contracts != 0:
            print("lint-imports: a dependency contract is broken (see above).", file=sys.stderr)
            return contracts
        ensure_chromium()
        argv = [sys.executable, "-m", "pytest", *test_labels]
        if self.failfast:
            argv.append("-x")
        if self.verbosity > 1:
            argv.append("-v")
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
        code = subprocess.call(argv, cwd=root, env=env)
        # pytest's 5 means "no tests ran": a failure, not a pass.
        return code
