"""Human output of traces and matrices (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .analysis.reach import Cell
from .analysis.trace import Disposition, Trace

GOOD = {Disposition.ACCEPTED, Disposition.EXITS_NETWORK}
STEP_STYLE = {"allow": "green", "deny": "red", "accept": "green", "refuse": "red",
              "forward": "cyan", "drop": "red", "exit": "cyan", "none": "red",
              "rewrite": "magenta", "unreachable": "red"}


def print_trace(console: Console, t: Trace, title: str = "Forward") -> None:
    console.print(f"[bold]{title}:[/] {escape(t.packet.describe())}")
    for i, hop in enumerate(t.hops, 1):
        iface = f"  [dim]in {escape(hop.in_iface)}[/]" if hop.in_iface else ""
        console.print(f" {i:>2} [bold]{escape(hop.node)}[/] [dim]({hop.role})[/]{iface}")
        for s in hop.steps:
            style = STEP_STYLE.get(s.action, "white")
            loc = f"  [dim]{escape(_where(s.provenance[0]))}[/]" if s.provenance else ""
            console.print(f"      {s.kind:<8}[{style}]{s.action:<8}[/]{escape(s.detail)}{loc}")
            notes = s.data.get("why", []) + s.data.get("ignored", [])
            for why in notes if notes != ["only matching route"] else []:
                console.print(f"                      [dim]{escape(why)}[/]")
    colour = "green" if t.disposition in GOOD else "red"
    console.print(f"    => [bold {colour}]{t.disposition.value}[/]: {escape(t.cause.detail)}")
    if t.reply is not None:
        console.print()
        print_trace(console, t.reply, "Return")


CODES = {"DENIED_IN": "in", "DENIED_OUT": "out", "NO_ROUTE": "route", "NULL_ROUTED": "null",
         "NEIGHBOR_UNREACHABLE": "host", "EXITS_NETWORK": "exit", "LOOP": "loop"}
LEGEND = ("yes: works both ways   in/out: denied by an inbound/outbound filter   route: no route"
          "   null: null-routed   host: no such host   exit: leaves the network   loop   "
          "r-…: the reply fails so")


def print_matrix(console: Console, cells: list[Cell], services: list[str]) -> None:
    table = Table(title="Reachability: does the service work, reply included?")
    table.add_column("from")
    table.add_column("to")
    for s in services:
        table.add_column(s, justify="center")
    for c in cells:
        table.add_row(c.src, c.dst, *(_cell(c.verdicts[s]) for s in services))
    console.print(table)
    console.print(f"[dim]{LEGEND}[/]")


def _cell(verdict: str) -> str:
    if verdict == "ACCEPTED":
        return "[green]yes[/]"
    reply = verdict.startswith("REPLY_")
    code = CODES.get(verdict.removeprefix("REPLY_"), verdict.lower())
    return f"[red]{'r-' if reply else ''}{code}[/]"


def _where(p) -> str:
    return f"{p.source}:{p.line}" if p.source and p.line else p.source
