"""The layering rules, checked from the source: cogs → bot.edge → bot.services → storage/providers/media,
never back; discord only at the edge; SQL only in storage; the emulators stand on their own; the services'
subpackages import each other without cycles; no stub mixins; no Discord facts in services.

Files have no size cap: a module is split where a concept ends, never to pass a number."""

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("bot", "cogs", "storage")
# the only product code that may import discord: the Discord edge and the extensions (bot/cli.py
# reaches the edge by importing bot.edge.client lazily, for `videobot run`)
DISCORD_ALLOWED = ("bot/edge", "cogs")
# The package import graph, top to bottom: a package may import only from the layers below its own.
# Every package of the product must appear here (a new one: put it where it belongs).
LAYERS = [
    {"bot.cli", "cogs"},  # the entry point and the extensions
    {"bot.dbcli", "bot.castcli"},  # `videobot db …` and `videobot cast …`, called by the entry point
    {"bot.edge"},  # the Discord edge
    {"bot.app"},  # the composition root
    {"bot.web"},  # the web server (pages, galleries, file links)
    {"bot.services"},
    {"bot.providers"},
    {"bot.media", "storage"},
    {"bot.prompt", "bot.settings"},
    {"bot.i18n"},  # the message catalogue: the prompt's refusals are said in its words
    {"bot.errors"},
]
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def python_files(*parts: str) -> list[Path]:
    files = []
    for part in parts:
        target = ROOT / part
        files.extend([target] if target.is_file() else sorted(target.rglob("*.py")))
    return files


def module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def full_imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports (relative imports resolved; TYPE_CHECKING ones too)."""
    module = module_of(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            names.add(".".join([*base, *([node.module] if node.module else [])]))
    return names


def package_of(module: str) -> str | None:
    """The graph node a module belongs to: bot.<package or module>, cogs, storage, emulators; else None."""
    top, _, rest = module.partition(".")
    if top == "bot":
        return f"bot.{rest.split('.')[0]}" if rest else "bot"
    return top if top in ("cogs", "storage", "emulators") else None


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in python_files(*PRODUCT, "emulators"):
        source = package_of(module_of(path))
        if source is None:
            continue
        targets = {package_of(name) for name in full_imports_of(path)} - {None, source}
        if targets:
            graph.setdefault(source, set()).update(t for t in targets if t is not None)
    return graph


@pytest.mark.parametrize("path", python_files(*PRODUCT), ids=lambda p: str(p.relative_to(ROOT)))
def test_discord_is_imported_only_at_the_edge(path):
    allowed = any(path.is_relative_to(ROOT / part) for part in DISCORD_ALLOWED)
    assert allowed or "discord" not in imports_of(path)


def test_the_package_graph_has_no_cycles():
    graph = package_graph()
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle between packages: {' → '.join(reversed(exc.args[1]))}")
    assert {"bot.edge", "cogs", "bot.services", "bot.providers", "bot.media", "storage"} <= set(order)


def test_imports_flow_down_the_layers():
    graph = {source: targets for source, targets in package_graph().items() if source != "emulators"}
    assert {"bot.edge", "bot.services"} <= graph["cogs"] and "bot.services" in graph["bot.edge"]
    assert {"storage", "bot.providers", "bot.media"} <= graph["bot.services"]
    unplaced = sorted(({*graph, *(t for targets in graph.values() for t in targets)}) - set(RANK))
    assert not unplaced, f"place these packages in LAYERS: {unplaced}"
    upward = [f"{a} → {b}" for a, targets in graph.items() for b in targets if RANK[b] <= RANK[a]]
    assert not upward, f"imports against the layering: {upward}"


def test_the_emulators_stand_on_their_own():
    graph = package_graph()
    product = sorted(t for t in graph.get("emulators", set()) if t.split(".")[0] in PRODUCT)
    assert not product, f"the emulators import {product}"
    users = sorted(source for source, targets in graph.items() if source != "emulators" and "emulators" in targets)
    assert not users, f"product code imports the emulators: {users}"


@pytest.mark.parametrize("path", python_files("storage"), ids=lambda p: str(p.relative_to(ROOT)))
def test_storage_is_a_leaf(path):
    assert not imports_of(path) & {"bot", "cogs", "discord"}


@pytest.mark.parametrize("path", python_files("bot", "cogs"), ids=lambda p: str(p.relative_to(ROOT)))
def test_sql_lives_only_in_storage(path):
    source = path.read_text(encoding="utf-8")
    assert "aiosqlite" not in imports_of(path) and "sqlite3" not in imports_of(path)
    for keyword in ("SELECT ", "INSERT INTO", "UPDATE jobs", "DELETE FROM"):
        assert keyword not in source, f"SQL in {path}"


@pytest.mark.parametrize("path", python_files("cogs"), ids=lambda p: str(p.relative_to(ROOT)))
def test_cogs_do_no_http_or_ffmpeg(path):
    assert not imports_of(path) & {"httpx", "ffmpeg", "subprocess", "storage", "aiosqlite"}


SERVICES = ROOT / "bot" / "services"


def services_graph() -> dict[str, set[str]]:
    """Which subpackage (or top module) of bot.services imports which (TYPE_CHECKING imports too)."""
    graph: dict[str, set[str]] = {}
    for path in python_files("bot/services"):
        parts = module_of(path).split(".")
        if len(parts) < 3:  # bot.services itself
            continue
        source = ".".join(parts[:3])
        targets = {".".join(name.split(".")[:3]) for name in full_imports_of(path) if name.startswith("bot.services.")}
        graph.setdefault(source, set()).update(targets - {source})
    return graph


def test_the_services_subpackages_have_no_import_cycle():
    graph = services_graph()
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle between services subpackages: {' → '.join(reversed(exc.args[1]))}")
    assert {"bot.services.requests", "bot.services.jobs", "bot.services.money"} <= set(order)


@pytest.mark.parametrize("package", sorted(p.parent for p in SERVICES.glob("*/__init__.py")), ids=lambda p: p.name)
def test_each_services_subpackage_says_what_it_holds(package):
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
    assert docstring, f"{package.relative_to(ROOT)}/__init__.py has no docstring"
    modules = sorted(p.stem for p in package.glob("*.py") if p.stem != "__init__")
    unnamed = [m for m in modules if f".{m}`" not in docstring]
    assert not unnamed, f"{package.relative_to(ROOT)}/__init__.py does not name {unnamed}"


def is_stub(node: ast.AST) -> bool:
    """A method whose body (after its docstring) only raises NotImplementedError."""
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    body = node.body[1:] if ast.get_docstring(node) is not None else node.body
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    exc = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def is_protocol(node: ast.ClassDef) -> bool:
    return any(isinstance(b, ast.Name | ast.Attribute) and ast.unparse(b).endswith("Protocol") for b in node.bases)


@pytest.mark.parametrize("path", python_files(*PRODUCT), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_stub_mixins(path):
    """A class does not declare its host's (or a subclass's) methods as ``raise NotImplementedError`` stand-ins:
    it owns the helper it needs (composition), or states the contract as a ``typing.Protocol``, or (for a
    hook every subclass must fill in) as an ``abc.abstractmethod``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    stubs = [
        f"{node.name}.{item.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and not is_protocol(node)
        for item in node.body
        if is_stub(item)
    ]
    assert not stubs, f"stub methods in {path.relative_to(ROOT)}: {stubs}"


