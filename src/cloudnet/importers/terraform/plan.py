"""`terraform show -json` output, of a plan or of a state, as Resources.

A plan's planned_values hold what Terraform knows before apply; resource_changes[].change
.after_unknown marks what it learns only then (ids, addresses), and the configuration's
expressions say which resources such a value comes from ("references").  Together they give
the same picture the .tf front end computes: known values, and Unknowns that still name
their source, so `vpc_id = aws_vpc.main.id` links the subnet to its VPC before it exists.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ... import yamlsource
from ...diagnostics import Diagnostic, InputError, SourceMap
from .resolve import Resource, Unknown, ref_addresses

KEYS = ("planned_values", "values", "resource_changes")


def is_plan(path: Path) -> bool:
    """A .json file holding `terraform show -json` output (plan or state)."""
    if not (path.is_file() and path.suffix == ".json"):
        return False
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return False  # not ours to judge: the topology loader reports malformed files
    return isinstance(data, dict) and "format_version" in data and any(k in data for k in KEYS)


def is_raw_state(data: Any) -> bool:
    return isinstance(data, dict) and "terraform_version" in data and "resources" in data \
        and isinstance(data.get("version"), int)


def load_plan(path: Path) -> list[Resource]:
    data, src = yamlsource.load(path)
    if is_raw_state(data):
        raise InputError([Diagnostic(str(path), 1, "", "this is a raw terraform.tfstate; give "
                                     "the output of `terraform show -json` instead")])
    if not (isinstance(data, dict) and "format_version" in data and any(k in data for k in KEYS)):
        raise InputError([Diagnostic(str(path), 1, "", "not `terraform show -json` output: "
                                     "expected format_version and planned_values or values")])
    return _Plan(data, src).resources()


class _Plan:
    def __init__(self, data: dict, src: SourceMap):
        self.data, self.src = data, src
        self.out = SourceMap(src.file)
        self.unknown: dict[str, Any] = {}
        for rc in data.get("resource_changes") or []:
            if isinstance(rc, dict) and isinstance(rc.get("change"), dict):
                self.unknown[rc.get("address")] = rc["change"].get("after_unknown") or {}
        self.config = (data.get("configuration") or {}).get("root_module") or {}

    def resources(self) -> list[Resource]:
        top = "planned_values" if "planned_values" in self.data else "values"
        root = (self.data.get(top) or {}).get("root_module") or {}
        found: list[Resource] = []
        self._module(root, (top, "root_module"), found)
        if not found and "planned_values" not in self.data:
            # Only resource_changes (e.g. a trimmed plan): take their "after" state.
            for i, rc in enumerate(self.data.get("resource_changes") or []):
                after = (rc.get("change") or {}).get("after")
                if after is not None:
                    found.append(self._resource(rc, ("resource_changes", i), after))
        self._pick_instances(found)
        return found

    def _module(self, mod: dict, path: tuple, found: list[Resource]) -> None:
        for i, r in enumerate(mod.get("resources") or []):
            if isinstance(r, dict) and r.get("address") and r.get("type"):
                found.append(self._resource(r, (*path, "resources", i), r.get("values") or {}))
        for i, child in enumerate(mod.get("child_modules") or []):
            if isinstance(child, dict):
                self._module(child, (*path, "child_modules", i), found)

    def _resource(self, r: dict, path: tuple, values: dict) -> Resource:
        addr = r["address"]
        # Copy the lines of the resource's JSON under (address, attribute, ...).
        n = len(path)
        for p, line in self.src.lines.items():
            if p[:n] == path:
                rest = p[n:]
                if not rest:
                    self.out.lines[(addr,)] = line
                elif rest[0] in ("values", "change"):
                    self.out.lines[(addr, *rest[2 if rest[0] == "change" else 1:])] = line
        res = Resource(addr, r["type"], r.get("mode", "managed"), {}, self.out, r.get("index"))
        expr = self._expressions(res)
        res.values = _overlay(dict(values), self.unknown.get(addr) or {}, expr, res.module)
        return res

    def _expressions(self, res: Resource) -> dict:
        """The configuration expressions of the resource's block (module by module)."""
        mod = self.config
        for name in re.findall(r"module\.([\w-]+)(?:\[[^\]]*\])?\.", res.module):
            mod = ((mod.get("module_calls") or {}).get(name) or {}).get("module") or {}
        base = re.sub(r'\[(?:\d+|"[^"]*")\]$', "", res.local)
        for c in mod.get("resources") or []:
            if c.get("address") == base:
                return c.get("expressions") or {}
        return {}

    @staticmethod
    def _pick_instances(found: list[Resource]) -> None:
        """A reference to a counted resource without its index (configuration references
        name `aws_subnet.a`, not `aws_subnet.a[count.index]`) means the referrer's own index
        when that instance exists; otherwise every instance stays a candidate."""
        by_base: dict[str, list[str]] = {}
        for r in found:
            by_base.setdefault(r.base, []).append(r.address)

        def fix(value, res: Resource):
            if isinstance(value, Unknown):
                refs: list[str] = []
                for a in value.refs:
                    instances = by_base.get(a)
                    if not instances or instances == [a]:  # an instance itself
                        refs.append(a)
                        continue
                    if any(x in value.refs for x in instances):  # its instance is named too
                        continue
                    same = [x for x in instances if x == f"{a}[{res.index}]"
                            or x == f'{a}["{res.index}"]']
                    refs += same or instances
                return Unknown(tuple(dict.fromkeys(refs)))
            if isinstance(value, dict):
                return {k: fix(v, res) for k, v in value.items()}
            if isinstance(value, list):
                return [fix(v, res) for v in value]
            return value

        for r in found:
            r.values = fix(r.values, r)


def _overlay(value: Any, unknown: Any, expr: Any, module: str) -> Any:
    """`value` with what after_unknown marks replaced by Unknowns naming their references."""
    if unknown is True:
        refs = expr.get("references", []) if isinstance(expr, dict) else []
        return Unknown(tuple(ref_addresses(refs, module)))
    if isinstance(unknown, dict):
        out = dict(value) if isinstance(value, dict) else {}
        for k, u in unknown.items():
            if u is not False and u != {} and u != []:
                sub = expr.get(k) if isinstance(expr, dict) else None
                out[k] = _overlay(out.get(k), u, sub, module)
        return out
    if isinstance(unknown, list):
        out = list(value) if isinstance(value, list) else []
        out += [None] * (len(unknown) - len(out))
        for i, u in enumerate(unknown):
            sub = expr[min(i, len(expr) - 1)] if isinstance(expr, list) and expr else None
            out[i] = _overlay(out[i], u, sub, module)
        return out
    return value
