#!/usr/bin/env bash
# Installs the Debian packages RingGate builds, tests and demos with. Idempotent: it asks apt
# only for what is missing, and refreshes the package lists only when it has to install.
set -euo pipefail

packages=(
    liburing-dev       # io_uring data plane (CLibURing)
    libssl-dev         # TLS (COpenSSL)
    pkg-config         # SwiftPM finds liburing through it
    postgresql         # throwaway servers for the demo and integration tests
    postgresql-client  # psql, pgbench
    postgresql-client-15  # pg_regress (scripts/pg-regress-conformance.sh; regress.so is not built)
    haproxy            # peer in `bench tcp`
    pgbouncer          # peer in `bench pg`
    libpg-query-dev    # PostgreSQL's parser: test oracle for the SQL classifier
    python3-psycopg2   # real PostgreSQL clients in integration tests (psycopg2 text, psycopg 3 binary)
    python3-psycopg
    python3-venv       # the psycopg[binary] venv below
    dpkg-dev           # apt-get source (PostgreSQL's regression corpus)
    procps             # ps/pkill in scripts
    curl               # the control API from integration tests
    python3-prometheus-client  # an independent parser of the metrics endpoint in tests
)

if ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: a Swift 6.3 toolchain must be on PATH (https://www.swift.org/install/linux/)." >&2
    exit 1
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A PostgreSQL 17+ client for direct TLS (`sslnegotiation=direct`): bookworm's libpq is 15, while
# psycopg[binary] from PyPI bundles a newer libpq. It lives in its own venv at a fixed path
# (tests look for it there) and is made only when that venv does not already provide it.
venv=/opt/ringgate/venv-psycopg-binary
has_libpq17() { "$venv/bin/python" -c 'import sys, psycopg; sys.exit(psycopg.pq.version() < 170000)' 2>/dev/null; }
if ! has_libpq17; then
    echo "install-deps: installing psycopg[binary] (libpq 17+) into $venv" >&2
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install -q 'psycopg[binary]>=3.2'
    has_libpq17 || { echo "install-deps: psycopg in $venv does not bring libpq 17 or newer" >&2; exit 1; }
fi
