"""Read what the tests need from infra/: parameters, outputs, app settings.

Not a Bicep parser: these files are written in a few plain shapes, and the
readers below take only those.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
MAIN = INFRA / "main.bicep"
RESOURCES = INFRA / "resources.bicep"
PARAMS = INFRA / "main.bicepparam"
PRODUCT = ["mailroom", "handlers", "adapters", "runtime", "function_app.py"]

_PARAM = re.compile(r"^param (\w+) (\w+)( =.*)?$", re.MULTILINE)
_OUTPUT = re.compile(r"^output (\w+) ", re.MULTILINE)
_ENV = re.compile(r"^param (\w+) = .*readEnvironmentVariable\('(\w+)'(, '[^']*')?\)")
_SETTING = re.compile(r"^\s+(\w+): ", re.MULTILINE)
_VAULT_REF = re.compile(r"\$\{vaultRef\}([\w-]+)\)")
_SECRET_KEY = re.compile(r"(?:^\s+|\{ )'([\w-]+)': ", re.MULTILINE)


def parameters(path: Path = MAIN) -> dict[str, bool]:
    """Return each parameter of a Bicep file and whether it has a default."""
    text = path.read_text(encoding="utf-8")
    return {m.group(1): bool(m.group(3)) for m in _PARAM.finditer(text)}


def outputs(path: Path = MAIN) -> set[str]:
    """Return the names of a Bicep file's outputs."""
    return set(_OUTPUT.findall(path.read_text(encoding="utf-8")))


def environment_parameters() -> dict[str, tuple[str, bool]]:
    """Return main.bicepparam's parameters: (variable, has a fallback)."""
    found: dict[str, tuple[str, bool]] = {}
    for line in PARAMS.read_text(encoding="utf-8").splitlines():
        match = _ENV.match(line)
        if match:
            found[match.group(1)] = (match.group(2), match.group(3) is not None)
    return found


def block(name: str) -> str:
    """Return `var <name> = ...` of resources.bicep, to its closing line."""
    text = RESOURCES.read_text(encoding="utf-8")
    start = text.index(f"var {name} = ")
    end = re.compile(r"\n[})]\n").search(text, start)
    assert end is not None, f"var {name} has no closing line"
    return text[start : end.end()]


def app_settings() -> set[str]:
    """Return the app setting names resources.bicep sets, patterns as `*`."""
    names = set(_SETTING.findall(block("appSettings")))
    graph = RESOURCES.read_text(encoding="utf-8")
    names |= set(re.findall(r"\{ ((?:GRAPH|MAILROOM)_\w+): ", graph))
    names.add("MAILROOM__trackers__*")
    return names


def vault_references() -> set[str]:
    """Return the Key Vault secret names the app settings refer to."""
    return set(_VAULT_REF.findall(RESOURCES.read_text(encoding="utf-8")))


def vault_secrets() -> set[str]:
    """Return the secret names resources.bicep writes (tracker ones as a prefix)."""
    text = block("baseSecrets") + block("graphSecrets")
    return set(_SECRET_KEY.findall(text)) | {"tracker-"}


def settings_read_by_code() -> set[str]:
    """Return every environment variable the product code reads by name."""
    names: set[str] = set()
    for part in PRODUCT:
        root = REPO / part
        for path in [root] if root.is_file() else sorted(root.rglob("*.py")):
            names |= _environment_reads(ast.parse(path.read_text(encoding="utf-8")))
    return names


def connections_in_bindings() -> set[str]:
    """Return the connection setting names function_app.py's bindings use."""
    tree = ast.parse((REPO / "function_app.py").read_text(encoding="utf-8"))
    constants = _constants(tree)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "connection":
            names |= _resolve(node.value, constants)
    return names


def queues_in_bindings() -> set[str]:
    """Return the queue names function_app.py's bindings use, poison included."""
    tree = ast.parse((REPO / "function_app.py").read_text(encoding="utf-8"))
    constants = _constants(tree)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "queue_name":
            names |= _resolve(node.value, constants)
    return names


def _environment_reads(tree: ast.Module) -> set[str]:
    constants = _constants(tree)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_env_call(node.func) and node.args:
            names |= _resolve(node.args[0], constants)
        elif isinstance(node, ast.Subscript) and _dotted(node.value) == "os.environ":
            names |= _resolve(node.slice, constants)
    return names


def _is_env_call(func: ast.expr) -> bool:
    return _dotted(func) in {"os.environ.get", "os.getenv", "environ.get", "getenv"}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _constants(tree: ast.Module) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    found[target.id] = node.value.value
    return found


def _resolve(node: ast.expr, constants: dict[str, str]) -> set[str]:
    """Return the string a node stands for, as far as it can be known."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Name) and node.id in constants:
        return {constants[node.id]}
    if isinstance(node, ast.JoinedStr):
        parts = [_resolve(v, constants) for v in node.values]
        if all(len(p) == 1 for p in parts):
            return {"".join(p.pop() for p in parts)}
    if isinstance(node, ast.FormattedValue):
        return _resolve(node.value, constants)
    return set()
