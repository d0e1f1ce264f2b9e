"""The code's shape: apps one way, engines without Django, small modules and views."""
import ast
import subprocess
import sys
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parent.parent.parent
PRODUCT = ["courseproj", "datasets", "matching"]
# The matcher's integer program and its heuristics stay in one module on purpose.
LONG_MODULES_ALLOWED = {"matching/engine.py"}
MAX_MODULE_LINES = 500
MAX_VIEW_LINES = 40


def _product_modules():
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_import_contracts_hold():
    result = subprocess.run([str(Path(sys.executable).with_name("lint-imports"))], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_importing_both_engines_loads_no_django():
    code = ("import sys, datasets.profiling, matching.engine, matching.similarity\n"
            "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
            "print(loaded); sys.exit(1 if loaded else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_product_module_is_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in _product_modules()
            if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert set(long) <= LONG_MODULES_ALLOWED, long


def _view_functions():
    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                yield pattern.name, pattern.callback

    for name, callback in walk(get_resolver().url_patterns):
        module = getattr(callback, "__module__", "")
        if module.split(".")[0] in PRODUCT and not module.startswith("courseproj.urls"):
            yield name, getattr(callback, "__wrapped__", callback)


def test_every_view_is_under_40_lines():
    too_long = {}
    for name, view in _view_functions():
        while hasattr(view, "__wrapped__"):
            view = view.__wrapped__
        source = Path(view.__code__.co_filename).read_text()
        node = next(n for n in ast.walk(ast.parse(source))
                    if isinstance(n, ast.FunctionDef) and n.name == view.__name__)
        lines = node.end_lineno - node.lineno + 1
        if lines > MAX_VIEW_LINES:
            too_long[name] = lines
    assert not too_long


def test_each_url_name_leads_to_its_own_view_function():
    seen = {}
    for name, view in _view_functions():
        while hasattr(view, "__wrapped__"):
            view = view.__wrapped__
        key = f"{view.__module__}.{view.__name__}"
        assert key not in seen, f"{name} and {seen.get(key)} share {key}"
        seen[key] = name

    def routes(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    # No action slugs: a URL never takes a free word that picks what the view does.
    assert not [r for r in routes(get_resolver().url_patterns) if "<slug:" in r]


def test_every_app_says_what_it_owns():
    for package in ["courseproj", "courseproj.courses", "datasets", "matching", "courseproj.planner",
                    "courseproj.dashboard"]:
        init = ROOT / package.replace(".", "/") / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and len(doc.split()) > 25, f"{package}/__init__.py needs a paragraph on what it owns"


def test_settings_do_not_touch_the_disk(tmp_path):
    var = tmp_path / "var"
    code = "import courseproj.settings"
    env = {"COURSEPROJ_VAR_DIR": str(var), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert not var.exists()
