#!/usr/bin/env bash
# The main job on the flagship (examples/multicloud.yaml: a data centre joined to AWS over
# Direct Connect with a backup VPN, to Azure over ExpressRoute, to GCP over HA VPN, and the
# internet): validate and explain it, print its matrix, then run it on this kernel with real
# BGP (BIRD) and encrypted tunnels (WireGuard), probe it against the model, fail the circuit,
# probe again, and tear it all down.
set -euo pipefail
cd "$(dirname "$0")/.."
CN=.venv/bin/cloudnet
TOPO=examples/multicloud.yaml
export COLUMNS=${COLUMNS:-120}
step() { echo; echo "== $*"; }
step "cloudnet validate $TOPO"
$CN validate "$TOPO"
step "cloudnet trace: the data centre reaches AWS over Direct Connect (BGP prefers it)"
$CN trace "$TOPO" --from dc-ops --to aws-app-1 --proto tcp --dport 8080
step "cloudnet trace: AWS reaches Azure through the data centre (what-if: Direct Connect down)"
$CN trace "$TOPO" --from aws-app-1 --to az-app-1 --proto icmp --down aws-dx
step "cloudnet reach $TOPO --ports icmp,443,8080"
$CN reach "$TOPO" --ports icmp,443,8080
trap '$CN down "$TOPO" >/dev/null 2>&1 || true' EXIT
step "cloudnet up $TOPO"
$CN up "$TOPO"
step "cloudnet probe $TOPO --all (real packets and BGP routes vs the model)"
$CN probe "$TOPO" --all > /tmp/cloudnet-probe.txt || { cat /tmp/cloudnet-probe.txt; exit 1; }
tail -n 2 /tmp/cloudnet-probe.txt
step "cloudnet fault $TOPO --down aws-dx (the circuit fails; BGP moves to the VPN)"
$CN fault "$TOPO" --down aws-dx
$CN probe "$TOPO" --all > /tmp/cloudnet-probe.txt || { cat /tmp/cloudnet-probe.txt; exit 1; }
tail -n 2 /tmp/cloudnet-probe.txt
step "cloudnet exec dc-ops -- ping -c 1 -W 1 10.10.1.10 (over the WireGuard tunnel now)"
$CN exec dc-ops -- ping -c 1 -W 1 10.10.1.10 | head -2
step "cloudnet down $TOPO"
$CN down "$TOPO"
trap - EXIT
