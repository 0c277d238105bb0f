"""Reconcile the kernel with a lab's plan: create what is missing, remove what is extra, fix what
differs; or only report the differences (status).  Re-running `up` is always safe: after a
crash, a kill -9 or a change made behind cloudnet's back it converges to the plan.
"""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from socket import AF_INET

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from . import names, processes
from .kernel import Nft, inside, ip_batch, namespaces, write_sysctl
from .nftgen import TABLE
from .plan import RULE_BASE, TABLE_BASE, TABLE_LIMIT, KRoute, KRule, LabPlan, NsPlan

CHUNK = 25  # namespaces a worker takes at a time
WORKERS = 4 * (os.cpu_count() or 2)
DIGESTS = "applied.json"  # namespace -> digest of the state last applied there
RTN_KINDS = {1: "unicast", 6: "blackhole", 7: "unreachable", 9: "throw"}
RTPROT_BIRD = 12
COMMENT = re.compile(r'comment "([^"]*)"')
SYSCTLS_ROUTER = {"net.ipv4.ip_forward": "1"}
SYSCTLS_ALL = {
    "net.ipv4.conf.all.rp_filter": "0",
    "net.ipv4.conf.default.rp_filter": "0",
    # Paths through gateways are symmetric, but be liberal like Neutron routers do.
    "net.netfilter.nf_conntrack_tcp_be_liberal": "1",
}


@dataclass
class NsReport:
    ns: str
    drift: list[str] = field(default_factory=list)
    routes: int = 0
    rules: int = 0
    nft_rules: int = 0
    nft_applied: bool = False
    pending: bool = False  # something waited on another namespace: reconcile once more


@dataclass
class Report:
    namespaces: list[NsReport]
    created_ns: int = 0
    removed_ns: int = 0
    veths: int = 0
    seconds: float = 0.0
    changed: int = 0  # namespaces whose desired state changed since the last up
    changed_seconds: float = 0.0  # when those were done (the live change is enforced)

    @property
    def drift(self) -> list[str]:
        return [f"{r.ns}: {d}" for r in self.namespaces for d in r.drift]


def state_dir(lab: str) -> Path:
    return Path(names.STATE_DIR) / lab


