#!/usr/bin/env bash
# Makes a throwaway certificate set in DIR (for tests and the demo; never for production):
#   ca.crt / ca.key                 a CA
#   server.crt / server.key         signed by it, for DNS:localhost, IP:127.0.0.1, IP:::1
#                                   (and the extra names given in RINGGATE_CERT_NAMES,
#                                   comma-separated SAN entries such as DNS:db.test)
#   other-ca.crt                    a second CA that signed nothing here (a wrong CA)
#   other-server.crt / .key         signed by the other CA, same names
#   client.crt / client.key         a client certificate (CN=ringgate-client) signed by ca
#   server-combined.pem             server.crt + server.key (haproxy's `ssl crt`)
# Keys are EC P-256, mode 0600. Existing files are replaced.
set -euo pipefail
dir=${1:?usage: make-test-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
names="DNS:localhost,IP:127.0.0.1,IP:::1${RINGGATE_CERT_NAMES:+,$RINGGATE_CERT_NAMES}"
days=30
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 600 "$1"; }
ca() { # NAME SUBJECT
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -sha256 -days "$days" -subj "$2" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$1.crt" 2>/dev/null
}
leaf() { # NAME CA SUBJECT EXTENSIONS
    key "$1.key"
    openssl req -new -key "$1.key" -subj "$3" -out "$1.csr" 2>/dev/null
    printf '%s\n' "$4" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -sha256 -days "$days" \
        -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}
ca ca "/CN=RingGate test CA"
ca other-ca "/CN=RingGate other test CA"
server_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$names"
leaf server ca "/CN=localhost" "$server_ext"
leaf other-server other-ca "/CN=localhost" "$server_ext"
leaf client ca "/CN=ringgate-client" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
cat server.crt server.key > server-combined.pem
chmod 600 server-combined.pem
rm -f ca.srl other-ca.srl
