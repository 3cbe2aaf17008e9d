"""Print the import circles inside ``costbench`` (grimp's graph, Tarjan's strongly connected components).

Every import counts: module level, inside functions, and under ``TYPE_CHECKING`` (a circle that only
type hints close is still a circle a reader has to untangle). Usage: python scripts/import_cycles.py
"""

from __future__ import annotations

import sys

import grimp


def import_graph(package: str = "costbench") -> dict[str, set[str]]:
    """Module -> the modules of ``package`` it imports directly (grimp, no cache directory written)."""
    graph = grimp.build_graph(package, cache_dir=None)
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (each is one circle or a knot of them)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:  # recursive Tarjan: the graph is ~100 modules deep at most
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def main() -> int:
    found = circles(import_graph())
    print(f"{len(found)} import circle(s) inside costbench")
    for component in found:
        print("  " + " <-> ".join(component))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
