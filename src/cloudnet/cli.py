"""The cloudnet command line."""

from __future__ import annotations

import json
import sys
from ipaddress import IPv4Address
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from .analysis.endpoints import EndpointError, destination_address, node_for, source_address
from .analysis.packet import make_packet, parse_proto
from .analysis.reach import matrix, parse_services
from .analysis.trace import Tracer
from .diagnostics import Diagnostic, InputError
from .loader import load_network
from .render import print_matrix, print_trace

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Model, explain and verify multi-cloud networks.")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)  # one diagnostic per line, whatever the width

TopologyArg = typer.Argument(..., help="topology YAML file or AWS snapshot folder")
DownOpt = typer.Option([], "--down", help="what if this node or link (A--B) were down; "
                                          "repeatable")


def _warn(diags: list[Diagnostic]) -> None:
    for d in diags:
        err.print(f"[yellow]{d}[/]", highlight=False)


def _fail(message: str) -> None:
    err.print(f"[red]error:[/] {message}", highlight=False)
    raise typer.Exit(2)


@app.command()
def validate(topology: Path = TopologyArg) -> None:
    """Check a topology: every problem at once, each with file, line and field."""
    net, warnings = load_network(topology)
    _warn(warnings)
    hosts = sum(1 for n in net.nodes.values() if n.kind.value == "host")
    out.print(f"[green]ok[/]: {topology}: {len(net.nodes)} nodes ({hosts} hosts), "
              f"{len(net.links)} links, {len(net.filters)} filters")


@app.command()
def trace(topology: Path = TopologyArg,
          src_node: str = typer.Option(..., "--from", help="instance, gateway, host or internet"),
          dst: str = typer.Option(..., "--to", help="an IP address or a node"),
          src: Optional[str] = typer.Option(None, "--src", help="source IP (default: the node's)"),
          proto: str = typer.Option("tcp", "--proto", help="tcp, udp, icmp, any or a number"),
          dport: Optional[int] = typer.Option(None, "--dport", min=0, max=65535),
          sport: Optional[int] = typer.Option(None, "--sport", min=0, max=65535),
          down: list[str] = DownOpt,
          as_json: bool = typer.Option(False, "--json")) -> None:
    """Follow one packet hop by hop, then its reply, naming what decided each step."""
    net, warnings = load_network(topology, down)
    _warn(warnings)
    try:
        start = node_for(net, src_node)
        try:
            src_ip = IPv4Address(src) if src else source_address(net, start)
        except ValueError as exc:
            raise EndpointError(f"--src: {exc}") from None
        dst_ip = destination_address(net, dst, start)
        pkt = make_packet(src_ip, dst_ip, parse_proto(proto), dport, sport)
    except (EndpointError, ValueError) as exc:
        _fail(str(exc))
    result = Tracer(net).trace(start, pkt)
    if as_json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print_trace(out, result)


@app.command()
def reach(topology: Path = TopologyArg,
          ports: Optional[str] = typer.Option(
              None, "--ports", help="services: 22,443,udp/53,icmp (default: icmp, 22, 80, 443 "
                                    "and the ports the topology's rules name)"),
          down: list[str] = DownOpt,
          as_json: bool = typer.Option(False, "--json")) -> None:
    """Reachability matrix of every endpoint pair, computed by the tracer."""
    net, warnings = load_network(topology, down)
    _warn(warnings)
    try:
        services = parse_services(ports, net)
    except ValueError as exc:
        _fail(str(exc))
    cells = matrix(net, services)
    if as_json:
        print(json.dumps({"services": services, "pairs": [
            {"from": c.src, "to": c.dst, "verdicts": c.verdicts} for c in cells]}, indent=2))
    else:
        print_matrix(out, cells, services)


from .dataplane.commands import register as _register_dataplane  # noqa: E402

_register_dataplane(app)


from .analysis.verify.commands import register as _register_verify  # noqa: E402
_register_verify(app)

from .importers.commands import register as _register_importers
_register_importers(app)


def main() -> None:
    from .dataplane.linux.kernel import KernelError
    try:
        app()
    except KernelError as exc:  # the kernel refused something: say what; `up` again resumes
        err.print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(2)
    except InputError as exc:
        for d in sorted(exc.diagnostics, key=lambda d: (d.file, d.line or 0)):
            (err.print(f"[red]{d}[/]", highlight=False) if d.severity == "error"
             else err.print(f"[yellow]{d}[/]", highlight=False))
        n = sum(d.severity == "error" for d in exc.diagnostics)
        err.print(f"{n} error(s)", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
