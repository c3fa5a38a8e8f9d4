#!/usr/bin/env bash
# Fetch PostgreSQL 15's own regression suite from Debian's postgresql-15 source package:
#   - src/test/regress/sql/*.sql, for the classifier's differential conformance test, and
#   - the whole src/test/regress tree (sql/, expected/, data/, parallel_schedule, resultmap),
#     for scripts/pg-regress-conformance.sh (pg_regress direct vs through `ringgate serve`).
#
# Idempotent: does nothing when both are already extracted; extracts from the downloaded
# tarball (download/) without going to the network when only one is missing. Never commit it.
#   RINGGATE_PG_REGRESS_DIR   where to put it (default /var/cache/ringgate/pg-regress)
# Result: $RINGGATE_PG_REGRESS_DIR/sql/*.sql and $RINGGATE_PG_REGRESS_DIR/regress/
set -euo pipefail

dir="${RINGGATE_PG_REGRESS_DIR:-/var/cache/ringgate/pg-regress}"
have_sql() { compgen -G "$dir/sql/*.sql" > /dev/null; }
have_tree() { [ -f "$dir/regress/parallel_schedule" ] && [ -f "$dir/regress/resultmap" ] \
    && compgen -G "$dir/regress/sql/*.sql" > /dev/null && compgen -G "$dir/regress/expected/*.out" > /dev/null \
    && compgen -G "$dir/regress/data/*.data" > /dev/null; }
if have_sql && have_tree; then
    echo "pg-regress corpus already present: $(ls "$dir"/sql/*.sql | wc -l) files in $dir/sql, suite in $dir/regress"
    exit 0
fi

download="$dir/download"
mkdir -p "$download"
cd "$download"
if ! compgen -G "postgresql-15_*.orig.tar.*" > /dev/null; then
    sudo_cmd=()
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

    # A deb-src entry mirroring the existing deb entries (same URIs, suites, components, keys).
    src_list=/etc/apt/sources.list.d/ringgate-deb-src.sources
    if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null; then
        if [ -f /etc/apt/sources.list.d/debian.sources ]; then
            sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
                | "${sudo_cmd[@]}" tee "$src_list" > /dev/null
        else
            grep -h '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
                | "${sudo_cmd[@]}" tee /etc/apt/sources.list.d/ringgate-deb-src.list > /dev/null
        fi
        "${sudo_cmd[@]}" apt-get update -qq
    fi
    # Newest first; a mirror may index a version whose files it no longer serves.
    fetched=no
    for version in $(apt-cache showsrc postgresql-15 | awk '/^Version:/ {print $2}' | sort -rV | uniq); do
        if apt-get source --download-only "postgresql-15=$version"; then fetched=yes; break; fi
        echo "postgresql-15=$version not downloadable, trying an older version" >&2
    done
    if [ "$fetched" != yes ]; then echo "could not download postgresql-15 sources" >&2; exit 1; fi
fi

orig=$(ls postgresql-15_*.orig.tar.* | head -n 1)
tmp=$(mktemp -d "$dir/extract.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# The suite without the C sources and build files (regress.so is not built here: the tests that
# need it fail alike direct and through the gateway, see scripts/pg-regress-conformance.sh).
tar -xf "$orig" -C "$tmp" --wildcards \
    '*/src/test/regress/sql/*' '*/src/test/regress/expected/*' '*/src/test/regress/data/*' \
    '*/src/test/regress/parallel_schedule' '*/src/test/regress/resultmap'
extracted=$(echo "$tmp"/*/src/test/regress)
if ! have_sql; then
    rm -rf "$dir/sql"
    mkdir "$tmp/sql"
    cp "$extracted"/sql/*.sql "$tmp/sql/"
    mv "$tmp/sql" "$dir/sql"
fi
if ! have_tree; then
    rm -rf "$dir/regress"
    mv "$extracted" "$dir/regress"
fi
echo "pg-regress corpus: $(ls "$dir"/sql/*.sql | wc -l) files in $dir/sql, suite in $dir/regress"
