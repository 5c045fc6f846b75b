import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SEEDS = ROOT / "seeds"

# Fixed salts and dates so every rendering in the tests is reproducible.
os.environ.setdefault("SOURCE_DATE_EPOCH", "1618876800")
os.environ.setdefault("MPLBACKEND", "Agg")


def copy_dataset(root: Path) -> Path:
    """A writable copy of the article's dataset outside the project: root/data/*.csv with
    its source document in root/data/seeds/ (outside the project, documents must live
    in the sources table's folder). Returns root/data."""
    shutil.copytree(DATA, root / "data", ignore=shutil.ignore_patterns("public-record"))
    shutil.copytree(SEEDS, root / "data" / "seeds")
    sources = root / "data" / "sources.csv"
    sources.write_text(sources.read_text(encoding="utf-8").replace(",../seeds/", ",seeds/"),
                       encoding="utf-8")
    return root / "data"


@pytest.fixture
def dataset(tmp_path) -> Path:
    """A writable copy of the article's dataset (see copy_dataset)."""
    return copy_dataset(tmp_path)


# The folder of the sitecustomize module that makes Python as Windows has it, for the
# portable run of the suite (`make test-portable`).
PORTABLE = Path(__file__).parent / "portable"

# sitecustomize's test for a process that is a kernel: jupyter_client starts each kernel
# with JPY_PARENT_PID set.
IN_KERNELS = "__import__('os').environ.get('JPY_PARENT_PID')"


def log_kernels(log: Path) -> str:
    """sitecustomize code that adds a line to `log` for each kernel a build starts."""
    return ("import os\n"
            f"if {IN_KERNELS}:\n"
            f"    open({str(log)!r}, 'a').write('started\\n')\n")


def inject(tmp_path: Path, code: str) -> dict[str, str]:
    """An environment whose Python processes (the build, its workers and their kernels)
    run `code` at start-up, through a sitecustomize module: a fault injected into the
    worker processes, where a monkeypatch in the test process cannot reach."""
    folder = tmp_path / "inject"
    folder.mkdir(exist_ok=True)
    if str(PORTABLE) in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        # Python finds one sitecustomize only: this one does the portable run's first.
        code = (PORTABLE / "sitecustomize.py").read_text(encoding="utf-8") + "\n" + code
    (folder / "sitecustomize.py").write_text(code, encoding="utf-8")
    path = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by relative path, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}
