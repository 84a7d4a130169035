"""Draw docs/architecture.png from docs/architecture.flow (the format is described at its top).

    .venv/bin/python docs/architecture.py [FLOW [PNG]]

The output is deterministic: same flow file, same matplotlib, same bytes (no timestamp or
software version is written into the PNG).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Polygon  # noqa: E402

HERE = Path(__file__).resolve().parent

# Geometry, in inches.
COL_STEP = 2.3
"""Distance between the centres of neighbouring columns."""
ROW_STEP = 1.42
"""Distance between the centres of neighbouring rows."""
BOX_W, BOX_H = 1.32, 0.8
"""Size of every box."""
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 0.22, 0.18, 0.18
EXTRA_RIGHT = 0.42
"""Room right of the last column for edges routed round the boxes."""
FRAME_PAD = 0.2
"""Space between a frame's edge and its members' boxes."""
FRAME_CAPTION_ROOM = 0.2
"""Extra space at the bottom of a frame for its caption."""

DPI = 150
STYLE = {
    "stage": dict(face="#dbe9f6", edge="#3b6ea5"),
    "caller": dict(face="#fbe7c6", edge="#b07a1f"),
    "helper": dict(face="#e9e9e9", edge="#777777"),
}
TITLE_SIZE, MODULE_SIZE, LABEL_SIZE, CAPTION_SIZE = 11.5, 8.5, 9, 9.5
ARROW_COLOR = "#333333"
LABEL_COLOR = "#1d3f6e"


@dataclass
class Node:
    kind: str
    id: str
    col: float
    row: float
    title: str
    modules: str


@dataclass
class Frame:
    id: str
    members: list[str]
    caption: str


@dataclass
class Edge:
    source: str
    target: str
    label: str
    options: dict[str, str] = field(default_factory=dict)


OPTION = re.compile(r"^(start|end|via|bend|label|at|seg)=(\S+)$")


def parse(text: str) -> tuple[dict[str, Node], dict[str, Frame], list[Edge]]:
    nodes: dict[str, Node] = {}
    frames: dict[str, Frame] = {}
    edges: list[Edge] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            if "->" in line:
                ends, rest = line.split(":", 1)
                source, target = (part.strip() for part in ends.split("->"))
                words, options = [], {}
                for word in rest.split():
                    match = OPTION.match(word)
                    if match:
                        options[match[1]] = match[2]
                    else:
                        words.append(word)
                edges.append(Edge(source, target, " ".join(words).replace("\\n", "\n"), options))
            elif line.startswith("frame "):
                head, caption = line.split("|", 1)
                _, frame_id, *members = head.split()
                frames[frame_id] = Frame(frame_id, members, caption.strip())
            else:
                head, modules = line.split("|", 1)
                kind, node_id, position, *title = head.split()
                if kind not in STYLE:
                    raise ValueError(f"unknown kind {kind!r}")
                col, row = (float(v) for v in position.split(","))
                nodes[node_id] = Node(kind, node_id, col, row, " ".join(title),
                                      modules.strip().replace("\\n", "\n"))
        except ValueError as error:
            raise SystemExit(f"{number}: {raw!r}: {error}") from None
    for edge in edges:
        for end in (edge.source, edge.target):
            if end not in nodes and end not in frames:
                raise SystemExit(f"edge {edge.source} -> {edge.target}: no node or frame {end!r}")
    return nodes, frames, edges


class Layout:
    def __init__(self, nodes: dict[str, Node], frames: dict[str, Frame]) -> None:
        self.nodes, self.frames = nodes, frames
        self.cols = max(n.col for n in nodes.values())
        self.rows = max(n.row for n in nodes.values())
        self.width = MARGIN_X * 2 + BOX_W + self.cols * COL_STEP + EXTRA_RIGHT
        self.height = MARGIN_TOP + MARGIN_BOTTOM + BOX_H + self.rows * ROW_STEP

    def x(self, col: float) -> float:
        return MARGIN_X + BOX_W / 2 + col * COL_STEP

    def y(self, row: float) -> float:
        return self.height - (MARGIN_TOP + BOX_H / 2 + row * ROW_STEP)

    def centre(self, node_id: str) -> tuple[float, float]:
        node = self.nodes[node_id]
        return self.x(node.col), self.y(node.row)

    def port(self, node_id: str, spec: str) -> tuple[float, float]:
        """A point on a box's side: ``side:offset`` (offset along the side, from its middle)."""
        side, _, offset = spec.partition(":")
        d = float(offset or 0)
        cx, cy = self.centre(node_id)
        if side == "top":
            return cx + d, cy + BOX_H / 2
        if side == "bottom":
            return cx + d, cy - BOX_H / 2
        if side == "left":
            return cx - BOX_W / 2, cy + d
        if side == "right":
            return cx + BOX_W / 2, cy + d
        raise SystemExit(f"unknown side {side!r} in {spec!r}")

    def frame_rows(self, frame: Frame) -> list[tuple[float, float, float, float]]:
        """Per row of members, top to bottom: (left, right, top, bottom) of the shaded area."""
        by_row: dict[float, list[Node]] = {}
        for member in frame.members:
            node = self.nodes[member]
            by_row.setdefault(node.row, []).append(node)
        rows = []
        ordered = sorted(by_row)
        for i, row in enumerate(ordered):
            left = min(self.x(n.col) for n in by_row[row]) - BOX_W / 2 - FRAME_PAD
            right = max(self.x(n.col) for n in by_row[row]) + BOX_W / 2 + FRAME_PAD
            top = self.y(row) + BOX_H / 2 + FRAME_PAD
            bottom = self.y(row) - BOX_H / 2 - FRAME_PAD
            if i > 0:  # meet the row above halfway
                top = (rows[-1][3] + top) / 2
                rows[-1] = (*rows[-1][:3], top)
            if i == len(ordered) - 1:
                bottom -= FRAME_CAPTION_ROOM
            rows.append((left, right, top, bottom))
        return rows

    def frame_outline(self, frame: Frame) -> list[tuple[float, float]]:
        rows = self.frame_rows(frame)
        right_side = [p for left, right, top, bottom in rows for p in ((right, top), (right, bottom))]
        left_side = [p for left, right, top, bottom in reversed(rows) for p in ((left, bottom), (left, top))]
        return right_side + left_side

    def frame_entry(self, frame: Frame, x: float) -> tuple[float, float]:
        """Where an edge coming down at ``x`` meets the frame's top."""
        for left, right, top, _ in self.frame_rows(frame):
            if left <= x <= right:
                return x, top
        raise SystemExit(f"x={x:.2f} does not meet frame {frame.id}")

    def default_ports(self, source: str, target: str) -> tuple[tuple[float, float], tuple[float, float]]:
        (sx, sy), (tx, ty) = self.centre(source), self.centre(target)
        if abs(sy - ty) < 1e-6:
            sign = 1 if tx > sx else -1
            return (sx + sign * BOX_W / 2, sy), (tx - sign * BOX_W / 2, ty)
        if abs(sx - tx) < 1e-6:
            sign = 1 if ty > sy else -1
            return (sx, sy + sign * BOX_H / 2), (tx, ty - sign * BOX_H / 2)
        return clip(sx, sy, tx, ty), clip(tx, ty, sx, sy)


