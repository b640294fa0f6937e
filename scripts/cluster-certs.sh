#!/usr/bin/env bash
# Certificates for the cluster's event bus (mutual TLS), made with openssl:
#   scripts/cluster-certs.sh DIR NODE...   # DIR/ca.pem (+ ca.key), and DIR/NODE.pem + DIR/NODE.key per node
# The CA is created once, when DIR/ca.pem is missing; later calls issue more node certificates from
# it (new nodes, or new certificates for the same nodes when rotating them: docs/operations.md).
# HERALD_CERT_SAN sets the nodes' subjectAltName (default IP:127.0.0.1,DNS:localhost: this machine);
# HERALD_CERT_DAYS their lifetime (default 365). Keys are EC P-256, readable by their owner only.
# Keep ca.key off the hubs: they need ca.pem, their own NODE.pem and NODE.key, nothing else.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: scripts/cluster-certs.sh DIR NODE..." >&2
  exit 2
fi
dir=$1
shift
san=${HERALD_CERT_SAN:-IP:127.0.0.1,DNS:localhost}
days=${HERALD_CERT_DAYS:-365}
mkdir -p "$dir"
umask 077

if [ ! -f "$dir/ca.pem" ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$dir/ca.key" -sha256 -days $((days * 3)) -subj "/CN=herald cluster CA $(date -u +%Y%m%d%H%M%S)" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$dir/ca.pem"
  chmod 644 "$dir/ca.pem"
fi

for node in "$@"; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$node.key" 2>/dev/null
  openssl req -new -key "$dir/$node.key" -subj "/CN=$node" -out "$dir/$node.csr"
  # Each node is a server (it accepts event-bus connections) and a client (it opens them).
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' \
    "$san" > "$dir/$node.ext"
  openssl x509 -req -in "$dir/$node.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -sha256 \
    -days "$days" -extfile "$dir/$node.ext" -out "$dir/$node.pem" 2>/dev/null
  rm -f "$dir/$node.csr" "$dir/$node.ext"
  chmod 644 "$dir/$node.pem"
done
