"""Node positions for the map, computed once on the server and stored (models.NodePosition).

The browser never runs physics: vis-network's default simulation needs about 30 s for 500 nodes
and never comes to rest (see the domain notes), while drawing given positions takes well under a
second. Pure functions on a networkx graph; the service stores and reuses what they return.

networkx's own layouts are quadratic per iteration (measured on this machine, about 3 links per
node: spring_layout 2,000 nodes 3.5–12 s and 8,000 nodes 40–126 s; forceatlas2_layout 2,000 nodes
4.7 s with 30 iterations, 8,000 nodes 106 s), so they are used only for small graphs. Larger ones
get a Fruchterman–Reingold whose repulsion only acts between nodes in neighbouring grid cells
(the grid variant of the original paper), vectorised with numpy: linear per iteration.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Iterable, Mapping

import networkx as nx
import numpy as np

SPACING = 90.0  # ideal edge length in screen pixels at zoom 1
NEAREST = 55.0  # typical distance from a node to its nearest neighbour after layout
SMALL_GRAPH = 400  # up to this many nodes networkx's spring_layout (exact repulsion)
ITERATIONS = 120
REFINE_ITERATIONS = 60
REFINE_ABOVE = 20  # more new nodes than this: after placing them, relax them a little
SEED = 42
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))

Position = tuple[float, float]


def compute_layout(
    graph: nx.Graph, fixed: Mapping[str, Position] | None = None, seed: int = SEED
) -> dict[str, Position]:
    """Positions in pixels for every node; nodes in `fixed` keep theirs.

    Deterministic for a given graph (seeded), so "Neu anordnen" twice gives the same picture.
    """
    fixed = {n: p for n, p in (fixed or {}).items() if n in graph}
    nodes = sorted(graph.nodes, key=str)
    if not nodes:
        return {}
    if len(nodes) == 1 and not fixed:
        return {nodes[0]: (0.0, 0.0)}
    if len(nodes) <= SMALL_GRAPH and not fixed:
        return _rounded(nodes, _spread(_spring(graph, seed)))
    index = {node: i for i, node in enumerate(nodes)}
    rng = np.random.default_rng(seed)
    side = SPACING * math.sqrt(len(nodes))
    pos = rng.uniform(-side / 2, side / 2, size=(len(nodes), 2))
    movable = np.ones(len(nodes), dtype=bool)
    if fixed:
        placed = {**fixed, **place_new(graph, fixed, [n for n in nodes if n not in fixed])}
        pos = np.array([placed[n] for n in nodes], dtype=float)
        for node in fixed:
            movable[index[node]] = False
    sources, targets = _edge_arrays(graph, index)
    # fewer rounds for very large graphs keep "Neu anordnen" at a few seconds
    rounds = max(40, min(ITERATIONS, ITERATIONS * 2500 // len(nodes)))
    relax(pos, sources, targets, movable, rounds, start_step=side / 6)
    return _rounded(nodes, pos if fixed else _spread(pos))


def _rounded(nodes: list[str], pos: np.ndarray) -> dict[str, Position]:
    return {
        node: (round(float(x), 1), round(float(y), 1))
        for node, (x, y) in zip(nodes, pos, strict=True)
    }


def _spread(pos: np.ndarray) -> np.ndarray:
    """Scale about the centre so that the typical distance to the nearest node is NEAREST: the
    map is zoomed to fit anyway, but the nodes must not cover each other."""
    sample = pos[:: max(1, len(pos) // 300)]
    nearest = [np.partition(np.hypot(*(pos - p).T), 1)[1] for p in sample]
    typical = float(np.median(nearest))
    if typical <= 0:
        return pos
    pos = (pos - np.median(pos, axis=0)) * (NEAREST / typical)
    # isolated nodes drift far out and would make "zoom to fit" tiny: bring them to the rim
    radius = np.hypot(pos[:, 0], pos[:, 1])
    rim = float(np.percentile(radius, 90)) * 1.15 + NEAREST
    far = radius > rim
    pos[far] *= (rim / radius[far])[:, None]
    return pos


def _spring(graph: nx.Graph, seed: int) -> np.ndarray:
    """networkx's Fruchterman–Reingold (exact repulsion), rows in sorted node order."""
    raw = nx.spring_layout(graph, seed=seed, iterations=100)
    return np.array([raw[node] for node in sorted(graph.nodes, key=str)], dtype=float)


