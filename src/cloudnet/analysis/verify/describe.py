"""Packet sets in words: `tcp/22,443 from 10.0.1.0/24; icmp`, `all traffic`, `nothing`.

A set is cut into terms, each a product of a protocol list, destination ports, source ports,
source and destination addresses; terms are exact (a set that is not a product is split until
every part is), and long address lists are shortened with a count.
"""

from __future__ import annotations

from ipaddress import IPv4Network

from ...ir.model import PROTO_NAMES
from .headers import Headers

MAX_PREFIXES = 6
PRIVATE = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
MAX_TERMS = 12


def _ranges_text(ranges: list[tuple[int, int]]) -> str:
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges)


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo == out[-1][1] + 1:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


class Describer:
    def __init__(self, hs: Headers, cuts: list[int], names: list[tuple[object, str]] = ()):
        self.hs = hs
        self.cuts = cuts
        # (source address set, label), e.g. the internet's addresses; named for either field
        rename = {s: hs.bdd.var(d) for s, d in zip(hs.vars["src"], hs.vars["dst"])}
        self.names = {"src": list(names),
                      "dst": [(hs.bdd.let(rename, u), label) for u, label in names]}
        private = hs.any_of([hs.prefix("dst", IPv4Network(p)) for p in PRIVATE])
        self.names["dst"].append((~private, "the internet"))

    def text(self, u, src_all=None, dst_all=None) -> str:
        hs = self.hs
        u = hs.headers_only(u)
        if u == hs.false:
            return "nothing"
        src_all = hs.true if src_all is None else src_all
        dst_all = hs.true if dst_all is None else dst_all
        if u == hs.universe & src_all & dst_all:
            return "all traffic"
        terms = self.terms(u, src_all, dst_all)
        more = len(terms) - MAX_TERMS
        return "; ".join(terms[:MAX_TERMS]) + (f"; … ({more} more)" if more > 0 else "")

    def terms(self, u, src_all, dst_all) -> list[str]:
        hs = self.hs
        by_rest: dict = {}
        protos = hs.project(u, "proto")
        for a in hs.bdd.pick_iter(protos, care_vars=hs.vars["proto"]):
            bits = {v: a[v] for v in hs.vars["proto"]}
            n = sum(1 << (7 - i) for i, v in enumerate(hs.vars["proto"]) if a[v])
            rest = hs.bdd.let(bits, u)
            portless = hs.bdd.exist(hs.vars["dport"] + hs.vars["sport"], rest)
            if n not in (6, 17) or rest == portless:  # ports do not matter: merge protocols
                rest = portless
            by_rest.setdefault(rest, []).append(n)
        out = []
        for rest, plist in sorted(by_rest.items(), key=lambda kv: (len(kv[1]) < 256, kv[1])):
            label = self._protocols(plist)
            if set(plist) <= {6, 17} and rest != hs.bdd.exist(hs.vars["dport"] +
                                                               hs.vars["sport"], rest):
                for proj, ports in self._split_ports(rest, "dport"):
                    svc = label if ports == [(0, 65535)] else f"{label}/{_ranges_text(ports)}"
                    out += self._with_sources(svc, proj, src_all, dst_all)
            else:
                out += self._with_sources(label, hs.bdd.exist(
                    hs.vars["dport"] + hs.vars["sport"], rest), src_all, dst_all)
        return out

    @staticmethod
    def _protocols(plist: list[int]) -> str:
        if len(plist) == 256:
            return "all traffic"
        if len(plist) > 6:
            missing = sorted(set(range(256)) - set(plist))
            if len(missing) <= 3:
                return "all but " + "+".join(PROTO_NAMES.get(p, f"proto {p}") for p in missing)
            return f"{len(plist)} protocols"
        return "+".join(PROTO_NAMES.get(p, "any" if p == 0 else f"proto {p}") for p in plist)

    def _split_ports(self, u, field: str) -> list[tuple[object, list[tuple[int, int]]]]:
        """Group the port intervals by what the rest of the set is for them."""
        hs = self.hs
        groups: dict = {}
        stack = [(lo, hi - 1) for lo, hi in zip(self.cuts, self.cuts[1:])]
        while stack:
            lo, hi = stack.pop()
            rng = hs.port_range(field, lo, hi)
            part = u & rng
            if part == hs.false:
                continue
            proj = hs.bdd.exist(hs.vars[field], part)
            if lo < hi and proj & rng != part:  # not uniform inside: cut it in two
                mid = (lo + hi) // 2
                stack += [(lo, mid), (mid + 1, hi)]
                continue
            groups.setdefault(proj, []).append((lo, hi))
        return [(proj, _merge(r)) for proj, r in groups.items()]

    def _with_sources(self, svc: str, u, src_all, dst_all) -> list[str]:
        out = []
        for proj, sports in (self._split_ports(u, "sport") if "/" in svc or svc in ("tcp", "udp")
                             else [(u, [(0, 65535)])]):
            qual = "" if sports == [(0, 65535)] else f" from port {_ranges_text(sports)}"
            for src, dst in self._addresses(proj):
                out.append(svc + qual + self._place("from", src, src_all, "src") +
                           self._place("to", dst, dst_all, "dst"))
        return out

    def _addresses(self, u) -> list[tuple[object, object]]:
        """(source set, destination set) products whose union is `u` (over addresses only)."""
        hs = self.hs
        src, dst = hs.project(u, "src"), hs.project(u, "dst")
        if src & dst == u:
            return [(src, dst)]
        out = []
        for net in self.prefixes(dst, "dst", limit=256):
            part = u & hs.prefix("dst", net)
            out += [(s, d) for s, d in self._addresses_within(part, net)]
        return out

    def _addresses_within(self, u, net: IPv4Network):
        hs = self.hs
        src = hs.project(u, "src")
        if src & hs.prefix("dst", net) == u or net.prefixlen == 32:
            return [(src, hs.prefix("dst", net))]
        out = []
        for half in net.subnets(1):
            part = u & hs.prefix("dst", half)
            if part != hs.false:
                out += self._addresses_within(part, half)
        return out

    def _place(self, word: str, u, everything, field: str) -> str:
        hs = self.hs
        if u == hs.project(everything & hs.universe, field) or u == hs.true:
            return ""
        for named, label in self.names[field]:
            if u == named:
                return f" {word} {label}"
            if u & ~named == hs.false:
                left = self.prefixes(named & ~u, field, limit=MAX_PREFIXES + 1)
                if len(left) <= MAX_PREFIXES:
                    return f" {word} {label} except {','.join(str(n) for n in left)}"
        return f" {word} {self._prefix_text(u, field)}"

    def _cover(self, u, field: str) -> IPv4Network:
        """The smallest prefix holding the whole set."""
        hs = self.hs
        names = hs.vars[field]
        value, depth = 0, 0
        while depth < 32:
            lo, hi = (hs.bdd.let({names[depth]: b}, u) for b in (False, True))
            if lo != hs.false and hi != hs.false:
                break
            u, value, depth = (hi, value << 1 | 1, depth + 1) if lo == hs.false else \
                (lo, value << 1, depth + 1)
        return IPv4Network((value << (32 - depth), depth))

    def _prefix_text(self, u, field: str) -> str:
        nets = self.prefixes(u, field, limit=MAX_PREFIXES + 1)
        if len(nets) > MAX_PREFIXES:  # perhaps a block with a few holes
            cover = self._cover(u, field)
            holes = self.prefixes(self.hs.prefix(field, cover) & ~u, field, MAX_PREFIXES + 1)
            if len(holes) <= MAX_PREFIXES:
                return f"{cover} except {','.join(str(n) for n in holes)}"
        text = ",".join(str(n) for n in nets[:MAX_PREFIXES])
        if len(nets) > MAX_PREFIXES:
            text += f",… ({int(self.hs.bdd.count(u, nvars=32))} addresses)"
        return text

    def prefixes(self, u, field: str, limit: int) -> list[IPv4Network]:
        """The aligned blocks of an address set (over one field), largest first, in order."""
        hs = self.hs
        names = hs.vars[field]
        out: list[IPv4Network] = []

        def walk(v, depth: int, value: int) -> None:
            if len(out) >= limit or v == hs.false:
                return
            if v == hs.true:
                out.append(IPv4Network((value << (32 - depth), depth)))
                return
            for bit in (False, True):
                walk(hs.bdd.let({names[depth]: bit}, v), depth + 1, value << 1 | bit)

        walk(u, 0, 0)
        return out