class Controller:
    def __init__(self, plan: LabPlan, progress=None):
        self.plan = plan
        self.prefix = names.lab_prefix(plan.lab)
        self.progress = progress or (lambda stage, done, total: None)

    # ---- whole lab ---------------------------------------------------------------------

    def up(self) -> Report:
        t0 = time.perf_counter()
        existing = set(namespaces(self.prefix))
        desired = set(self.plan.namespaces)
        stale, missing = sorted(existing - desired), sorted(desired - existing)
        state_dir(self.plan.lab).mkdir(parents=True, exist_ok=True)
        self.progress("namespaces", 0, 1)
        ip_batch([f"netns del {n}" for n in stale] + [f"netns add {n}" for n in missing])
        self.progress("namespaces", 1, 1)
        # What changed since the last `up` goes first, so a live change is enforced within
        # milliseconds; then every other namespace is checked and repaired if it drifted.
        digests = {name: sp.digest() for name, sp in self.plan.namespaces.items()}
        before = self._saved_digests()
        changed = {n for n, d in digests.items() if before.get(n) != d} | set(missing)
        # Only the ruleset changed (a security-group or ACL edit): one nftables transaction,
        # nothing read back first; the check of every namespace below verifies it.
        rules_only = {n for n in changed - set(missing)
                      if before.get(n, ":").split(":")[0] == digests[n].split(":")[0]}
        new = set(missing)
        first = [v for v in self.plan.veths if v.ns_a in new or v.ns_b in new]
        self._veths(first)
        reports = {r.ns: r for r in self._each(apply=True, only=rules_only, nft_only=True)}
        self._start(changed - rules_only)
        reports |= {r.ns: r for r in self._each(apply=True, only=changed - rules_only,
                                                fresh=frozenset(missing))}
        self._finish(changed - rules_only)
        self._save_digests({n: d for n, d in digests.items() if n in changed} | {
            n: d for n, d in before.items() if n in digests and n not in changed})
        changed_seconds = time.perf_counter() - t0
        done = set(first)
        self._veths([v for v in self.plan.veths if v not in done])
        rest = (set(digests) - changed) | rules_only
        self._start(rest)
        for r in self._each(apply=True, only=rest):
            if r.ns in reports:  # checked again after its fast change: keep what was done
                r.nft_applied |= reports[r.ns].nft_applied
            reports[r.ns] = r
        self._finish(rest)
        self._save_digests(digests)
        return Report(list(reports.values()), len(missing), len(stale), len(self.plan.veths),
                      time.perf_counter() - t0, len(changed), changed_seconds)

    def _start(self, spaces: set[str]) -> None:
        """wireguard-go creates each tunnel device: it must run before addresses go on."""
        for name in sorted(spaces):
            sp = self.plan.namespaces[name]
            if sp.tunnels:
                with inside(name):
                    with IPRoute() as ipr:
                        existing = set(_links(ipr))
                processes.start_tunnels(sp, existing)

    def _finish(self, spaces: set[str]) -> None:
        """Tunnel keys and peers, circuit shaping, and BGP: after devices and addresses."""
        state = state_dir(self.plan.lab)
        for name in sorted(spaces):
            sp = self.plan.namespaces[name]
            processes.configure_tunnels(sp, state)
            for dev, mbit in sorted(sp.shaping.items()):
                subprocess.run(["ip", "netns", "exec", name, "tc", "qdisc", "replace", "dev",
                                dev, "root", "tbf", "rate", f"{mbit}mbit", "burst",
                                f"{max(32, mbit)}kb", "latency", "50ms"], capture_output=True)
            if sp.bird:
                processes.ensure_bird(sp, state)

    def _veths(self, veths) -> None:
        """Both ends of each pair are created in their namespaces at once; pairs that exist
        fail harmlessly ("File exists") and each namespace's reconcile checks its devices."""
        self.progress("links", 0, 1)
        ip_batch([f"link add {v.dev_a} netns {v.ns_a} type veth peer name {v.dev_b} "
                  f"netns {v.ns_b}" for v in veths], force=True)
        self.progress("links", 1, 1)

    def _saved_digests(self) -> dict[str, str]:
        try:
            return json.loads((state_dir(self.plan.lab) / DIGESTS).read_text())
        except (OSError, ValueError):
            return {}

    def _save_digests(self, digests: dict[str, str]) -> None:
        path = state_dir(self.plan.lab) / DIGESTS
        path.with_suffix(".tmp").write_text(json.dumps(digests))
        path.with_suffix(".tmp").replace(path)

    def status(self) -> Report:
        existing = set(namespaces(self.prefix))
        missing = [n for n in self.plan.namespaces if n not in existing]
        extra = sorted(existing - set(self.plan.namespaces))
        reports = self._each(apply=False, only=existing)
        reports += [NsReport(n, ["namespace missing"]) for n in missing]
        reports += [NsReport(n, ["namespace not in the topology"]) for n in extra]
        return Report(reports)

    def _each(self, apply: bool, only: set[str] | None = None,
              fresh: frozenset[str] = frozenset(), nft_only: bool = False) -> list[NsReport]:
        """Reconcile (or only read) the namespaces in `only`; `fresh` ones were just created,
        so there is nothing to read back."""
        spaces = [s for s in self.plan.namespaces.values() if only is None or s.name in only]
        if not spaces:
            return []
        out = self._reconcile_all(spaces, apply, fresh, nft_only)
        again = [s for s in spaces if s.name in {r.ns for r in out if r.pending}]
        if again:
            redo = {r.ns: r for r in self._reconcile_all(again, apply, frozenset(), False)}
            out = [redo.get(r.ns, r) for r in out]
        return out

    def _reconcile_all(self, spaces, apply: bool, fresh: frozenset[str],
                       nft_only: bool) -> list[NsReport]:
        stage = "configure" if apply else "read"
        chunks = [spaces[i:i + CHUNK] for i in range(0, len(spaces), CHUNK)]
        out: list[NsReport] = []
        if len(chunks) == 1:  # a few namespaces (a live change): threads, no process start
            with ThreadPoolExecutor(WORKERS) as pool:
                out = list(pool.map(lambda s: reconcile(s, apply, s.name in fresh, nft_only),
                                    spaces))
        else:
            # Forked workers, each entering namespaces on its own: Python work spreads over
            # the cores, and each nftables commit's wait in the kernel (an RCU grace period,
            # ~10 ms) overlaps with the others'.
            with ProcessPoolExecutor(WORKERS,
                                     mp_context=multiprocessing.get_context("fork")) as pool:
                for reports in pool.map(_chunk, [(c, apply, fresh, nft_only) for c in chunks]):
                    out += reports
                    self.progress(stage, len(out), len(spaces))
        self.progress(stage, len(out), len(spaces))
        return out


def lab_secret(lab: str) -> bytes:
    """Seeds the lab's tunnel keys: random once, then kept (keys stay stable across ups)."""
    path = state_dir(lab) / "secret"
    try:
        return path.read_bytes()
    except OSError:
        secret = os.urandom(32)
        if os.geteuid() == 0:
            state_dir(lab).mkdir(parents=True, exist_ok=True)
            path.write_bytes(secret)
            path.chmod(0o600)
        return secret


