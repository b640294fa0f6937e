#!/usr/bin/env bash
# Installs Debian's etcd-server for the load tests' peer scenario (Herald against etcd) when missing.
set -euo pipefail
if command -v etcd >/dev/null 2>&1 || [ -x /usr/bin/etcd ]; then
  exit 0
fi
echo "installing etcd-server from Debian's packages (load-test peer scenario)" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