def clip(cx: float, cy: float, tx: float, ty: float) -> tuple[float, float]:
    """Where the line from a box's centre (cx, cy) towards (tx, ty) leaves the box."""
    dx, dy = tx - cx, ty - cy
    scale = min((BOX_W / 2) / abs(dx) if dx else float("inf"), (BOX_H / 2) / abs(dy) if dy else float("inf"))
    return cx + dx * scale, cy + dy * scale


def draw(flow: Path, out: Path) -> None:
    nodes, frames, edges = parse(flow.read_text(encoding="utf-8"))
    layout = Layout(nodes, frames)
    plt.rcParams.update({"font.family": "DejaVu Sans", "svg.hashsalt": "prebundle"})
    fig = plt.figure(figsize=(layout.width, layout.height), dpi=DPI)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, layout.width)
    ax.set_ylim(0, layout.height)
    ax.set_aspect("equal")
    ax.axis("off")

    for frame in frames.values():
        ax.add_patch(Polygon(layout.frame_outline(frame), closed=True, facecolor="#f3f7fb",
                             edgecolor="#9fb6cf", linestyle=(0, (4, 3)), linewidth=1.1, zorder=0))
        left, right, top, bottom = layout.frame_rows(frame)[-1]
        ax.text(right - 0.1, bottom + 0.08, frame.caption, ha="right", va="bottom", fontsize=CAPTION_SIZE,
                color="#3b6ea5", fontweight="bold", zorder=1)

    for node in nodes.values():
        cx, cy = layout.centre(node.id)
        style = STYLE[node.kind]
        ax.add_patch(FancyBboxPatch((cx - BOX_W / 2, cy - BOX_H / 2), BOX_W, BOX_H,
                                    boxstyle="round,pad=0,rounding_size=0.07", facecolor=style["face"],
                                    edgecolor=style["edge"], linewidth=1.3, zorder=2))
        lines = node.modules.count("\n") + 1
        title_y = cy + 0.07 * lines + 0.02
        ax.text(cx, title_y, node.title, ha="center", va="center", fontsize=TITLE_SIZE, fontweight="bold",
                zorder=3)
        ax.text(cx, title_y - 0.13, node.modules, ha="center", va="top", fontsize=MODULE_SIZE,
                color="#444444", linespacing=1.15, zorder=3)

    for edge in edges:
        draw_edge(ax, layout, edge)

    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=DPI, facecolor="white", metadata={"Software": None})
    plt.close(fig)


