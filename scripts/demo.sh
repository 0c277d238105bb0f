#!/usr/bin/env bash
# The main job on the flagship example: validate it, explain a few flows, print the matrix.
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
