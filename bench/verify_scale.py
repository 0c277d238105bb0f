"""Verifier benchmarks: all-pairs time and peak memory, incremental updates, growth, and the
concrete tracer over the same pairs.  Prints measured figures only.

    python bench/verify_scale.py                      # 1k..10k instances, 100k rules at 10k
    python bench/verify_scale.py --sizes 1000 --rules 10000 --updates 50

Each size runs in a fresh process (so peak memory is that size's own).  "All pairs" is: every
source's packets walked at once (forward and replies), then for every destination endpoint
class the exact set of (source, packet) that gets through, and the list of sources it holds.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen import estate  # noqa: E402


def measure(instances: int, rules: int, updates: int, trace_pairs: int, seed: int) -> dict:
    from cloudnet.analysis.endpoints import destination_address, source_address
    from cloudnet.analysis.packet import make_packet
    from cloudnet.analysis.reach import DEFAULT_SERVICES
    from cloudnet.analysis.trace import Tracer
    from cloudnet.analysis.verify.headers import BACKEND
    from cloudnet.analysis.verify.verifier import Verifier
    from cloudnet.loader import load_network

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "estate.yaml"
        path.write_text(yaml.safe_dump(estate(instances, 10, rules=rules), sort_keys=False,
                                       width=200))
        t0 = time.perf_counter()
        net, _ = load_network(path)
        load_s = time.perf_counter() - t0
    n_rules = sum(len(f.rules) for f in net.filters.values()
                  if not f.id.startswith("source-check:"))
    hosts = [n for n in net.nodes.values() if n.kind.value == "host"]

    t0 = time.perf_counter()
    v = Verifier(net)
    walk_s = time.perf_counter() - t0
    pairs = v.all_pairs()
    all_pairs_s = time.perf_counter() - t0
    class_pairs = sum(len(s) for _, s in pairs.values())
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # One pair's own set, out of the all-pairs answer.
    rnd = random.Random(seed)
    some = [(s, d) for d, (_, senders) in pairs.items() for s in senders]
    t0 = time.perf_counter()
    for s, d in rnd.sample(some, min(200, len(some))):
        v.pair(pairs, s, d)
    pair_ms = (time.perf_counter() - t0) / min(200, len(some)) * 1000

    # Single rule changes: remove a random security group or ACL rule, then put it back.
    editable = [(f.id, i) for f in net.filters.values() if f.id.startswith(("sg-", "nacl-"))
                for i in range(len(f.rules))]
    times = []
    for fid, i in rnd.sample(editable, min(updates, len(editable))):
        flt = net.filters[fid]
        rules = list(flt.rules)
        removed = rules.pop(i)
        times.append(v.update_filter(fid, replace(flt, rules=rules)).seconds)
        rules.insert(i, removed)
        times.append(v.update_filter(fid, replace(net.filters[fid], rules=rules)).seconds)
    times.sort()

    # The concrete tracer over the same pairs (sampled, then extrapolated): each host pair
    # and the internet, for the matrix's default services, reply included.
    tracer = Tracer(net)
    names = [h.id for h in hosts] + (["internet"] if "internet" in net.nodes else [])
    total_pairs = len(names) * (len(names) - 1)
    sample = [tuple(rnd.sample(names, 2)) for _ in range(trace_pairs)]
    t0 = time.perf_counter()
    for a, b in sample:
        for svc in DEFAULT_SERVICES:
            proto, _, port = svc.partition("/")
            p = {"tcp": 6, "udp": 17, "icmp": 1}[proto]
            pkt = make_packet(source_address(net, a), destination_address(net, b, a), p,
                              int(port) if port else None)
            tracer.trace(a, pkt)
    per_pair = (time.perf_counter() - t0) / len(sample)
    return {"instances": len(hosts), "rules": n_rules, "bdd": BACKEND, "load_s": load_s,
            "walk_s": walk_s, "all_pairs_s": all_pairs_s, "peak_mib": peak_mib,
            "classes": len(v.sym.classes), "class_pairs": class_pairs,
            "host_pairs": total_pairs, "pair_ms": pair_ms,
            "update_median_ms": statistics.median(times) * 1000 if times else None,
            "update_p95_ms": times[int(len(times) * 0.95)] * 1000 if times else None,
            "updates": len(times), "trace_sampled_pairs": len(sample),
            "trace_per_pair_s": per_pair, "trace_all_pairs_s": per_pair * total_pairs,
            "services": len(DEFAULT_SERVICES)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,2000,5000,10000")
    ap.add_argument("--rules", type=int, default=100_000, help="rules at the largest size "
                    "(smaller sizes get proportionally fewer)")
    ap.add_argument("--updates", type=int, default=100, help="rules removed and put back")
    ap.add_argument("--trace-pairs", type=int, default=300)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one size, as JSON
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.one is not None:
        rules = args.rules * args.one // max(sizes)
        print(json.dumps(measure(args.one, rules, args.updates, args.trace_pairs, args.seed)))
        return
    rows = []
    for n in sizes:
        r = subprocess.run([sys.executable, __file__, "--one", str(n), "--sizes", args.sizes,
                            "--rules", str(args.rules), "--updates", str(args.updates),
                            "--trace-pairs", str(args.trace_pairs), "--seed", str(args.seed)],
                           capture_output=True, text=True, check=True)
        rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
        m = rows[-1]
        print(f"{m['instances']:>6} instances, {m['rules']:>6} rules ({m['bdd']}): "
              f"load {m['load_s']:.1f} s; all pairs {m['all_pairs_s']:.1f} s "
              f"(walk {m['walk_s']:.1f} s, {m['classes']} endpoint classes, "
              f"{m['class_pairs']} class pairs covering {m['host_pairs']} endpoint pairs); "
              f"peak memory {m['peak_mib']:.0f} MiB; one pair's set {m['pair_ms']:.2f} ms",
              flush=True)
        print(f"        incremental, {m['updates']} single-rule changes: median "
              f"{m['update_median_ms']:.2f} ms, p95 {m['update_p95_ms']:.2f} ms", flush=True)
        print(f"        tracer: {m['trace_per_pair_s'] * 1000:.2f} ms per pair "
              f"({m['services']} services, replies included), measured on "
              f"{m['trace_sampled_pairs']} sampled pairs; extrapolated to all "
              f"{m['host_pairs']} pairs: {m['trace_all_pairs_s']:.0f} s "
              f"= {m['trace_all_pairs_s'] / m['all_pairs_s']:.0f}x the verifier's all-pairs "
              f"time (which covers every packet, not {m['services']} per pair)", flush=True)
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        print(f"growth {a['instances']} -> {b['instances']} instances "
              f"({b['instances'] / a['instances']:.0f}x): all pairs "
              f"{b['all_pairs_s'] / a['all_pairs_s']:.1f}x, peak memory "
              f"{b['peak_mib'] / a['peak_mib']:.1f}x, update median "
              f"{b['update_median_ms'] / a['update_median_ms']:.1f}x")


if __name__ == "__main__":
    main()
