#!/usr/bin/env bash
# System packages cloudnet needs on Debian 12; idempotent, quiet when all are present.
set -euo pipefail
# nftables brings libnftables, which the data plane loads; iperf3 is for the benchmarks.
pkgs=(python3-venv iproute2 nftables iperf3 iputils-ping bird2 wireguard-go wireguard-tools)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi
