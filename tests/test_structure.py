"""The layout rules of STYLE.md that a reader relies on, checked on the source: core knows no
domain, no package reaches into another's private names, domains are wired by name."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "netzwerk"
DOMAINS = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()} - {
    "core",
    "migrations",
}


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def package_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else ""


def imported(node: ast.ImportFrom, path: Path) -> str:
    """The top-level netzwerk package an import reaches ("" for the package root)."""
    if node.level == 0:
        parts = (node.module or "").split(".")
        return parts[1] if parts[0] == "netzwerk" and len(parts) > 1 else ""
    own = path.relative_to(PACKAGE).parts[:-1]
    base = list(own[: len(own) - (node.level - 1)]) if node.level > 1 else list(own)
    target = base + (node.module.split(".") if node.module else [])
    return target[0] if target else ""


def test_core_imports_no_domain_package():
    wrong = []
    for path, tree in modules():
        if package_of(path) != "core":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and imported(node, path) in DOMAINS:
                wrong.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not wrong, wrong


def test_no_package_uses_private_names_of_another():
    wrong = []
    for path, tree in modules():
        own = package_of(path)
        aliases: dict[str, str] = {}  # local name → package of the imported module
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = imported(node, path)
                if target == own or not target:
                    continue
                for alias in node.names:
                    if alias.name.startswith("_"):
                        wrong.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {alias.name}")
                    aliases[alias.asname or alias.name] = target
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                wrong.append(
                    f"{path.relative_to(PACKAGE)}:{node.lineno} {node.value.id}.{node.attr}"
                )
    assert not wrong, wrong


def test_domains_are_wired_by_name_not_discovered():
    for path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                names += [a.name for a in node.names]
                assert "importlib.util" not in names and "import_module" not in names, path
    init = (PACKAGE / "__init__.py").read_text(encoding="utf-8")
    for domain in sorted(DOMAINS):
        assert domain in init, f"{domain} is not wired in create_app"
        assert "def init_app" in (PACKAGE / domain / "__init__.py").read_text(encoding="utf-8")
