"""verify, query, diff and check as users run them: output, JSON, SARIF and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
THREE = EXAMPLES / "three-tier.yaml"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cloudnet.cli", *args], capture_output=True,
                          text=True, timeout=300)


# ---- verify -----------------------------------------------------------------------------

def test_verify_json_pairs_and_exposure():
    r = run("verify", str(THREE), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    pairs = {(p["from"], p["to"]): p for p in out["pairs"]}
    assert pairs["app-1", "db-1"]["gets_through"] == "tcp/5432 from port 1024-65535"
    assert pairs["app-1", "db-1"]["delivered_reply_fails"] == "tcp/5432 from port 0-1023"
    assert pairs["web-1", "app-1"]["gets_through"] == "tcp/8080"
    assert pairs["db-1", "internet"]["gets_through"] == "nothing"
    assert pairs["internet", "client"]["gets_through"] == "all traffic"
    (web,) = out["exposure"]
    assert web["endpoint"] == "web-1" and web["reachable"].startswith("tcp/443 to 203.0.113.10")
    assert "tcp/22 from 198.51.100.0/24 except 198.51.100.7/32" in web["reachable"]
    assert web["path"] == ["internet", "aws-backbone", "shop-igw", "shop", "public-a", "web-1"]
    assert any("ICMP types" in n for n in out["not_modelled"]) and out["bdd"] == "cudd"


def test_verify_text():
    r = run("verify", str(EXAMPLES / "hub-and-spoke.yaml"))
    assert r.returncode == 0, r.stderr
    assert "prod-app -> dns-1: icmp; tcp/22" in r.stdout
    assert "prod-app -> dev-app: nothing" in r.stdout
    assert "suspect -> dns-1: nothing" in r.stdout
    assert "Exposure to the internet" in r.stdout and "Not modelled" in r.stdout


def test_verify_bad_file_is_exit_2():
    r = run("verify", "/nonexistent.yaml")
    assert r.returncode == 2 and "cannot read" in r.stderr and "Traceback" not in r.stderr


# ---- query ------------------------------------------------------------------------------

def test_query_what_gets_through_with_example_trace():
    r = run("query", str(THREE), "--from", "app-1", "--to", "db-1")
    assert r.returncode == 0, r.stderr
    assert "From app-1 to db-1 (replies included): tcp/5432 from port 1024-65535" in r.stdout
    assert "Forward: tcp 10.0.2.10:49152 -> 10.0.3.10:5432" in r.stdout
    assert "=> ACCEPTED" in r.stdout and "Return:" in r.stdout


def test_query_blocked_path_names_every_setting():
    r = run("query", str(THREE), "--from", "web-1", "--to", "db-1", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["gets_through"] == "nothing"
    b = out["blocked"]
    assert b["flow"]["dst_port"] == 5432  # a service the database accepts
    assert b["would_be_path"] == ["web-1", "public-a", "shop", "db-a", "db-1"]
    changes = [(c["direction"], c["node"]) for c in b["changes"]]
    assert changes == [("forward", "db-a"), ("forward", "db-1"), ("return", "db-a")]
    assert b["changes"][0]["source"]["line"] == 49  # ACL db ingress rule 200
    assert "ingress rule 200" in b["changes"][0]["change"]
    assert "egress rule *" in b["changes"][2]["change"]


def test_query_with_service_and_groups():
    r = run("query", str(THREE), "--from", "internet", "--to", "subnet:public-a",
            "--proto", "tcp", "--dport", "22")
    assert r.returncode == 0, r.stderr
    assert "tcp/22 from 198.51.100.0/24 except 198.51.100.7/32" in r.stdout


def test_query_bad_input_is_exit_2():
    r = run("query", str(THREE), "--from", "web1", "--to", "db-1")
    assert r.returncode == 2 and "did you mean 'web-1'" in r.stderr
    assert "Traceback" not in r.stderr
    r = run("query", str(THREE), "--from", "web-1", "--to", "subnet:nope")
    assert r.returncode == 2 and "no subnet named 'nope'" in r.stderr
    r = run("query", str(THREE), "--from", "web-1", "--to", "db-1", "--proto", "icmp",
            "--dport", "22")
    assert r.returncode == 2 and "--dport" in r.stderr


# ---- diff -------------------------------------------------------------------------------

def test_diff_names_the_change_responsible(tmp_path):
    new = tmp_path / "new.yaml"
    new.write_text(THREE.read_text().replace(
        "            - {protocol: tcp, ports: 22, cidr: 198.51.100.0/24, description: SSH from "
        "the office}",
        "            - {protocol: tcp, ports: 22, cidr: 198.51.100.0/24, description: SSH from "
        "the office}\n            - {protocol: tcp, ports: 8443, cidr: 0.0.0.0/0}"))
    r = run("diff", str(THREE), str(new), "--json")
    assert r.returncode == 0, r.stderr
    changes = json.loads(r.stdout)["changes"]
    assert changes, r.stdout
    gained = [c for c in changes if c["change"] == "now gets through"]
    assert gained and all("security group web ingress rule 3" in c["because"] for c in gained)
    assert all(c["source"].startswith(f"{new}:30") for c in gained)
    flows = {(f["from"], f["to"]): f["packets"] for c in gained for f in c["flows"]}
    assert flows["client", "web-1"] == "tcp/8443 to 203.0.113.10/32"
    assert not [c for c in changes if c["change"] != "now gets through"]
    r = run("diff", str(THREE), str(THREE))
    assert r.returncode == 0 and "no flow changes fate" in r.stdout


# ---- check ------------------------------------------------------------------------------

def test_check_all_hold_exit_0():
    for name in ("three-tier.yaml", "hub-and-spoke.yaml"):
        r = run("check", "--intents", str(EXAMPLES / "intents" / name))
        assert r.returncode == 0, r.stdout + r.stderr
        assert "FAIL" not in r.stdout and " 0 fail" in r.stdout


def test_check_failures_exit_1_with_counterexamples():
    r = run("check", "--intents", str(EXAMPLES / "intents" / "three-tier-broken.yaml"))
    assert r.returncode == 1, r.stderr
    assert r.stdout.count("FAIL") == 3 and "3 intents: 0 hold, 3 fail" in r.stdout
    assert "counterexample: tcp 10.0.1.10:49152 -> 10.0.3.10:5432 from web-1" in r.stdout
    assert "path: web-1 > public-a > shop > db-a (DENIED_IN)" in r.stdout
    assert "network ACL db ingress rule 200" in r.stdout
    assert "gets through but should not: tcp/22 from 198.51.100.0/24" in r.stdout


def test_check_json_and_sarif():
    broken = EXAMPLES / "intents" / "three-tier-broken.yaml"
    r = run("check", "--intents", str(broken), "--format", "json")
    assert r.returncode == 1
    out = json.loads(r.stdout)
    first = out["intents"][0]
    assert not first["ok"] and first["line"] == 6
    assert first["counterexample"]["blocked"]["changes"][0]["node"] == "db-a"
    r = run("check", "--intents", str(broken), "--format", "sarif")
    assert r.returncode == 1
    sarif = json.loads(r.stdout)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert len(results) == 3
    loc = results[0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith("three-tier-broken.yaml")
    assert loc["region"]["startLine"] == 6
    related = results[0]["relatedLocations"]
    assert any(x["physicalLocation"]["region"]["startLine"] == 49 for x in related)


def test_check_topology_on_the_command_line(tmp_path):
    intents = tmp_path / "i.yaml"
    intents.write_text("intents:\n  - {name: isolated, from: suspect, to: any, only: []}\n")
    r = run("check", str(EXAMPLES / "hub-and-spoke.yaml"), "--intents", str(intents))
    assert r.returncode == 0, r.stdout + r.stderr
    r = run("check", "--intents", str(intents))
    assert r.returncode == 2 and "topology: name the topology" in r.stderr


def test_check_bad_intents_exit_2_with_file_line_field(tmp_path):
    intents = tmp_path / "i.yaml"
    intents.write_text(f"topology: {THREE}\n"
                       "intents:\n"
                       "  - name: a\n"
                       "    from: web1\n"
                       "    to: subnet:db-a\n"
                       "    can: [tcp/99999]\n"
                       "  - name: b\n"
                       "    form: internet\n"
                       "    to: any\n"
                       "    only: []\n")
    r = run("check", "--intents", str(intents))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"{intents}:8: intents[1].form: unknown key 'form'" in r.stderr
    r = run("check", "--intents", str(intents).replace("i.yaml", "none.yaml"))
    assert r.returncode == 2 and "cannot read" in r.stderr
    intents.write_text(f"topology: {THREE}\nintents:\n  - name: a\n    from: web1\n"
                       "    to: subnet:db-a\n    can: [tcp/99999, smtp]\n")
    r = run("check", "--intents", str(intents))
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert any(line.startswith(f"{intents}:4: intents[0].from:") and "did you mean 'web-1'"
               in line for line in lines)
    assert any(line.startswith(f"{intents}:6: intents[0].can[0]:") and "0-65535" in line
               for line in lines)
    assert any("intents[0].can[1]" in line and "unknown service 'smtp'" in line
               for line in lines)
    intents.write_text(f"topology: {THREE}\nintents:\n  - {{name: a, from: web-1, to: db-1}}\n")
    r = run("check", "--intents", str(intents))
    assert r.returncode == 2 and "needs `can`" in r.stderr
