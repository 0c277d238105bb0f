#!/usr/bin/env bash
# The main job on the flagship example: validate and explain it, print its matrix, then run
# it on this kernel, probe it with real traffic against the model, and tear it down.
set -euo pipefail
cd "$(dirname "$0")/.."
CN=.venv/bin/cloudnet
TOPO=examples/hub-and-spoke.yaml
export COLUMNS=${COLUMNS:-120}
echo "== cloudnet validate $TOPO"
$CN validate "$TOPO"
echo
echo "== cloudnet trace: prod reaches the data centre over the VPN"
$CN trace "$TOPO" --from prod-app --to dc-ops --proto icmp
echo
echo "== cloudnet trace: the quarantined VPC reaches nothing"
$CN trace "$TOPO" --from suspect --to dns-1 --dport 22
echo
echo "== cloudnet reach $TOPO"
$CN reach "$TOPO"
echo
trap '$CN down "$TOPO" >/dev/null 2>&1 || true' EXIT
echo "== cloudnet up $TOPO"
$CN up "$TOPO"
echo
echo "== cloudnet probe $TOPO --all (real packets vs the model)"
$CN probe "$TOPO" --all > /tmp/cloudnet-probe.txt || { cat /tmp/cloudnet-probe.txt; exit 1; }
tail -n 1 /tmp/cloudnet-probe.txt
echo
echo "== cloudnet exec prod-app -- ping -c 1 -W 1 192.168.10.20"
$CN exec prod-app -- ping -c 1 -W 1 192.168.10.20 | head -2
echo
echo "== cloudnet down $TOPO"
$CN down "$TOPO"
trap - EXIT
