"""A folder of .tf sources as Resources: parsed by python-hcl2, evaluated here.

python-hcl2 gives the syntax tree (with line numbers); Terraform's evaluation is ours to do:
variables (defaults, terraform.tfvars, *.auto.tfvars, -var-file, -var, in Terraform's order),
locals, count and for_each, dynamic blocks, the common functions, and references between
resources.  An attribute another resource sets in its source is read from there
(aws_vpc.main.cidr_block); one only the provider sets (aws_vpc.main.id) is an Unknown that
names the resource, which is what the provider mappings need to link the two.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from ipaddress import IPv4Network, ip_network
from pathlib import Path
from typing import Any, Callable

import hcl2
from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from ...diagnostics import Diagnostic, InputError, SourceMap
from .resolve import Resource, Unknown, instance_address

META_ARGS = {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner",
             "connection", "timeouts"}


def is_tf_folder(path: Path) -> bool:
    return path.is_dir() and any(path.glob("*.tf"))


def load_tf(folder: Path, variables: dict[str, str] | None = None,
            var_files: list[Path] | None = None) -> tuple[list[Resource], list[Diagnostic]]:
    """The resources of the folder's .tf files and notes on what was read approximately."""
    ev = _Evaluator(Path(folder))
    ev.read()
    ev.set_variables(variables or {}, var_files or [])
    if ev.errors:
        raise InputError(ev.errors)
    resources = ev.resources()
    if ev.errors:
        raise InputError(ev.errors)
    return resources, ev.notes


class EvalError(Exception):
    def __init__(self, node: Tree | None, message: str):
        super().__init__(message)
        self.line = node.meta.line if isinstance(node, Tree) and not node.meta.empty else None


@dataclass
class _Def:
    """A resource or data block."""
    mode: str
    type: str
    name: str
    body: Tree
    file: str
    line: int

    @property
    def base(self) -> str:
        return f"{'data.' if self.mode == 'data' else ''}{self.type}.{self.name}"


@dataclass(frozen=True)
class _Res:
    """A resource instance used in an expression; its attributes are read on access."""
    address: str


class _Namespace:
    def __init__(self, name: str, get: Callable[[str, Tree | None], Any]):
        self.name, self._get = name, get

    def attr(self, key: str, node: Tree | None) -> Any:
        return self._get(key, node)