def _edge_arrays(graph: nx.Graph, index: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
    pairs = [(index[u], index[v]) for u, v in graph.edges() if u != v]
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    array = np.array(pairs, dtype=np.int64)
    return array[:, 0], array[:, 1]


def relax(
    pos: np.ndarray,
    sources: np.ndarray,
    targets: np.ndarray,
    movable: np.ndarray,
    iterations: int,
    start_step: float,
) -> None:
    """Grid Fruchterman–Reingold in place: attraction d²/k along edges, repulsion k²/d between
    nodes closer than 2k, a weak pull to the centre so that separate parts stay in view, and a
    step limit that cools linearly."""
    n = len(pos)
    k = SPACING
    step = start_step
    cooling = start_step / (iterations + 1)
    for _ in range(iterations):
        disp = _repulsion(pos, k) + _far_repulsion(pos, k)
        if len(sources):
            delta = pos[sources] - pos[targets]
            dist = np.hypot(delta[:, 0], delta[:, 1]) + 1e-9
            force = delta * (dist / k)[:, None]
            for axis in (0, 1):
                disp[:, axis] -= np.bincount(sources, weights=force[:, axis], minlength=n)
                disp[:, axis] += np.bincount(targets, weights=force[:, axis], minlength=n)
        centre = pos.mean(axis=0)
        towards = centre - pos
        length = np.hypot(towards[:, 0], towards[:, 1]) + 1e-9
        disp += towards / length[:, None] * (0.08 * k)
        size = np.hypot(disp[:, 0], disp[:, 1]) + 1e-9
        limited = disp * (np.minimum(size, step) / size)[:, None]
        pos[movable] += limited[movable]
        step = max(step - cooling, k * 0.05)


def _repulsion(pos: np.ndarray, k: float) -> np.ndarray:
    """k²/d pushes between all pairs closer than 2k, found through a grid of 2k cells."""
    n = len(pos)
    disp = np.zeros_like(pos)
    cell = np.floor(pos / (2 * k)).astype(np.int64)
    cx = cell[:, 0] - cell[:, 0].min() + 1
    cy = cell[:, 1] - cell[:, 1].min() + 1
    width = int(cy.max()) + 2
    key = cx * width + cy
    order = np.argsort(key, kind="stable")
    sorted_keys = key[order]
    limit = (2 * k) ** 2
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            target = key + dx * width + dy
            low = np.searchsorted(sorted_keys, target, "left")
            high = np.searchsorted(sorted_keys, target, "right")
            counts = high - low
            total = int(counts.sum())
            if not total:
                continue
            first = np.cumsum(counts) - counts
            i = np.repeat(np.arange(n), counts)
            j = order[np.arange(total) + np.repeat(low - first, counts)]
            delta = pos[i] - pos[j]
            d2 = delta[:, 0] ** 2 + delta[:, 1] ** 2
            near = (i != j) & (d2 < limit)
            i, delta, d2 = i[near], delta[near], np.maximum(d2[near], 1.0)
            factor = k * k / d2
            for axis in (0, 1):
                disp[:, axis] += np.bincount(i, weights=delta[:, axis] * factor, minlength=n)
    return disp


MESH = 48


def _far_repulsion(pos: np.ndarray, k: float) -> np.ndarray:
    """The k²/d repulsion of all nodes, approximated on a MESH × MESH grid: node counts per
    cell convolved (FFT) with the force kernel, read back at each node's cell. Without it the
    short-range repulsion cannot hold a large graph apart and everything collapses into a dense
    lump, which is both unreadable and slow."""
    low = pos.min(axis=0)
    extent = float((pos.max(axis=0) - low).max())
    if extent <= 0:
        return np.zeros_like(pos)
    h = extent / (MESH - 1)
    cells = np.clip(((pos - low) / h).astype(np.int64), 0, MESH - 1)
    flat = cells[:, 0] * MESH + cells[:, 1]
    mass = np.bincount(flat, minlength=MESH * MESH).reshape(MESH, MESH).astype(float)
    offsets = np.arange(-(MESH - 1), MESH) * h
    rx, ry = np.meshgrid(offsets, offsets, indexing="ij")
    r2 = rx**2 + ry**2
    r2[MESH - 1, MESH - 1] = np.inf
    size = (3 * MESH, 3 * MESH)
    spectrum = np.fft.rfft2(mass, size)
    result = np.zeros_like(pos)
    for axis, kernel in enumerate((k * k * rx / r2, k * k * ry / r2)):
        field = np.fft.irfft2(spectrum * np.fft.rfft2(kernel, size), size)
        field = field[MESH - 1 : 2 * MESH - 1, MESH - 1 : 2 * MESH - 1]
        result[:, axis] = field.reshape(-1)[flat]
    return result


# --- new nodes and ghosts ------------------------------------------------------------------------


def place_new(
    graph: nx.Graph, positions: Mapping[str, Position], new: Iterable[str]
) -> dict[str, Position]:
    """Positions for nodes that have none yet, leaving the others where they are.

    A node goes next to the centroid of its placed neighbours (plus a small offset, so that it
    does not cover them); a node without placed neighbours goes to a free spot on the rim.
    Nodes whose neighbours are new themselves follow those, most connected first. Many new
    nodes at once (an import) are relaxed a little afterwards, the old ones held fixed.
    """
    placed = dict(positions)
    pending = [n for n in dict.fromkeys(new) if n not in placed]
    if not pending:
        return {}
    points = list(placed.values())
    order = {node: i for i, node in enumerate(pending)}
    counts = {n: sum(1 for nb in _neighbours(graph, n) if nb in placed) for n in pending}
    heap = [(-count, order[n], n) for n, count in counts.items()]
    heapq.heapify(heap)
    rim_count = 0
    while heap:
        negative, _, node = heapq.heappop(heap)
        if node in placed or -negative != counts[node]:
            continue  # placed already, or an outdated entry
        neighbours = [placed[nb] for nb in _neighbours(graph, node) if nb in placed]
        if neighbours:
            cx = sum(p[0] for p in neighbours) / len(neighbours)
            cy = sum(p[1] for p in neighbours) / len(neighbours)
            spot = _free_spot(points, (cx, cy), SPACING * 0.7, _angle(node))
        else:
            spot = _rim_spot(points, node, rim_count)
            rim_count += 1
        placed[node] = spot
        points.append(spot)
        for nb in _neighbours(graph, node):
            if nb in counts and nb not in placed:
                counts[nb] += 1
                heapq.heappush(heap, (-counts[nb], order[nb], nb))
    result = {n: placed[n] for n in placed if n not in positions}
    if len(result) > REFINE_ABOVE and len(graph):
        nodes = [n for n in graph.nodes if n in placed]
        index = {node: i for i, node in enumerate(nodes)}
        pos = np.array([placed[n] for n in nodes], dtype=float)
        movable = np.array([n in result for n in nodes], dtype=bool)
        sources, targets = _edge_arrays(graph.subgraph(nodes), index)
        relax(pos, sources, targets, movable, REFINE_ITERATIONS, start_step=SPACING * 2)
        for node, (x, y) in zip(nodes, pos, strict=True):
            if node in result:
                result[node] = (float(x), float(y))
    return {n: (round(x, 1), round(y, 1)) for n, (x, y) in result.items()}


def _neighbours(graph: nx.Graph, node: str):
    return graph.adj.get(node, {})


def _angle(node: str) -> float:
    """A stable direction per node key, so the same new actor lands on the same spot."""
    digest = hashlib.sha256(str(node).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 * 2 * math.pi


def _free_spot(points: list[Position], centre: Position, radius: float, angle: float) -> Position:
    """The first spot around centre (widening spiral) at least SPACING/2 from every point."""
    array = np.array(points, dtype=float) if points else np.zeros((0, 2))
    spot = (centre[0] + radius * math.cos(angle), centre[1] + radius * math.sin(angle))
    for attempt in range(36):
        r = radius * (1 + attempt // 8 * 0.5)
        a = angle + attempt * GOLDEN_ANGLE
        spot = (centre[0] + r * math.cos(a), centre[1] + r * math.sin(a))
        if not len(array) or _nearest(array, spot) >= SPACING / 2:
            break
    return spot


def _rim_spot(points: list[Position], node: str, count: int) -> Position:
    if not points:
        return (count * SPACING, 0.0)
    array = np.array(points, dtype=float)
    centre = array.mean(axis=0)
    radius = float(np.hypot(*(array - centre).T).max()) + SPACING
    angle = _angle(node) + count * GOLDEN_ANGLE
    spot = (
        float(centre[0] + radius * math.cos(angle)),
        float(centre[1] + radius * math.sin(angle)),
    )
    return _free_spot(points, spot, 0.0, angle) if _nearest(array, spot) < SPACING / 2 else spot


def _nearest(array: np.ndarray, spot: Position) -> float:
    return float(np.hypot(array[:, 0] - spot[0], array[:, 1] - spot[1]).min())


def ghost_positions(anchor: Position, count: int, centre: Position = (0.0, 0.0)) -> list[Position]:
    """Spots for `count` ghost nodes around their topic, fanned out on the side facing away from
    the rest of the network so that they do not land on top of actors."""
    if count <= 0:
        return []
    away = math.atan2(anchor[1] - centre[1], anchor[0] - centre[0])
    if anchor == centre:
        away = -math.pi / 2
    per_row = 7
    result = []
    for i in range(count):
        row, col = divmod(i, per_row)
        in_row = min(per_row, count - row * per_row)
        spread = math.radians(150) if in_row > 1 else 0.0
        angle = away - spread / 2 + (spread * col / (in_row - 1) if in_row > 1 else 0.0)
        radius = SPACING * (1.6 + 0.8 * row)
        result.append(
            (
                round(anchor[0] + radius * math.cos(angle), 1),
                round(anchor[1] + radius * math.sin(angle), 1),
            )
        )
    return result
