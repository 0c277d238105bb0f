"""`cloudnet import terraform` and `cloudnet export --format terraform`.

Exit codes of import: 0 everything was imported (values known only after apply got
placeholders, listed as warnings); 3 the topology was written but something was not modelled
(each listed: type, address, why); 2 bad input (nothing written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
import yaml
from rich.console import Console

from ..diagnostics import Diagnostic, InputError
from ..loader import load_model
from ..model.validate import validate_topology
from .terraform import load_terraform
from .terraform.export_aws import export_aws

SKIPPED = 3
err = Console(stderr=True, soft_wrap=True)

import_app = typer.Typer(no_args_is_help=True, help="Turn other tools' files into a topology.")


def _vars(pairs: list[str]) -> dict[str, str]:
    out = {}
    for p in pairs:
        key, eq, value = p.partition("=")
        if not eq or not key.strip():
            raise InputError([Diagnostic("--var", None, "", f"{p!r}: expected NAME=VALUE")])
        out[key.strip()] = value
    return out


def _print(title: str, diags: list[Diagnostic], colour: str) -> None:
    if diags:
        err.print(f"[bold]{title} ({len(diags)}):[/]", highlight=False)
        for d in diags:
            err.print(f"  [{colour}]{d}[/]", highlight=False)


def to_yaml(topo, source: Path) -> str:
    data = topo.model_dump(mode="json", exclude_defaults=True)
    return (f"# Imported from {source} by `cloudnet import terraform`.\n"
            + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))


@import_app.command("terraform")
def import_terraform(
        path: Path = typer.Argument(..., help="`terraform show -json` output (plan or state) "
                                              "or a folder of .tf files"),
        output: Optional[Path] = typer.Option(None, "-o", "--output",
                                              help="topology YAML to write (default: stdout)"),
        var: list[str] = typer.Option([], "--var", help="NAME=VALUE for a .tf variable"),
        var_file: list[Path] = typer.Option([], "--var-file", help=".tfvars(.json) file")) -> None:
    """Import Terraform as a topology; report what is not modelled (exit 3 if anything)."""
    topo, report = load_terraform(path, _vars(var), var_file)
    if topo.aws is None and topo.azure is None and topo.gcp is None:
        raise InputError(report.diagnostics() + [Diagnostic(
            str(path), None, "", "no AWS, Azure or GCP resources to import")])
    problems = [d for d in validate_topology(topo) if d.severity == "error"]
    if problems:  # what Terraform describes breaks the cloud's rules: say so, write nothing
        raise InputError(report.diagnostics() + problems)
    text = to_yaml(topo, path)
    if output:
        _write(output, text)
    else:
        print(text, end="")
    _print("not modelled", report.skipped, "yellow")
    _print("known only after apply (placeholders)", report.placeholders, "cyan")
    _print("findings", report.findings, "red")
    _print("notes", report.notes, "dim")
    err.print(f"{'wrote ' + str(output) if output else 'imported'}: {_counts(topo)}; "
              f"{len(report.skipped)} not modelled, {len(report.placeholders)} placeholder(s), "
              f"{len(report.findings)} finding(s)", highlight=False)
    if report.skipped:
        raise typer.Exit(SKIPPED)


def _counts(topo) -> str:
    out = []
    if aws := topo.aws:
        out.append(f"{len(aws.vpcs)} VPC(s), {sum(len(v.subnets) for v in aws.vpcs.values())} "
                   f"subnet(s), {sum(len(v.instances) for v in aws.vpcs.values())} instance(s)")
    if azure := topo.azure:
        vnets = azure.vnets.values()
        out.append(f"{len(vnets)} VNet(s), {sum(len(v.subnets) for v in vnets)} subnet(s), "
                   f"{sum(len(v.vms) for v in vnets)} VM(s)")
    if gcp := topo.gcp:
        nets = [n for p in gcp.projects.values() for n in p.networks.values()]
        out.append(f"{len(nets)} network(s), {sum(len(n.subnets) for n in nets)} subnet(s), "
                   f"{sum(len(p.instances) for p in gcp.projects.values())} instance(s)")
    return "; ".join(out)


def export(topology: Path = typer.Argument(..., help="topology YAML, snapshot, plan or .tf "
                                                     "folder"),
           fmt: str = typer.Option("terraform", "--format", help="terraform"),
           output: Optional[Path] = typer.Option(None, "-o", "--output",
                                                 help="folder for main.tf (default: stdout)")
           ) -> None:
    """Write the topology's AWS part as Terraform, to deploy what was tested."""
    if fmt != "terraform":
        raise InputError([Diagnostic("--format", None, "", f"unknown format {fmt!r} "
                                     "(supported: terraform)")])
    topo, _ = load_model(topology)
    if topo.aws is None:
        raise InputError([Diagnostic(str(topology), None, "aws", "no AWS part to export")])
    text, notes = export_aws(topo.aws, topo.name)
    if output:
        _write(output / "main.tf", text)
        err.print(f"wrote {output / 'main.tf'}", highlight=False)
    else:
        print(text, end="")
    for n in notes:
        err.print(f"[yellow]note: {n}[/]", highlight=False)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError as exc:
        why = f"{path.parent} is not a folder" if isinstance(exc, FileExistsError) else exc.strerror
        raise InputError([Diagnostic(str(path), None, "--output", f"cannot write: {why}")]) \
            from None


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
    app.command("export")(export)
