"""CLI commands of the live data plane: up, down, status, exec, probe."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..analysis.endpoints import EndpointError, node_for
from ..loader import compile_topology, load_model, resolve_down
from .compare import all_pairs, all_services, compare
from .linux import bgpcheck, controller, names
from .linux.kernel import namespaces
from .linux.plan import plan

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
TopologyArg = typer.Argument(..., help="topology YAML file or AWS snapshot folder")
LabOpt = typer.Option(None, "--lab", help="lab name (default: the topology's name)")


def _load(topology: Path, lab: str | None, down: set[str] | None = None):
    """The model as the running lab should be: with the faults it holds."""
    topo, warnings = load_model(topology)
    for w in warnings:
        err.print(f"[yellow]{w}[/]", highlight=False)
    name = names.lab_name(lab or topo.name)
    net = compile_topology(topo, frozenset(controller.faults(name) if down is None else down))
    return net, plan(net, name, controller.lab_secret(name))


def _need_root() -> None:
    if os.geteuid() != 0:
        err.print("[red]error:[/] the live data plane needs root (network namespaces, nftables)")
        raise typer.Exit(2)


def up(topology: Path = TopologyArg, lab: Optional[str] = LabOpt) -> None:
    """Realize the topology on this host, or bring a running lab to it (only the difference)."""
    _need_root()
    net, lab_plan = _load(topology, lab)
    with Progress(TextColumn("{task.description:<12}"), BarColumn(), TextColumn(
            "{task.completed}/{task.total}"), TimeElapsedColumn(), console=err,
            transient=True) as progress:
        tasks: dict[str, int] = {}

        def step(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        report = controller.Controller(lab_plan, step).up()
    spaces = report.namespaces
    repaired = [r for r in spaces if r.drift]
    table = Table(title=f"lab {lab_plan.lab} is up", show_header=False)
    table.add_row("nodes (namespaces)", f"{len(spaces)} ({report.created_ns} created, "
                                        f"{report.removed_ns} removed)")
    table.add_row("links (veth pairs)", str(report.veths))
    table.add_row("bridges", str(sum(len(s.bridges) for s in lab_plan.namespaces.values())))
    table.add_row("routes / policy rules", f"{sum(r.routes for r in spaces)} / "
                                           f"{sum(r.rules for r in spaces)}")
    table.add_row("nftables rules", str(sum(r.nft_rules for r in spaces)))
    table.add_row("namespaces changed", f"{report.changed} ({sum(r.nft_applied for r in spaces)} "
                                        "nftables transactions)")
    if repaired and report.changed < len(repaired):
        table.add_row("drift repaired in", f"{len(repaired)} namespaces")
    if report.changed and report.removed_ns + report.created_ns < len(spaces):
        table.add_row("changes applied after", f"{report.changed_seconds * 1000:.0f} ms "
                                               f"({report.changed} namespaces)")
    table.add_row("time", f"{report.seconds:.2f} s")
    out.print(table)


def down(topology: Optional[Path] = typer.Argument(None, help="topology (or give --lab)"),
         lab: Optional[str] = LabOpt) -> None:
    """Remove everything the lab created: namespaces, links, rules, processes."""
    _need_root()
    if lab is None and topology is None:
        err.print("[red]error:[/] give the topology or --lab")
        raise typer.Exit(2)
    name = names.lab_name(lab or load_model(topology)[0].name)
    removed = controller.down(name)
    out.print(f"lab {name}: removed {removed} namespaces")


def status(topology: Path = TopologyArg, lab: Optional[str] = LabOpt,
           as_json: bool = typer.Option(False, "--json")) -> None:
    """What runs, and every difference from the topology (drift); exit 1 if any."""
    _need_root()
    _, lab_plan = _load(topology, lab)
    report = controller.Controller(lab_plan).status()
    running = sum(1 for r in report.namespaces if "namespace missing" not in r.drift)
    if as_json:
        print(json.dumps({"lab": lab_plan.lab, "namespaces": len(lab_plan.namespaces),
                          "running": running, "drift": report.drift}, indent=2))
    else:
        out.print(f"lab {lab_plan.lab}: {running}/{len(lab_plan.namespaces)} namespaces running")
        for d in report.drift:
            out.print(f"  [yellow]drift[/] {d}", highlight=False)
        if not report.drift:
            out.print("  [green]no drift[/]: kernel state matches the topology")
    if report.drift:
        raise typer.Exit(1)


def exec_(node: str = typer.Argument(..., help="a node of a running lab"),
          cmd: list[str] = typer.Argument(..., help="command and arguments (after --)"),
          lab: Optional[str] = LabOpt) -> None:
    """Run a command inside a node of a running lab, e.g. `cloudnet exec web-1 -- ping 10.0.2.10`."""
    _need_root()
    running = namespaces(names.PREFIX)
    labs = [names.lab_name(lab)] if lab else controller.running_labs()
    matches = [(lb, names.ns_name(lb, node)) for lb in labs
               if names.ns_name(lb, node) in running]
    if not matches:
        err.print(f"[red]error:[/] no running node named {node}")
        raise typer.Exit(2)
    if len(matches) > 1:
        err.print(f"[red]error:[/] {node} runs in several labs "
                  f"({', '.join(lb for lb, _ in matches)}): give --lab")
        raise typer.Exit(2)
    os.execvp("ip", ["ip", "netns", "exec", matches[0][1], *cmd])


def probe(topology: Path = TopologyArg, lab: Optional[str] = LabOpt,
          all_: bool = typer.Option(False, "--all", help="every endpoint pair, every service"),
          src: Optional[str] = typer.Option(None, "--from"),
          dst: Optional[str] = typer.Option(None, "--to"),
          proto: str = typer.Option("tcp", "--proto", help="tcp, udp or icmp"),
          dport: Optional[int] = typer.Option(None, "--dport", min=0, max=65535),
          as_json: bool = typer.Option(False, "--json")) -> None:
    """Send real traffic in the running lab and compare with the model; exit 1 on disagreement."""
    _need_root()
    net, lab_plan = _load(topology, lab)
    missing = set(lab_plan.namespaces) - set(namespaces(names.lab_prefix(lab_plan.lab)))
    if missing:
        err.print(f"[red]error:[/] lab {lab_plan.lab} is not up ({len(missing)} namespaces "
                  "missing): run cloudnet up first")
        raise typer.Exit(2)
    if all_:
        pairs, services = all_pairs(net), all_services(net)
    elif src and dst:
        try:
            pairs = [(node_for(net, src), node_for(net, dst))]
        except EndpointError as exc:
            err.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2)
        if proto not in ("tcp", "udp", "icmp"):
            err.print("[red]error:[/] --proto must be tcp, udp or icmp for real traffic")
            raise typer.Exit(2)
        services = [proto if proto == "icmp" else f"{proto}/{dport or 80}"]
    else:
        err.print("[red]error:[/] give --all, or --from and --to")
        raise typer.Exit(2)
    waited, route_diff = bgpcheck.wait_converged(net, lab_plan) if net.bgp else (0.0, [])
    verdicts = compare(net, lab_plan, pairs, services)
    bad = [v for v in verdicts if not v.agree]
    if as_json:
        print(json.dumps({"lab": lab_plan.lab, "flows": [v.to_json() for v in verdicts],
                          "agree": len(verdicts) - len(bad), "disagree": len(bad),
                          "bgp_routes": {"speakers": len(net.bgp), "differences": route_diff}},
                         indent=2))
    else:
        table = Table(title=f"probe {lab_plan.lab}: model vs live")
        for col in ("from", "to", "service", "model", "live", "agree"):
            table.add_column(col)
        for v in verdicts:
            table.add_row(v.src, v.dst, v.service,
                          "works" if v.model else f"blocked ({v.model_detail})",
                          "works" if v.live else "blocked",
                          "[green]yes[/]" if v.agree else "[red bold]NO[/]")
        out.print(table)
        out.print(f"{len(verdicts) - len(bad)}/{len(verdicts)} flows agree")
        if net.bgp:
            for d in route_diff:
                out.print(f"  [red]route[/] {d}", highlight=False)
            out.print(f"BGP routes in the kernel: "
                      f"{'match the model' if not route_diff else 'DIFFER from the model'} "
                      f"({len(net.bgp)} speakers; waited {waited:.1f} s for convergence)")
    if bad or route_diff:
        raise typer.Exit(1)


def fault(topology: Path = TopologyArg, lab: Optional[str] = LabOpt,
          down: list[str] = typer.Option([], "--down", help="node or link (A--B) to fail"),
          up_: list[str] = typer.Option([], "--up", help="node or link to restore"),
          ) -> None:
    """Take a tunnel, circuit or gateway down (or back up) in the running lab; BGP reconverges,
    and the model's what-if for the same failure is what `probe` then checks against."""
    _need_root()
    topo, _ = load_model(topology)
    name = names.lab_name(lab or topo.name)
    if not namespaces(names.lab_prefix(name)):
        err.print(f"[red]error:[/] lab {name} is not up: run cloudnet up first")
        raise typer.Exit(2)
    whole = compile_topology(topo)
    held = (controller.faults(name) | resolve_down(whole, down)) - resolve_down(whole, up_)
    controller.save_faults(name, held)
    net, lab_plan = _load(topology, lab, held)
    report = controller.Controller(lab_plan).up()
    out.print(f"lab {name}: {len(held)} node(s)/link(s) down: {', '.join(sorted(held)) or 'none'} "
              f"(applied in {report.seconds:.2f} s)")
    for sid, why in sorted(net.sessions_down.items()):
        out.print(f"  model: BGP session {sid} down: {why}", highlight=False)
    if net.bgp:
        waited, diff = bgpcheck.wait_converged(net, lab_plan)
        out.print(f"BGP {'reconverged' if not diff else 'has NOT converged'} in {waited:.1f} s"
                  f"{': the kernel matches the model' if not diff else ''}")
        for d in diff:
            out.print(f"  [red]route[/] {d}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(down)
    app.command()(status)
    app.command("exec", context_settings={"allow_extra_args": True,
                                          "ignore_unknown_options": True})(exec_)
    app.command()(probe)
    app.command()(fault)
