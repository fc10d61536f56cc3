"""The package's modules import each other without cycles.

The layers between apps (core <- orgs <- enterprises <- notify <- appeals <-
dashboard <- the project) are import-linter's contract in pyproject.toml, run
by ``make lint``; this test adds that no module reaches itself through others,
including through imports written inside functions.
"""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import grimp


def _cycles(graph):
    """A cycle among the modules, as its sorted members, or none (``graphlib`` names one at a time)."""
    imports = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    try:
        TopologicalSorter(imports).prepare()
    except CycleError as error:
        return [sorted(set(error.args[1]))]
    return []


def test_no_module_imports_itself_through_others():
    graph = grimp.build_graph("qitong", cache_dir=None)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for module in ("a", "a.b", "a.c"):
        graph.add_module(module)
    graph.add_import(importer="a.b", imported="a.c")
    graph.add_import(importer="a.c", imported="a.b")
    assert _cycles(graph) == [["a.b", "a.c"]]


# Imports written inside a function, each with its reason: the app registry must be
# ready (``AppConfig.ready``), or importing ``qitong`` must not read the environment yet.
LATE_IMPORTS_ALLOWED = {
    ("qitong/appeals/apps.py", "qitong.appeals"),
    ("qitong/appeals/apps.py", "qitong.core.workdays"),
    ("qitong/audit/apps.py", "qitong.audit"),
    ("qitong/integrations/apps.py", "qitong.integrations"),
    ("qitong/integrations/apps.py", "qitong.integrations.views"),
    ("qitong/integrations/apps.py", "qitong.appeals.views.detail"),
    ("qitong/policies/apps.py", "qitong.enterprises.models"),
    ("qitong/policies/apps.py", "qitong.policies"),
    ("qitong/policies/apps.py", "qitong.policies.models"),
    ("qitong/celery.py", "qitong.core.schedule"),
}


def _late_imports():
    root = Path(__file__).resolve().parents[1] / "src"
    found = set()
    for path in sorted((root / "qitong").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom):
                    found.add((path.relative_to(root).as_posix(), node.module))
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        found.add((path.relative_to(root).as_posix(), alias.name))
    return found


def test_imports_stand_at_the_top_of_their_module_unless_a_reason_is_listed():
    assert _late_imports() - LATE_IMPORTS_ALLOWED == set()