def _kids(node: Tree) -> list[Tree]:
    return [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def _ident(node) -> str:
    if isinstance(node, Token):
        return str(node)
    if node.data == "string":
        return "".join(str(t) for p in node.children if isinstance(p, Tree) for t in p.children)
    return str(node.children[0])


def _refs(*values) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        if isinstance(v, Unknown):
            out += v.refs
        elif isinstance(v, _Res):
            out.append(v.address)
        elif isinstance(v, (list, tuple)):
            out += _refs(*v)
        elif isinstance(v, dict):
            out += _refs(*v.values())
    return tuple(dict.fromkeys(out))


def _unknowns(*values) -> bool:
    for v in values:
        if isinstance(v, Unknown):
            return True
        if isinstance(v, (list, tuple)) and _unknowns(*v):
            return True
        if isinstance(v, dict) and _unknowns(*v.values()):
            return True
    return False


class _Evaluator:
    def __init__(self, folder: Path):
        self.folder = folder
        self.errors: list[Diagnostic] = []
        self.notes: list[Diagnostic] = []
        self.var_defs: dict[str, tuple[Tree | None, str, int]] = {}
        self.var_values: dict[str, Any] = {}
        self.local_defs: dict[str, tuple[Tree, str, int]] = {}
        self.local_values: dict[str, Any] = {}
        self.defs: dict[str, _Def] = {}
        self.instances: dict[str, tuple[_Def, Any, Any]] = {}  # address -> (def, key, each)
        self.evaluated: dict[str, Resource] = {}
        self.busy: set[str] = set()
        self.maps: dict[str, SourceMap] = {}
        self.file = ""

    # ---- reading -----------------------------------------------------------------------

    def _parse(self, f: Path) -> Tree | None:
        rel = str(f)
        try:
            return hcl2.parses_to_tree(f.read_text())
        except UnexpectedInput as exc:
            self.errors.append(Diagnostic(rel, exc.line if exc.line > 0 else None, "",
                                          f"malformed HCL: {str(exc).splitlines()[0]}"))
        except (LarkError, OSError, UnicodeDecodeError) as exc:
            self.errors.append(Diagnostic(rel, None, "", f"cannot read: {exc}"))
        return None

    def read(self) -> None:
        for f in sorted(self.folder.glob("*.tf")):
            tree = self._parse(f)
            if tree is None:
                continue
            file = str(f)
            self.maps[file] = SourceMap(file)
            for block in _kids(_kids(tree)[0]):
                if block.data != "block":
                    continue
                labels = [c for c in block.children
                          if isinstance(c, Tree) and c.data in ("identifier", "string")]
                kind, names = _ident(labels[0]), [_ident(x) for x in labels[1:]]
                body = next(c for c in block.children if isinstance(c, Tree) and c.data == "body")
                line = block.meta.line
                if kind == "variable" and names:
                    default = next((a for a in _kids(body) if a.data == "attribute"
                                    and _ident(a.children[0]) == "default"), None)
                    self.var_defs[names[0]] = (default, file, line)
                elif kind == "locals":
                    for a in _kids(body):
                        if a.data == "attribute":
                            self.local_defs[_ident(a.children[0])] = (a, file, a.meta.line)
                elif kind in ("resource", "data") and len(names) == 2:
                    d = _Def("managed" if kind == "resource" else "data", names[0], names[1],
                             body, file, line)
                    self.defs[d.base] = d
                elif kind == "module" and names:
                    self.notes.append(Diagnostic(file, line, f"module.{names[0]}", "warning: "
                                                 "module blocks are not followed in .tf import; "
                                                 "import `terraform show -json` of a plan to "
                                                 "include modules' resources", "warning"))

    def set_variables(self, given: dict[str, str], var_files: list[Path]) -> None:
        files = [p for p in [self.folder / "terraform.tfvars", self.folder /
                             "terraform.tfvars.json"] if p.is_file()]
        files += sorted(self.folder.glob("*.auto.tfvars")) + sorted(
            self.folder.glob("*.auto.tfvars.json"))
        assigned: dict[str, Any] = {}
        for f in files + [Path(v) for v in var_files]:
            assigned.update(self._var_file(f))
        for k, text in given.items():
            assigned[k] = self._var_text(k, text)
        for name, (default, file, line) in self.var_defs.items():
            if name in assigned:
                self.var_values[name] = assigned[name]
            elif default is not None:
                self.file = file
                self.var_values[name] = self._safe(default.children[-1], file)
            else:
                self.notes.append(Diagnostic(file, line, f"var.{name}", "no value "
                                             "given (use --var or --var-file); treated as known "
                                             "after apply", "warning"))
                self.var_values[name] = Unknown((f"var.{name}",))
        for k in assigned:
            if k not in self.var_defs:
                self.notes.append(Diagnostic(str(self.folder), None, f"var.{k}", "a "
                                             "value was given for an undeclared variable; "
                                             "ignored", "warning"))

    def _var_file(self, f: Path) -> dict[str, Any]:
        if f.suffix == ".json":
            try:
                data = json.loads(f.read_text())
            except (OSError, ValueError) as exc:
                self.errors.append(Diagnostic(str(f), None, "", f"cannot read: {exc}"))
                return {}
            return data if isinstance(data, dict) else {}
        if not f.is_file():
            self.errors.append(Diagnostic(str(f), None, "", "no such variables file"))
            return {}
        tree = self._parse(f)
        out = {}
        for a in _kids(_kids(tree)[0]) if tree else []:
            if a.data == "attribute":
                out[_ident(a.children[0])] = self._safe(a.children[-1], str(f))
        return out

    def _var_text(self, name: str, text: str) -> Any:
        """-var values are strings unless they read as an HCL number, bool, list or map."""
        if re.fullmatch(r"\s*(\[.*\]|\{.*\}|-?\d+(\.\d+)?|true|false)\s*", text, re.S):
            try:
                tree = hcl2.parses_to_tree(f"v = {text}\n")
                return self.eval(_kids(_kids(tree)[0])[0].children[-1])
            except (LarkError, EvalError):
                pass
        return text

    def _safe(self, node: Tree, file: str) -> Any:
        self.file = file
        try:
            return self.eval(node)
        except EvalError as exc:
            self.errors.append(Diagnostic(file, exc.line, "", str(exc)))
            return Unknown(())

    # ---- resources ---------------------------------------------------------------------

    def resources(self) -> list[Resource]:
        for d in self.defs.values():
            self._expand(d)
        out = []
        for addr in list(self.instances):
            res = self._instance(addr)
            if res is not None:
                out.append(res)
        return out

    def _expand(self, d: _Def) -> None:
        attrs = {_ident(a.children[0]): a for a in _kids(d.body) if a.data == "attribute"}
        self.file = d.file
        try:
            if "count" in attrs:
                n = self.eval(attrs["count"].children[-1])
                if isinstance(n, Unknown) or not isinstance(n, (int, float)):
                    raise EvalError(attrs["count"], f"{d.base}: count must be a number known "
                                                    "before apply")
                for i in range(int(n)):
                    self.instances[instance_address(d.base, i)] = (d, i, None)
            elif "for_each" in attrs:
                each = self.eval(attrs["for_each"].children[-1])
                if _unknowns(each) and not isinstance(each, (dict, list)) or \
                        isinstance(each, list) and _unknowns(*each) or \
                        isinstance(each, dict) and _unknowns(*each.keys()):
                    raise EvalError(attrs["for_each"], f"{d.base}: for_each keys must be known "
                                                       "before apply")
                items = each.items() if isinstance(each, dict) else (
                    (v, v) for v in each) if isinstance(each, (list, set, tuple)) else None
                if items is None:
                    raise EvalError(attrs["for_each"], f"{d.base}: for_each must be a map or a "
                                                       "set of strings")
                for k, v in items:
                    self.instances[instance_address(d.base, str(k))] = (d, str(k), v)
            else:
                self.instances[d.base] = (d, None, None)
        except EvalError as exc:
            self.errors.append(Diagnostic(d.file, exc.line or d.line, d.base, str(exc)))

    def _instance(self, addr: str) -> Resource | None:
        if addr in self.evaluated:
            return self.evaluated[addr]
        d, key, each = self.instances[addr]
        if addr in self.busy:
            raise EvalError(None, f"{addr} refers to itself (a reference cycle)")
        self.busy.add(addr)
        src = self.maps[d.file]
        src.lines[(addr,)] = d.line
        saved = self.file, getattr(self, "scope", {})
        self.file = d.file
        self.scope = {"count": {"index": key} if isinstance(key, int) else None,
                      "each": {"key": key, "value": each} if key is not None
                      and not isinstance(key, int) else None}
        try:
            values = self._body(d.body, (addr,), src)
        except EvalError as exc:
            self.errors.append(Diagnostic(d.file, exc.line or d.line, addr, str(exc)))
            values = {}
        finally:
            self.file, self.scope = saved
            self.busy.discard(addr)
        res = Resource(addr, d.type, d.mode, values, src, key)
        self.evaluated[addr] = res
        return res

    def _body(self, body: Tree, path: tuple, src: SourceMap) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for item in _kids(body):
            name = _ident(item.children[0])
            if name in META_ARGS:
                continue
            if item.data == "attribute":
                src.lines[(*path, name)] = item.meta.line
                values[name] = _plain(self.eval(item.children[-1]))
            elif item.data == "block":
                inner = next(c for c in item.children if isinstance(c, Tree) and c.data == "body")
                if name == "dynamic":
                    self._dynamic(item, inner, path, src, values)
                    continue
                blocks = values.setdefault(name, [])
                src.lines[(*path, name, len(blocks))] = item.meta.line
                blocks.append(self._body(inner, (*path, name, len(blocks)), src))
        return values

    def _dynamic(self, block: Tree, body: Tree, path: tuple, src: SourceMap,
                 values: dict) -> None:
        labels = [c for c in block.children if isinstance(c, Tree) and c.data == "string"]
        name = _ident(labels[0]) if labels else "dynamic"
        attrs = {_ident(a.children[0]): a for a in _kids(body) if a.data == "attribute"}
        content = next((b for b in _kids(body) if b.data == "block"
                        and _ident(b.children[0]) == "content"), None)
        if "for_each" not in attrs or content is None:
            raise EvalError(block, f"dynamic \"{name}\" needs for_each and a content block")
        iterator = name
        if "iterator" in attrs:
            iterator = _ident(_kids(attrs["iterator"].children[-1])[0]) if _kids(
                attrs["iterator"].children[-1]) else name
        coll = self.eval(attrs["for_each"].children[-1])
        if isinstance(coll, Unknown):
            raise EvalError(attrs["for_each"], f"dynamic \"{name}\": for_each must be known "
                                               "before apply")
        items = coll.items() if isinstance(coll, dict) else enumerate(coll)
        inner = next(c for c in content.children if isinstance(c, Tree) and c.data == "body")
        blocks = values.setdefault(name, [])
        for k, v in items:
            self.scope = {**self.scope, iterator: {"key": k, "value": v}}
            src.lines[(*path, name, len(blocks))] = content.meta.line
            blocks.append(self._body(inner, (*path, name, len(blocks)), src))
        self.scope.pop(iterator, None)

    def _resource_ref(self, base: str, node: Tree | None) -> Any:
        d = self.defs.get(base)
        if d is None:
            raise EvalError(node, f"reference to undeclared resource {base}")
        instances = [(a, k) for a, (dd, k, _) in self.instances.items() if dd is d]
        if len(instances) == 1 and instances[0][1] is None:
            return _Res(base)
        if instances and isinstance(instances[0][1], int):
            return [_Res(a) for a, _ in instances]
        return {k: _Res(a) for a, k in instances}

    def _res_attr(self, res: _Res, key: str, node: Tree | None) -> Any:
        target = self._instance(res.address)
        value = target.values.get(key) if target else None
        if isinstance(value, Unknown) and value.refs:
            return value  # e.g. an association's vpc_id: the VPC's id, not the association's
        if value is None or isinstance(value, Unknown):
            return Unknown((res.address,))
        return value

    # ---- expressions -------------------------------------------------------------------

    def eval(self, node) -> Any:
        if isinstance(node, Token):
            return str(node)
        method = getattr(self, f"_e_{node.data}", None)
        if method is None:
            raise EvalError(node, f"unsupported expression ({node.data})")
        return method(node)

    def _e_expr_term(self, node: Tree) -> Any:
        return self.eval(_kids(node)[0])

    def _e_int_lit(self, node: Tree) -> int:
        return int(node.children[0])

    def _e_float_lit(self, node: Tree) -> float:
        return float(node.children[0])

    def _e_literal_value(self, node: Tree) -> Any:
        return {"true": True, "false": False, "null": None}[str(node.children[0])]

    def _e_string(self, node: Tree) -> Any:
        parts: list[Any] = []
        for p in node.children:
            if not isinstance(p, Tree):
                continue
            for c in p.children:
                if isinstance(c, Token):
                    text = str(c)
                    parts.append(text[1:] if c.type in ("ESCAPED_INTERPOLATION",
                                                        "ESCAPED_DIRECTIVE")
                                 else _unescape(text))
                elif c.data == "interpolation":
                    parts.append(self.eval(_kids(c)[0]))
                else:
                    raise EvalError(c, "template directives (%{...}) are not supported")
        if len(parts) == 1 and not isinstance(parts[0], str):
            return parts[0]
        if _unknowns(*parts):
            return Unknown(_refs(*parts))
        return "".join(_tostring(p, node) for p in parts)

    def _e_heredoc_template(self, node: Tree) -> str:
        text = str(node.children[0])
        return text.split("\n", 1)[1].rsplit("\n", 2)[0] + "\n"

    _e_heredoc_template_trim = _e_heredoc_template

    def _e_tuple(self, node: Tree) -> list:
        return [self.eval(c) for c in _kids(node)]

    def _e_object(self, node: Tree) -> dict:
        out = {}
        for elem in _kids(node):
            key_node, value = _kids(elem)[0], _kids(elem)[-1]
            inner = _kids(key_node)[0] if _kids(key_node) else key_node.children[0]
            if isinstance(inner, Tree) and inner.data == "expr_term" and \
                    _kids(inner) and _kids(inner)[0].data == "identifier":
                key = _ident(_kids(inner)[0])  # a bare word is the key itself, not a variable
            else:
                key = self.eval(inner)
            out[key if isinstance(key, str) else _tostring(key, elem)] = self.eval(value)
        return out

    def _e_identifier(self, node: Tree) -> Any:
        name = _ident(node)
        scope = getattr(self, "scope", {})
        if name in scope and scope[name] is not None:
            return scope[name]
        if name == "var":
            return _Namespace("var", self._var)
        if name == "local":
            return _Namespace("local", self._local)
        if name == "data":
            return _Namespace("data", lambda t, n: _Namespace(
                f"data.{t}", lambda nm, n2: self._resource_ref(f"data.{t}.{nm}", n2)))
        if name == "module":
            return _Namespace("module", lambda m, n: Unknown((f"module.{m}",)))
        if name == "path":
            return {"module": ".", "root": ".", "cwd": "."}
        if name == "terraform":
            return {"workspace": "default"}
        if name in ("count", "each", "self"):
            raise EvalError(node, f"{name} is not available here")
        if any(d.type == name and d.mode == "managed" for d in self.defs.values()):
            return _Namespace(name, lambda nm, n: self._resource_ref(f"{name}.{nm}", n))
        raise EvalError(node, f"unknown name '{name}' (no such resource type declared)")

    def _var(self, key: str, node: Tree | None) -> Any:
        if key not in self.var_values:
            if key in self.var_defs:  # read while variables are being set (a default)
                raise EvalError(node, f"variables cannot refer to var.{key}")
            raise EvalError(node, f"reference to undeclared variable var.{key}")
        return self.var_values[key]

    def _local(self, key: str, node: Tree | None) -> Any:
        if key in self.local_values:
            return self.local_values[key]
        if key not in self.local_defs:
            raise EvalError(node, f"reference to undeclared local value local.{key}")
        if f"local.{key}" in self.busy:
            raise EvalError(node, f"local.{key} refers to itself")
        attr, file, _ = self.local_defs[key]
        self.busy.add(f"local.{key}")
        saved, scope = self.file, getattr(self, "scope", {})
        self.file, self.scope = file, {}
        try:
            self.local_values[key] = self.eval(attr.children[-1])
        finally:
            self.file, self.scope = saved, scope
            self.busy.discard(f"local.{key}")
        return self.local_values[key]

    def _get(self, obj: Any, key: Any, node: Tree) -> Any:
        if isinstance(obj, Unknown):
            return obj
        if isinstance(obj, _Namespace):
            return obj.attr(str(key), node)
        if isinstance(obj, _Res):
            return self._res_attr(obj, str(key), node)
        if isinstance(obj, dict):
            if isinstance(key, Unknown):
                return Unknown(key.refs + _refs(obj))
            if str(key) not in obj:
                raise EvalError(node, f"no key {key!r} here (keys: {', '.join(map(str, obj))})")
            return obj[str(key)]
        if isinstance(obj, (list, tuple)):
            if isinstance(key, Unknown):
                return Unknown(key.refs + _refs(obj))
            try:
                return obj[int(key)]
            except (ValueError, IndexError):
                raise EvalError(node, f"index {key!r} out of range (length {len(obj)})") \
                    from None
        raise EvalError(node, f"cannot read {key!r} of {_tostring(obj, node)!r}")

    def _e_get_attr_expr_term(self, node: Tree) -> Any:
        term, attr = _kids(node)
        return self._get(self.eval(term), _ident(_kids(attr)[0]), node)

    def _e_index_expr_term(self, node: Tree) -> Any:
        term, index = _kids(node)
        return self._get(self.eval(term), self._index(index), node)

    def _index(self, index: Tree) -> Any:
        if index.data == "short_index":
            return int(str(index.children[-1]))
        return self.eval(_kids(index)[0])

    def _splat(self, node: Tree) -> Any:
        term, splat = _kids(node)
        base = self.eval(term)
        if isinstance(base, Unknown):
            return base
        items = list(base.values()) if isinstance(base, dict) else (
            base if isinstance(base, list) else ([] if base is None else [base]))
        out = []
        for item in items:
            for acc in _kids(splat):
                item = self._get(item, _ident(_kids(acc)[0]) if acc.data == "get_attr"
                                 else self._index(acc), node)
            out.append(item)
        return out

    _e_attr_splat_expr_term = _splat
    _e_full_splat_expr_term = _splat

    def _e_conditional(self, node: Tree) -> Any:
        cond, yes, no = _kids(node)
        c = self.eval(cond)
        if isinstance(c, Unknown):
            return Unknown(c.refs + _refs(self.eval(yes), self.eval(no)))
        return self.eval(yes) if c else self.eval(no)

    def _e_unary_op(self, node: Tree) -> Any:
        op = str(node.children[0])
        v = self.eval(_kids(node)[0])
        if isinstance(v, Unknown):
            return v
        return -v if op == "-" else not v

    def _e_binary_op(self, node: Tree) -> Any:
        left_node, term = _kids(node)
        op_node, right_node = _kids(term)
        op = str(op_node.children[0])
        left = self.eval(left_node)
        if op in ("&&", "||") and not isinstance(left, Unknown):
            if (op == "&&" and not left) or (op == "||" and left):
                return left
        right = self.eval(right_node)
        if isinstance(left, Unknown) or isinstance(right, Unknown):
            return Unknown(_refs(left, right))
        try:
            return _BINARY[op](left, right)
        except (TypeError, ZeroDivisionError) as exc:
            raise EvalError(node, f"cannot compute {left!r} {op} {right!r}: {exc}") from None

    def _for(self, node: Tree, is_object: bool) -> Any:
        parts = _kids(node)
        intro, cond = parts[0], parts[-1] if parts[-1].data == "for_cond" else None
        names = [_ident(i) for i in _kids(intro) if i.data == "identifier"]
        coll = self.eval(_kids(intro)[-1])
        if isinstance(coll, Unknown):
            return coll
        exprs = [p for p in parts[1:] if p is not cond]
        pairs = coll.items() if isinstance(coll, dict) else enumerate(coll)
        out: Any = {} if is_object else []
        scope = getattr(self, "scope", {})
        for k, v in pairs:
            self.scope = {**scope, **({names[0]: k, names[1]: v} if len(names) == 2
                                      else {names[0]: v})}
            try:
                if cond is not None:
                    c = self.eval(_kids(cond)[0])
                    if isinstance(c, Unknown):
                        return Unknown(c.refs)
                    if not c:
                        continue
                if is_object:
                    key = self.eval(exprs[0])
                    if isinstance(key, Unknown):
                        return Unknown(key.refs)
                    out[_tostring(key, node)] = self.eval(exprs[1])
                else:
                    out.append(self.eval(exprs[0]))
            finally:
                self.scope = scope
        return out

    def _e_for_tuple_expr(self, node: Tree) -> Any:
        return self._for(node, False)

    def _e_for_object_expr(self, node: Tree) -> Any:
        return self._for(node, True)

    def _e_function_call(self, node: Tree) -> Any:
        ids = [c for c in _kids(node) if c.data == "identifier"]
        name = _ident(ids[-1])
        args_node = next((c for c in _kids(node) if c.data == "arguments"), None)
        arg_nodes = _kids(args_node) if args_node else []
        if name in ("try", "can"):
            for a in arg_nodes:
                try:
                    v = self.eval(a)
                    return True if name == "can" else v
                except EvalError:
                    continue
            if name == "can":
                return False
            raise EvalError(node, "try: no argument could be evaluated")
        args = [self.eval(a) for a in arg_nodes]
        if args_node is not None and any(isinstance(t, Token) and t.type == "ELLIPSIS"
                                         for t in args_node.children):
            args = args[:-1] + list(args[-1])  # f(list...) expands its last argument
        fn = _FUNCTIONS.get(name)
        if fn is None:
            self.notes.append(Diagnostic(self.file, node.meta.line, "", f"function "
                                         f"{name}() is not evaluated; its result is treated "
                                         "as known after apply", "warning"))
            return Unknown(_refs(*args))
        if _unknowns(*args) and name not in ("concat", "length", "merge", "flatten",
                                             "tolist", "toset", "compact", "distinct"):
            return Unknown(_refs(*args))
        try:
            return fn(*args)
        except (TypeError, ValueError, IndexError, KeyError) as exc:
            raise EvalError(node, f"{name}(): {exc}") from None


def _plain(value: Any) -> Any:
    """An attribute's value: resource objects that escape into it become Unknowns."""
    if isinstance(value, _Res):
        return Unknown((value.address,))
    if isinstance(value, _Namespace):
        return Unknown(())
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _unescape(text: str) -> str:
    return re.sub(r'\\(["\\nrt])', lambda m: {"n": "\n", "r": "\r", "t": "\t"}.get(
        m.group(1), m.group(1)), text)


def _tostring(v: Any, node: Tree | None) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, str)):
        return str(v)
    if v is None:
        return ""
    raise EvalError(node, f"cannot use {type(v).__name__} as a string")


