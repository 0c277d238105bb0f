"""Intent results as SARIF 2.1.0, the format CI systems (GitHub code scanning, GitLab, Azure
DevOps) read: one result per failed intent, located at the intent in the intents file, with
the topology lines along its counterexample as related locations."""

from __future__ import annotations

from pathlib import Path

from ...ir.model import Provenance
from .intents import Result

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _location(file: str, line: int | None, message: str = "") -> dict:
    loc = {"physicalLocation": {"artifactLocation": {"uri": Path(file).as_posix()}}}
    if line:
        loc["physicalLocation"]["region"] = {"startLine": line}
    if message:
        loc["message"] = {"text": message}
    return loc


def _related(results_prov: list[Provenance]) -> list[dict]:
    out, seen = [], set()
    for p in results_prov:
        if p.source and (p.source, p.line) not in seen:
            seen.add((p.source, p.line))
            out.append({"id": len(out), **_location(p.source, p.line, p.what)})
    return out


def sarif(results: list[Result], intents_file: str) -> dict:
    out = []
    for r in results:
        if r.ok:
            continue
        source, path = r.intent.at()
        line = source.line(path) if source else None
        provs: list[Provenance] = []
        if r.blocked is not None:
            provs += [b.provenance for b in r.blocked.blockers if b.provenance]
        if r.trace is not None:
            provs += [p for h in r.trace.hops for s in h.steps for p in s.provenance]
        text = f"intent '{r.intent.name}' fails: " + "; ".join(r.problems)
        if r.example is not None:
            text += f" (e.g. {r.example.describe()} from {r.start})"
        out.append({"ruleId": "cloudnet/intent", "level": "error", "message": {"text": text},
                    "locations": [_location(intents_file, line)],
                    "relatedLocations": _related(provs)})
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "cloudnet",
                            "rules": [{"id": "cloudnet/intent", "name": "NetworkIntent",
                                       "shortDescription": {"text": "A network intent (what "
                                                            "must or must not get through) "
                                                            "does not hold"}}]}},
        "results": out}]}
