"""The README's Layout names every module of the package, and every module opens with a
comment that says its job."""

import ast
import re

from analysis import config


def layout() -> str:
    readme = (config.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)[1]
    return section.split("```", 2)[1]


# Folders the Layout describes in one line, as a whole.
DESCRIBED_WHOLE = ("importers", "selection")


def modules():
    return [p for p in sorted(config.PACKAGE_DIR.rglob("*.py"))
            if p.name not in ("__init__.py", "__main__.py")]


def test_the_layout_names_every_module():
    named = set(re.findall(r"([\w]+\.py)\b", layout()))
    assert sorted(str(p.relative_to(config.PACKAGE_DIR)) for p in modules()
                  if p.name not in named and p.parent.name not in DESCRIBED_WHOLE) == []


def test_every_module_opens_with_what_it_does():
    missing = [str(p.relative_to(config.PROJECT_ROOT)) for p in modules()
               if not (ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) or "").strip()]
    assert missing == []


def test_the_build_package_is_laid_out_in_the_order_a_build_runs():
    text = layout()
    order = ["plan.py", "checking.py", "pipeline.py", "workers.py", "execute.py",
             "publish.py"]
    assert [text.index(f" {name} ") for name in order] == sorted(
        text.index(f" {name} ") for name in order)
