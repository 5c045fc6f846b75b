"""The build stands on public ground: no private name of jupyter_client, nbclient,
papermill or ipykernel (nor of any other library), none of the process tricks that
only Linux allows, and nothing that the command line needs but Windows lacks."""

import ast
import subprocess
import sys
from pathlib import Path

from analysis import config

LIBRARIES = ("jupyter_client", "nbclient", "papermill", "ipykernel")
# Names that mean forking by hand, watching processes through Linux's pidfds, tuning
# glibc's allocator, or replacing a library's search for C libraries.
TRICKS = ("fork", "forkserver", "pidfd_open", "pidfd_send_signal", "mallopt",
          "find_library", "_run_exitfuncs", "unraisablehook", "register_at_fork")
# Documented public names that begin with an underscore.
PUBLIC = {"_exit"}  # os._exit
POSIX_ONLY = ("fcntl", "termios", "pwd", "grp", "resource", "posix")


def modules() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8"), str(path))
            for path in sorted(config.PACKAGE_DIR.rglob("*.py"))}


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def defined_here(trees) -> set[str]:
    """Every private name the package itself defines: functions, classes, attributes
    it assigns, names it binds."""
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.alias) and node.asname:
                names.add(node.asname)
    return {name for name in names if private(name)}


def test_no_private_name_of_another_library_is_used():
    trees = modules()
    ours = defined_here(trees.values())
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            where = f"{path.relative_to(config.PROJECT_ROOT)}:{getattr(node, 'lineno', 0)}"
            if (isinstance(node, ast.Attribute) and private(node.attr)
                    and node.attr not in ours | PUBLIC):
                found.append(f"{where}: .{node.attr}")
            elif isinstance(node, ast.ImportFrom) and node.module:
                found += [f"{where}: from {node.module} import {alias.name}"
                          for alias in node.names if private(alias.name)
                          or any(private(part) for part in node.module.split("."))]
            elif isinstance(node, ast.Import):
                found += [f"{where}: import {alias.name}" for alias in node.names
                          if any(private(part) for part in alias.name.split("."))
                          and alias.name not in ("_thread",)]
    assert found == []


def test_no_private_method_of_a_library_class_is_overridden():
    """A subclass of a library's class extends it through its public methods only."""
    found = []
    for path, tree in modules().items():
        imported = {alias.asname or alias.name for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module
                    and node.module.split(".")[0] in LIBRARIES for alias in node.names}
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            if not {base.id for base in node.bases if isinstance(base, ast.Name)} & imported:
                continue
            found += [f"{path.name}:{item.lineno}: {node.name}.{item.name}"
                      for item in node.body
                      if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                      and private(item.name)]
    assert found == []


def test_no_process_trick_that_one_system_alone_allows():
    found = []
    for path, tree in modules().items():
        for node in ast.walk(tree):
            name = (node.attr if isinstance(node, ast.Attribute)
                    else node.value if isinstance(node, ast.Constant)
                    and isinstance(node.value, str) else None)
            if name in TRICKS:
                found.append(f"{path.name}:{node.lineno}: {name}")
    assert found == []


def test_no_module_imports_what_windows_lacks_at_its_top_level():
    found = []
    for path, tree in modules().items():
        for node in tree.body:  # module level only: a guarded import inside a function is fine
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.name}:{node.lineno}: {name}" for name in names
                      if name.split(".")[0] in POSIX_ONLY]
    assert found == []


def test_every_command_starts_without_fcntl():
    """As on Windows: the command line, and the build's modules, import without it."""
    code = ("import sys; sys.modules['fcntl'] = None\n"
            "import analysis.cli, analysis.batch.pipeline, analysis.batch.workers\n"
            "raise SystemExit(analysis.cli.main(['--help']))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "build" in result.stdout


def test_the_engine_is_registered_with_papermill_under_the_name_the_build_uses():
    from papermill.engines import papermill_engines

    from analysis.batch.engine import SaveWhenLostEngine
    from analysis.batch.execute import ENGINE_NAME

    assert papermill_engines.get_engine(ENGINE_NAME) is SaveWhenLostEngine
