"""The package keeps the shape its README describes: no import cycles, small modules,
torch confined to the model modules, workflow scripts outside the installed package."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "spacy_bts"
MAX_LINES = 400
# The modules that define PyTorch modules or run torch itself.
TORCH_MODULES = {
    "spacy_bts.encoders.embeddings",
    "spacy_bts.encoders.bilstm",
    "spacy_bts.encoders.conv",
    "spacy_bts.heads.precision",
    "spacy_bts.heads.tagging.module",
    "spacy_bts.heads.seq2seq.module",
    "spacy_bts.heads.seq2seq.pointer_module",
    "spacy_bts.pretraining.module",
    "spacy_bts.shared_encoder.module",
    "spacy_bts.runtime",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules():
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known) -> set:
    """The package's modules that ``name`` imports at module level (not inside functions)."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.parse(path.read_text(encoding="utf8")).body:
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # "from package import module" imports the module; "from module import name" the module.
            submodules = [f"{prefix}.{alias.name}" for alias in node.names if f"{prefix}.{alias.name}" in known]
            targets = submodules or [prefix]
        for target in targets:
            # "from .x import y": y may be a module or a name in x; take the longest known module.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph():
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, result = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return result


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_in_the_package():
    graph = import_graph()
    assert len(graph) > 20
    assert cycles(graph) == []


@pytest.mark.parametrize("name", sorted(modules()))
def test_modules_stay_small(name):
    n_lines = len(modules()[name].read_text(encoding="utf8").splitlines())
    assert n_lines <= MAX_LINES, f"{name}: {n_lines} lines"


def test_only_model_modules_import_torch():
    importing = {
        name
        for name, path in modules().items()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf8")))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        and any((getattr(node, "module", None) or alias.name).split(".")[0] == "torch" for alias in node.names)
    }
    assert importing == TORCH_MODULES


def test_workflow_scripts_are_not_in_the_package():
    for script in ("corpora", "evaluate", "report", "quickstart"):
        assert (ROOT / "scripts" / f"{script}.py").exists()
        assert not list(PACKAGE.rglob(f"{script}.py"))
    assert not (PACKAGE / "evaluation.py").exists()