def faults(lab: str) -> set[str]:
    """Nodes and links `cloudnet fault` holds down in the running lab."""
    try:
        return set(json.loads((state_dir(lab) / "faults.json").read_text()))
    except (OSError, ValueError):
        return set()


def save_faults(lab: str, down: set[str]) -> None:
    state_dir(lab).mkdir(parents=True, exist_ok=True)
    (state_dir(lab) / "faults.json").write_text(json.dumps(sorted(down)))


def running_labs() -> list[str]:
    root = Path(names.STATE_DIR)
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def down(lab: str) -> int:
    """Stop the lab's processes, remove every namespace of the lab (their devices and
    conntrack go with them)."""
    processes.stop_all(lab)
    found = namespaces(names.lab_prefix(lab))
    ip_batch([f"netns del {n}" for n in found], force=True)
    shutil.rmtree(state_dir(lab), ignore_errors=True)
    return len(found)


# ---- one namespace ---------------------------------------------------------------------

def _chunk(args) -> list[NsReport]:
    spaces, apply, fresh, nft_only = args
    return [reconcile(s, apply, s.name in fresh, nft_only) for s in spaces]


def reconcile(sp: NsPlan, apply: bool, fresh: bool = False, nft_only: bool = False) -> NsReport:
    report = NsReport(sp.name)
    if nft_only:
        with inside(sp.name):
            Nft().run(f"table inet {TABLE}\ndelete table inet {TABLE}\n{sp.nft}")
        report.nft_applied = True
        return report
    with inside(sp.name):
        ipr = IPRoute()
        try:
            _reconcile(ipr, sp, apply, report, fresh)
            if apply:
                for key, value in {**SYSCTLS_ALL, **(SYSCTLS_ROUTER if sp.forward else
                                                     {"net.ipv4.ip_forward": "0"})}.items():
                    write_sysctl(key, value)
            _nft(sp, apply, report, fresh)
        finally:
            ipr.close()
    if fresh:
        report.drift.clear()  # building a new namespace is not drift
    return report


def _links(ipr) -> dict[str, dict]:
    out = {}
    for link in ipr.get_links():
        info = link.get_attr("IFLA_LINKINFO")
        out[link.get_attr("IFLA_IFNAME")] = {
            "index": link["index"], "master": link.get_attr("IFLA_MASTER"),
            "kind": info.get_attr("IFLA_INFO_KIND") if info else None,
            "up": bool(link["flags"] & 1)}
    return out


