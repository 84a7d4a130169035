"""Summaries of measured figures: the console table and the section of ``docs/benchmarks.md``."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

from figures import Figure, Goal
from measure import Run

__all__ = ["Result", "console_table", "markdown", "write_section", "START", "END"]

START = "<!-- bench/run.py:start -->"
END = "<!-- bench/run.py:end -->"


@dataclass
class Result:
    figure: Figure
    runs: list[Run] = field(default_factory=list)
    status: str = "ok"
    """``ok``, ``not available yet``, ``failed`` or ``skipped``."""
    note: str = ""

    def values(self) -> list[float]:
        if self.figure.metric == "wall":
            return [r.wall_s for r in self.runs]
        return [r.phases_ms[self.figure.metric] / 1000 for r in self.runs if self.figure.metric in r.phases_ms]

    @property
    def measured(self) -> bool:
        return bool(self.values())

    def median(self) -> float:
        return statistics.median(self.values())

    def peak(self) -> float:
        return statistics.median(r.peak_rss for r in self.runs)

    def cpu(self) -> float:
        return statistics.median(r.cpu_s for r in self.runs)

    def phases(self) -> dict[str, float]:
        names = [n for n in ("scan", "bundle") if any(n in r.phases_ms for r in self.runs)]
        return {n: statistics.median(r.phases_ms[n] for r in self.runs if n in r.phases_ms) for n in names}


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def megabytes(value: float) -> str:
    return f"{value / 1e6:.0f} MB"


def ratio(result: Result, ref: str | None, results: dict[str, Result], memory: bool = False) -> float | None:
    other = results.get(ref) if ref else None
    if not other or not other.measured or not result.measured:
        return None
    if memory:
        return result.peak() / other.peak() if other.peak() else None
    return result.median() / other.median()


def goal_text(goal: Goal, result: Result, results: dict[str, Result]) -> str:
    if not result.measured:
        return f"{goal.describe()}: —"
    if goal.ref:
        r = ratio(result, goal.ref, results, goal.memory)
        if r is None:
            return f"{goal.describe()}: n/a ({goal.ref} not measured)"
        return f"{goal.describe()}: {r:.2f} {'✓' if r <= goal.limit else '✗'}"
    value = result.peak() if goal.memory else result.median()
    shown = megabytes(value) if goal.memory else seconds(value)
    return f"{goal.describe()}: {shown} {'✓' if value <= goal.limit else '✗'}"


def rows(results: dict[str, Result]) -> list[list[str]]:
    """One row per figure: figure, runs, median, min–max, peak, cpu, phases, ratio, goals."""
    out = []
    for name, res in results.items():
        fig = res.figure
        if not res.measured:
            why = res.status + (f": {res.note}" if res.note else "")
            out.append([name, str(len(res.runs)), why, "", "", "", "", "", "; ".join(g.describe() for g in fig.goals)])
            continue
        vals = res.values()
        phases = " · ".join(f"{k} {v:.0f} ms" for k, v in res.phases().items())
        r = ratio(res, fig.ref, results)
        out.append([
            name + ("" if res.status == "ok" else f" ({res.status})"),
            str(len(vals)),
            seconds(res.median()),
            f"{seconds(min(vals))} – {seconds(max(vals))}",
            megabytes(res.peak()),
            f"{res.cpu():.2f} s",
            phases,
            f"{r:.2f} × {fig.ref}" if r is not None else "",
            "; ".join(goal_text(g, res, results) for g in fig.goals),
        ])
    return out


HEADERS = ["Figure", "Runs", "Median", "Min – max", "Peak RSS", "CPU", "Phases (median)", "Ratio", "Goals"]


def console_table(results: dict[str, Result]):
    from rich.table import Table

    table = Table(title="prebundle benchmarks (medians; ratios of medians from this run)")
    for h in HEADERS:
        table.add_column(h, overflow="fold")
    for row in rows(results):
        table.add_row(*row)
    return table


def markdown(results: dict[str, Result], header: list[str]) -> str:
    lines = [START, "## Harness figures (`bench/run.py`)", "",
             "_Written by `python bench/run.py`; everything between the markers is replaced on each run._", ""]
    lines += header + [""]
    lines.append("| " + " | ".join(HEADERS) + " |")
    lines.append("|" + "|".join("---" for _ in HEADERS) + "|")
    for row in rows(results):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    lines += ["", "What each figure measures (the value is the median over runs; \"Peak RSS\" is the median over "
              "runs of the highest sampled sum of the resident sets of the command's whole process tree; "
              "\"CPU\" is user + system time of the tree; \"Ratio\" and goal ratios divide medians measured "
              "in this same run, figures interleaved round by round):", ""]
    for name, res in results.items():
        lines.append(f"- `{name}`: {res.figure.what}")
    notes = [(n, r.note) for n, r in results.items() if r.note and r.measured]
    if notes:
        lines += ["", "Notes:", ""] + [f"- `{n}`: {note}" for n, note in notes]
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_section(doc: Path, section: str, start: str = START, end: str = END) -> None:
    """Replace the text between the markers in ``doc`` (append it, or create the file, if needed).
    ``section`` starts with ``start`` and ends with ``end`` (other scripts pass their own)."""
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)