@pytest.mark.parametrize("path", python_files("bot/edge", "cogs"), ids=lambda p: str(p.relative_to(ROOT)))
def test_services_are_injected_not_reached_through_the_client(path):
    """Cogs, buttons and reactions get their services handed in (a cog module's ``setup()``, the bot's
    constructor): no handler reaches through ``interaction.client`` or the bot's ``.app`` for one."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    composing = {"setup", "__init__", "setup_hook", "close", "sync_once", "_serve"}  # where parts are wired
    reaching = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) or function.name in composing:
            continue
        for node in ast.walk(function):
            if not isinstance(node, ast.Attribute) or not isinstance(node.value, ast.Name):
                continue
            if node.attr == "client" or (node.attr == "app" and node.value.id != "self"):
                reaching.append(f"{function.name}: {ast.unparse(node)} (line {node.lineno})")
    assert not reaching, f"{path.relative_to(ROOT)} reaches through the client: {reaching}"


# The Discord delivery record's own keys (bot.edge.record.DiscordRecord): what answers an interaction, and the
# platform's upload limit.  Services read a job's record only through its target, so none of them is named there.
DISCORD_FACTS = {"token", "application_id", "token_expires_at", "upload_limit", "attachment_size_limit"}


@pytest.mark.parametrize("path", python_files("bot/services"), ids=lambda p: str(p.relative_to(ROOT)))
def test_services_hold_no_discord_facts(path):
    """No Discord facts in services: no string naming a Discord record key and no upload-limit constant (each
    delivery target supplies its own limit to the ladder)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    keys = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in DISCORD_FACTS}
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and "UPLOAD_LIMIT" in n.id}
    assert not keys | names, f"Discord facts in {path.relative_to(ROOT)}: {sorted(keys | names)}"


REQUESTS = ROOT / "bot" / "services" / "requests"


@pytest.mark.parametrize("path", sorted(REQUESTS.glob("*.py")), ids=lambda p: p.name)
def test_request_kinds_own_their_parts_instead_of_taking_the_service(path):
    """Each kind of request (Remixer, Edits, Variations, Presets) is given the generation service once, at
    construction: no function or method takes it as an argument to reach into its storage, registry or settings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    taking = [
        f"{node.name}({arg.arg}) line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name != "__init__"
        for arg in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)
        if arg.annotation is not None and "GenerationService" in ast.unparse(arg.annotation)
    ]
    assert not taking, f"{path.relative_to(ROOT)}: functions take the GenerationService: {taking}"


def test_the_generation_service_hands_itself_to_no_helper():
    """No one-line forwarder on GenerationService that passes ``self`` to a free function (callers call the object
    that owns the request)."""
    tree = ast.parse((REQUESTS / "generation.py").read_text(encoding="utf-8"))
    service = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "GenerationService")
    forwarders = [
        method.name
        for method in service.body
        if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef)
        for call in ast.walk(method)
        if isinstance(call, ast.Call)
        and any(isinstance(a, ast.Name) and a.id == "self" for a in (*call.args, *(k.value for k in call.keywords)))
    ]
    assert not forwarders, f"GenerationService passes itself on in {forwarders}"


@pytest.mark.parametrize("path", python_files("bot", "cogs"), ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_reaches_through_a_service_into_its_parts(path):
    """Whoever needs storage, the registry, the settings or the clock is handed them (as ``TakeGroups`` is, for
    the group poster); reading them off a service (``service.storage``) hides what a class depends on."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = {"storage", "registry", "settings", "media", "quota", "clock"}
    reached = [
        f"{ast.unparse(node)} (line {node.lineno})"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in parts
        and isinstance(node.value, ast.Attribute | ast.Name)
        and ast.unparse(node.value).split(".")[-1] == "service"
    ]
    assert not reached, f"{path.relative_to(ROOT)} reaches into a service: {reached}"