def draw_edge(ax, layout: Layout, edge: Edge) -> None:
    opts = edge.options
    via = [(layout.x(float(c)), layout.y(float(r)))
           for c, r in (p.split(",") for p in opts["via"].split(";"))] if "via" in opts else []
    start_default, end_default = ((0.0, 0.0), (0.0, 0.0))
    if edge.source in layout.nodes and edge.target in layout.nodes:
        start_default, end_default = layout.default_ports(edge.source, edge.target)
    start = layout.port(edge.source, opts["start"]) if "start" in opts else start_default
    if edge.target in layout.frames:
        end = layout.frame_entry(layout.frames[edge.target], start[0])
    else:
        end = layout.port(edge.target, opts["end"]) if "end" in opts else end_default
    points = [start, *via, end]
    arrow = dict(arrowstyle="-|>,head_length=5,head_width=2.6", color=ARROW_COLOR, linewidth=1.2,
                 shrinkA=0, shrinkB=0, zorder=4)
    bend = float(opts.get("bend", 0))
    if len(points) > 2:  # the corners as one line, so they join cleanly; the arrow is the last segment
        ax.plot([p[0] for p in points[:-1]], [p[1] for p in points[:-1]], color=ARROW_COLOR, linewidth=1.2,
                solid_joinstyle="miter", solid_capstyle="projecting", zorder=4)
    ax.add_patch(FancyArrowPatch(points[-2], points[-1], connectionstyle=f"arc3,rad={bend}", **arrow))

    # The label: on the longest segment (or at the top of a curve).
    if bend:
        (x0, y0), (x2, y2) = points[-2], points[-1]
        cx, cy = (x0 + x2) / 2 + bend * (y2 - y0), (y0 + y2) / 2 - bend * (x2 - x0)
        lx, ly = 0.25 * x0 + 0.5 * cx + 0.25 * x2, 0.25 * y0 + 0.5 * cy + 0.25 * y2
        horizontal = True
    else:
        segments = list(zip(points, points[1:]))
        if "seg" in opts:
            a, b = segments[int(opts["seg"])]
        else:
            a, b = max(segments, key=lambda s: abs(s[1][0] - s[0][0]) + abs(s[1][1] - s[0][1]))
        t = float(opts.get("at", 0.5))
        lx, ly = a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])
        horizontal = abs(b[0] - a[0]) >= abs(b[1] - a[1])
    side = opts.get("label", "above" if horizontal else "right")
    gap = 0.06
    place = {
        "above": dict(x=lx, y=ly + gap, ha="center", va="bottom"),
        "below": dict(x=lx, y=ly - gap, ha="center", va="top"),
        "left": dict(x=lx - gap, y=ly, ha="right", va="center"),
        "right": dict(x=lx + gap, y=ly, ha="left", va="center"),
    }[side]
    ax.text(place.pop("x"), place.pop("y"), edge.label, fontsize=LABEL_SIZE, family="DejaVu Sans Mono",
            color=LABEL_COLOR, linespacing=1.1, zorder=5, multialignment="center", **place)


def main(argv: list[str]) -> None:
    flow = Path(argv[1]) if len(argv) > 1 else HERE / "architecture.flow"
    out = Path(argv[2]) if len(argv) > 2 else HERE / "architecture.png"
    draw(flow, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv)
