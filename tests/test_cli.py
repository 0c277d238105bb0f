"""The command line as users run it: exit codes, messages, JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cloudnet.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_validate_ok():
    r = run("validate", str(EXAMPLES / "three-tier.yaml"))
    assert r.returncode == 0 and "ok:" in r.stdout


def test_validate_reports_every_problem_with_file_line_field(tmp_path):
    bad = tmp_path / "lab.yaml"
    bad.write_text("name: x\naws:\n  vpcs:\n    web:\n      cidr: 10.0.0.0/16\n"
                   "      subnets:\n        - {name: a, cidr: 10.0.1.0/24}\n"
                   "        - {name: b, cidr: 10.1.5.0/24}\n"
                   "        - {name: c, cidr: 10.0.1.7/24}\n")
    r = run("validate", str(bad))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert (f"{bad}:8: aws.vpcs.web.subnets[1].cidr: 10.1.5.0/24 is outside the VPC's CIDRs "
            "(10.0.0.0/16)") in lines
    assert any(line.startswith(f"{bad}:9: aws.vpcs.web.subnets[2].cidr:") and
               "not canonical" in line for line in lines)


def test_unknown_key_suggests_the_right_one(tmp_path):
    bad = tmp_path / "lab.yaml"
    bad.write_text("name: x\naws:\n  vpcs:\n    web:\n      cidr: 10.0.0.0/16\n"
                   "      instancs: []\n")
    r = run("validate", str(bad))
    assert r.returncode == 2
    assert (f"{bad}:6: aws.vpcs.web.instancs: unknown key 'instancs' (did you mean "
            "'instances'?)") in r.stderr.splitlines()


def test_malformed_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: x\naws: [\n")
    r = run("validate", str(bad))
    assert r.returncode == 2 and f"{bad}:3: malformed YAML" in r.stderr
    r = run("trace", str(tmp_path / "none.yaml"), "--from", "a", "--to", "b")
    assert r.returncode == 2 and "cannot read" in r.stderr and "Traceback" not in r.stderr


def test_file_that_is_not_utf8(tmp_path):
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"name: x\naws:\n  vpcs: {}\n# caf\xe9\n")
    r = run("validate", str(bad))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"{bad}:4: not UTF-8 text: byte 0xe9 at offset 29" in r.stderr


def test_bad_protocol_and_port_are_named():
    three = str(EXAMPLES / "three-tier.yaml")
    r = run("trace", three, "--from", "client", "--to", "web-1", "--proto", "foo")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "protocol 'foo' is not tcp, udp, icmp, any or a number 0-255" in r.stderr
    r = run("trace", three, "--from", "client", "--to", "web-1", "--src", "1.2.3")
    assert r.returncode == 2 and "--src: Expected 4 octets in '1.2.3'" in r.stderr
    r = run("trace", three, "--from", "client", "--to", "web-1", "--dport", "99999")
    assert r.returncode == 2 and "--dport" in r.stderr and "65535" in r.stderr


def test_trace_json():
    r = run("trace", str(EXAMPLES / "three-tier.yaml"), "--from", "client", "--to", "web-1",
            "--dport", "443", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["disposition"] == "ACCEPTED"
    assert [h["node"] for h in out["hops"]] == ["client", "internet", "aws-backbone",
                                                "shop-igw", "shop", "public-a", "web-1"]
    nat = [s for h in out["hops"] for s in h["steps"] if s["type"] == "nat"]
    assert nat[0]["after"]["dst"] == "10.0.1.10"
    sg = out["hops"][-1]["steps"][0]
    assert sg["type"] == "filter" and sg["source"][0]["line"] == 28
    assert out["return"]["disposition"] == "ACCEPTED"


def test_trace_human_names_rules_and_lines():
    r = run("trace", str(EXAMPLES / "three-tier.yaml"), "--from", "web-1", "--to", "db-1",
            "--dport", "5432")
    assert r.returncode == 0
    assert "DENIED_IN" in r.stdout and "network ACL db ingress rule 200" in r.stdout
    assert "three-tier.yaml:49" in r.stdout  # the line of ACL rule 200


def test_trace_bad_endpoint():
    r = run("trace", str(EXAMPLES / "three-tier.yaml"), "--from", "web1", "--to", "db-1")
    assert r.returncode == 2 and "did you mean 'web-1'" in r.stderr


def test_trace_snapshot_folder():
    snap = Path(__file__).resolve().parents[2] / "shared/testdata/batfish-aws/test-public-subnet"
    r = run("trace", str(snap), "--from", "internet", "--src", "8.8.8.8",
            "--to", "18.216.80.133", "--dport", "80", "--json")
    assert r.returncode == 0
    out = json.loads(r.stdout)
    assert out["disposition"] == "DENIED_IN" and out["hops"][-1]["node"] == "i-06669a407b2ef3ae5"


def test_reach_json():
    r = run("reach", str(EXAMPLES / "peering-triangle.yaml"), "--ports", "icmp,22", "--json")
    assert r.returncode == 0
    out = json.loads(r.stdout)
    cells = {(p["from"], p["to"]): p["verdicts"] for p in out["pairs"]}
    assert out["services"] == ["icmp", "tcp/22"]
    assert cells["a-host", "c-host"] == {"icmp": "NO_ROUTE", "tcp/22": "NO_ROUTE"}
    r = run("reach", str(EXAMPLES / "peering-triangle.yaml"), "--ports", "ssh")
    assert r.returncode == 2 and "bad service" in r.stderr
    r = run("reach", str(EXAMPLES / "peering-triangle.yaml"), "--ports", "70000")
    assert r.returncode == 2 and "bad service 'tcp/70000'" in r.stderr


def test_fault_needs_a_running_lab():
    r = run("fault", str(EXAMPLES / "hybrid-aws.yaml"), "--lab", "never-started", "--down",
            "dx-main")
    assert r.returncode == 2 and "is not up" in r.stderr and "Traceback" not in r.stderr