def _reconcile(ipr, sp: NsPlan, apply: bool, report: NsReport, fresh: bool) -> None:
    drift = report.drift
    links = _links(ipr)
    wanted = sp.devs | {"lo"}
    for dev in sorted(set(links) - wanted):
        drift.append(f"device {dev} not in the topology")
        if apply:
            ipr.link("del", index=links[dev]["index"])
    for br in sp.bridges:
        if br not in links:
            drift.append(f"bridge {br} missing")
            if apply:
                ipr.link("add", ifname=br, kind="bridge")
    for dev in wanted - set(sp.bridges) - {"lo"}:
        if dev not in links:
            drift.append(f"device {dev} missing")
    if apply:
        links = _links(ipr)
    for port, br in sp.ports.items():
        if port in links and br in links and links[port]["master"] != links[br]["index"]:
            drift.append(f"device {port} not attached to bridge {br}")
            if apply:
                ipr.link("set", index=links[port]["index"], master=links[br]["index"])
    for dev in wanted:
        held = dev in sp.down_devs  # a fault holds it down
        if dev in links and links[dev]["up"] == held:
            if dev != "lo":
                drift.append(f"device {dev} is {'up' if held else 'down'}")
            if apply:
                ipr.link("set", index=links[dev]["index"], state="down" if held else "up")
    index = {name: l["index"] for name, l in links.items()}
    name_of = {i: n for n, i in index.items()}

    have_addr = {}
    for a in [] if fresh else ipr.get_addr(family=AF_INET):
        dev = name_of.get(a["index"])
        if dev and dev != "lo":
            have_addr[(dev, f"{a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}")] = a
    want_addr = {(dev, cidr) for dev, cidrs in sp.addresses.items() for cidr in cidrs}
    for dev, cidr in sorted(set(have_addr) - want_addr):
        drift.append(f"address {cidr} on {dev} not in the topology")
        if apply:
            ipr.addr("del", index=index[dev], address=cidr.split("/")[0],
                     prefixlen=int(cidr.split("/")[1]))
    for dev, cidr in sorted(want_addr - set(have_addr)):
        if dev not in index:
            continue
        drift.append(f"address {cidr} on {dev} missing")
        if apply:
            ip, plen = cidr.split("/")
            ipr.addr("add", index=index[dev], address=ip, prefixlen=int(plen))

    have_routes = {}
    for r in [] if fresh else ipr.get_routes(family=AF_INET, table=None):
        table = r.get_attr("RTA_TABLE")
        if table is None or not TABLE_BASE <= table < TABLE_LIMIT or r["proto"] == RTPROT_BIRD:
            continue  # not ours: BIRD owns the routes it installs
        dst = f"{r.get_attr('RTA_DST') or '0.0.0.0'}/{r['dst_len']}"
        kind = RTN_KINDS.get(r["type"], str(r["type"]))
        key = KRoute(table, dst, kind, name_of.get(r.get_attr("RTA_OIF")),
                     r.get_attr("RTA_GATEWAY"), r.get_attr("RTA_PRIORITY") or 0,
                     r.get_attr("RTA_PREFSRC"))
        have_routes[key] = r
    want_routes = {KRoute(k.table, k.dst, k.kind, k.dev, k.via, k.metric, k.src): k
                   for k in sp.routes}
    for key in set(have_routes) - set(want_routes):
        drift.append(f"route {key.dst} in table {key.table} not in the topology")
        if apply:  # name it exactly: another route may share the prefix
            match = dict(table=key.table, dst=key.dst, type=key.kind, priority=key.metric)
            if key.dev in index:
                match["oif"] = index[key.dev]
            ipr.route("del", **match)
    for key, k in want_routes.items():
        if key in have_routes:
            continue
        if key.dev is not None and key.dev not in index:
            continue
        drift.append(f"route {key.dst} in table {key.table} ({k.what}) missing")
        if apply:
            args = dict(table=key.table, dst=key.dst, type=key.kind, priority=key.metric)
            if key.dev:
                args["oif"] = index[key.dev]
            if key.via:
                args.update(gateway=key.via, flags=4)  # RTNH_F_ONLINK
            if key.src:
                args["prefsrc"] = key.src
            try:
                ipr.route("replace", **args)
            except NetlinkError as exc:
                if exc.code != errno.ENETDOWN:
                    raise
                # Its link's other end is not up yet (another namespace, same pass).
                report.pending = True
    report.routes = len(want_routes)

    have_rules = {}
    for r in [] if fresh else ipr.get_rules(family=AF_INET):
        prio = r.get_attr("FRA_PRIORITY")
        if prio is None or not RULE_BASE - 2 <= prio < 32766:
            continue
        table = None if r["action"] != 1 else r.get_attr("FRA_TABLE")
        dst = f"{r.get_attr('FRA_DST')}/{r['dst_len']}" if r["dst_len"] else None
        have_rules[KRule(prio, r.get_attr("FRA_IIFNAME"), table, dst)] = r
    want_rules = set(sp.rules)
    for rule in sorted(set(have_rules) - want_rules, key=lambda k: k.priority):
        drift.append(f"policy rule {rule.priority} not in the topology")
        if apply:
            ipr.rule("del", priority=rule.priority)
    for rule in sorted(want_rules - set(have_rules), key=lambda k: k.priority):
        drift.append(f"policy rule {rule.priority} (iif {rule.iif}) missing")
        if apply:
            match = {"iifname": rule.iif} if rule.iif else {}
            if rule.dst:
                ip, plen = rule.dst.split("/")
                match.update(dst=ip, dst_len=int(plen))
            if rule.table is None:
                ipr.rule("add", priority=rule.priority, action="FR_ACT_UNREACHABLE", **match)
            else:
                ipr.rule("add", priority=rule.priority, table=rule.table, **match)
    report.rules = len(want_rules)


def _nft(sp: NsPlan, apply: bool, report: NsReport, fresh: bool) -> None:
    nft = Nft()
    want = COMMENT.findall(sp.nft)
    have = None if fresh else nft.comments(TABLE)
    report.nft_rules = len(want)
    if have is not None and sorted(have) == sorted(want):
        return
    if have is None:
        report.drift.append("nftables table missing")
    else:
        gone, extra = len(set(want) - set(have)), len(set(have) - set(want))
        report.drift.append(f"nftables rules differ ({gone} missing or changed, {extra} "
                            "unknown)")
    if apply:
        # One transaction: drop the old table, load the new one. Conntrack entries live
        # outside the ruleset, so established connections survive the swap.
        nft.run(sp.nft if have is None else f"table inet {TABLE}\ndelete table inet {TABLE}\n"
                                            f"{sp.nft}")
        report.nft_applied = True
