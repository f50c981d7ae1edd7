"""The import graph of our packages: no cycles, and no layer importing one above it."""

from __future__ import annotations

from collections import deque
from functools import cache

import grimp

# From the bottom: config; adapters; connector; jobs and webhooks, which may use connector and
# adapters; and the app factory and the CLI at the top.
PACKAGES = ("config", "adapters", "connector", "webhooks", "jobs")
# The modules at the top: nothing but the process entry points and the CLI itself imports them.
APP_FACTORY = {"connector.app", "connector.wsgi"}
CLI = {"connector.cli", "connector.sandbox.cli"}  # and every connector.cli.* module


@cache
def graph() -> grimp.ImportGraph:
    # Imports under `if TYPE_CHECKING:` never run: they are left out.
    return grimp.build_graph(*PACKAGES, cache_dir=None, exclude_type_checking_imports=True)


def imports_of(module: str) -> set[str]:
    return graph().find_modules_directly_imported_by(module)


def where(importer: str, imported: str) -> str:
    """`importer:line` of the first place importer imports imported."""
    details = graph().get_import_details(importer=importer, imported=imported)
    return f"{importer}:{details[0]['line_number']}" if details else importer


def strongly_connected(modules: set[str]) -> list[set[str]]:
    """Groups of two or more modules that all reach one another (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(imports_of(root) & modules)))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(group)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(imports_of(child) & modules))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return groups


def shortest_cycle(start: str, group: set[str]) -> list[str]:
    """The shortest chain of imports from start back to start, within its group."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(imports_of(node) & group):
            if child == start:
                chain = [node]
                while chain[-1] != start:
                    chain.append(came_from[chain[-1]])
                return [start, *reversed(chain[:-1]), start]
            if child not in came_from:
                came_from[child] = node
                queue.append(child)
    raise AssertionError(f"{start} is in no cycle")


def describe(cycle: list[str]) -> str:
    return " -> ".join(where(a, b) for a, b in zip(cycle, cycle[1:])) + f" -> {cycle[-1]}"


def test_no_module_imports_itself_through_others():
    cycles: dict[frozenset[tuple[str, str]], list[str]] = {}
    for group in strongly_connected(set(graph().modules)):
        for module in sorted(group):
            cycle = shortest_cycle(module, group)
            cycles.setdefault(frozenset(zip(cycle, cycle[1:])), cycle)
    assert not cycles, f"{len(cycles)} import cycles:\n" + "\n".join(
        describe(cycle) for cycle in sorted(cycles.values()))


def imports_across(importers: str, imported: set[str], allowed: set[str] = frozenset()):
    """`importer:line -> imported` for each module of importers that imports one of imported."""
    found = []
    for module in sorted(m for m in graph().modules if m.split(".")[0] == importers):
        if module in allowed:
            continue
        for target in sorted(imports_of(module)):
            if target.split(".")[0] in imported:
                found.append(f"{where(module, target)} -> {target}")
    return found


def test_config_imports_nothing_of_ours():
    found = imports_across("config", {"adapters", "connector", "jobs", "webhooks"})
    assert not found, "config imports our packages:\n" + "\n".join(found)


def test_adapters_import_neither_connector_nor_jobs_nor_webhooks():
    found = imports_across("adapters", {"connector", "jobs", "webhooks"})
    assert not found, "adapters import a layer above them:\n" + "\n".join(found)


def test_connector_imports_webhooks_only_in_the_app_factory():
    found = imports_across("connector", {"webhooks"}, allowed={"connector.app"})
    assert not found, "connector imports webhooks outside the app factory:\n" + "\n".join(found)


def at_the_top(module: str) -> bool:
    return module in APP_FACTORY or module in CLI or module.startswith("connector.cli.")


def test_nothing_below_imports_the_app_factory_or_the_cli():
    found = [f"{where(module, target)} -> {target}"
             for module in sorted(graph().modules) if not at_the_top(module)
             for target in sorted(imports_of(module)) if at_the_top(target)]
    assert not found, "the app factory or the CLI is imported from below:\n" + "\n".join(found)