def _cidrsubnet(prefix: str, newbits: int, netnum: int) -> str:
    net = ip_network(prefix, strict=False)
    size = 1 << int(newbits)
    if not 0 <= int(netnum) < size or net.prefixlen + int(newbits) > net.max_prefixlen:
        raise ValueError(f"netnum {netnum} does not fit in {newbits} more bits of {prefix}")
    step = net.num_addresses // size
    return str(ip_network((int(net.network_address) + int(netnum) * step,
                           net.prefixlen + int(newbits))))


def _cidrhost(prefix: str, hostnum: int) -> str:
    net = ip_network(prefix, strict=False)
    n = int(hostnum)
    return str(net.network_address + (n if n >= 0 else net.num_addresses + n))


def _cidrsubnets(prefix: str, *newbits: int) -> list[str]:
    net = ip_network(prefix, strict=False)
    out, cursor = [], int(net.network_address)
    for bits in newbits:
        size = net.num_addresses >> int(bits)
        cursor = (cursor + size - 1) // size * size
        out.append(str(ip_network((cursor, net.prefixlen + int(bits)))))
        cursor += size
    return out


def _flatten(v):
    out = []
    for x in v:
        out += _flatten(x) if isinstance(x, list) else [x]
    return out


def _format(fmt: str, *args) -> str:
    return re.sub(r"%[-+ #0-9.]*[sdvfq%]", lambda m, it=iter(args): "%" if m.group() == "%%"
                  else str(next(it)), fmt)


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "%": lambda a, b: a % b, "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b, "<": lambda a, b: a < b, ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b, "&&": lambda a, b: a and b,
    "||": lambda a, b: a or b}

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "cidrsubnet": _cidrsubnet, "cidrhost": _cidrhost, "cidrsubnets": _cidrsubnets,
    "cidrnetmask": lambda p: str(IPv4Network(p, strict=False).netmask),
    "concat": lambda *ls: [x for lst in ls for x in lst], "length": len,
    "element": lambda lst, i: lst[int(i) % len(lst)],
    "lookup": lambda m, k, *d: m[k] if k in m or not d else d[0],
    "merge": lambda *ms: {k: v for m in ms for k, v in (m or {}).items()},
    "tolist": list, "toset": lambda v: list(dict.fromkeys(v)), "tomap": dict,
    "tostring": lambda v: _tostring(v, None), "tonumber": lambda v: float(v)
    if "." in str(v) else int(v), "format": _format,
    "join": lambda sep, lst: sep.join(map(str, lst)), "split": lambda sep, s: s.split(sep),
    "coalesce": lambda *a: next(x for x in a if x not in (None, "")),
    "compact": lambda lst: [x for x in lst if x not in (None, "")], "flatten": _flatten,
    "keys": lambda m: sorted(m), "values": lambda m: [m[k] for k in sorted(m)],
    "range": lambda *a: list(range(*map(int, a))), "zipmap": lambda k, v: dict(zip(k, v)),
    "min": min, "max": max, "upper": str.upper, "lower": str.lower,
    "replace": lambda s, a, b: s.replace(a, b), "distinct": lambda lst: list(dict.fromkeys(lst)),
    "contains": lambda lst, v: v in lst, "abs": abs, "trimspace": str.strip,
    "jsonencode": json.dumps, "one": lambda lst: lst[0] if lst else None,
    "slice": lambda lst, a, b: lst[int(a):int(b)], "index": lambda lst, v: lst.index(v),
}
