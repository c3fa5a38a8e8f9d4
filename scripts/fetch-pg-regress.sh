#!/usr/bin/env bash
# Fetch PostgreSQL 15's own regression-suite SQL files (src/test/regress/sql/*.sql) from
# Debian's postgresql-15 source package, for the classifier's differential conformance test.
#
# Idempotent: does nothing when the corpus is already extracted. Never commit the corpus.
#   RINGGATE_PG_REGRESS_DIR   where to put it (default /var/cache/ringgate/pg-regress)
# Result: $RINGGATE_PG_REGRESS_DIR/sql/*.sql
set -euo pipefail

dir="${RINGGATE_PG_REGRESS_DIR:-/var/cache/ringgate/pg-regress}"
if compgen -G "$dir/sql/*.sql" > /dev/null; then
    echo "pg-regress corpus already present: $(ls "$dir"/sql/*.sql | wc -l) files in $dir/sql"
    exit 0
fi

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

download="$dir/download"
mkdir -p "$download"
cd "$download"
if ! compgen -G "postgresql-15_*.orig.tar.*" > /dev/null; then
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
tar -xf "$orig" -C "$tmp" --wildcards '*/src/test/regress/sql/*.sql'
rm -rf "$dir/sql"
mv "$tmp"/*/src/test/regress/sql "$dir/sql"
rm -rf "$tmp"
echo "pg-regress corpus: $(ls "$dir"/sql/*.sql | wc -l) files in $dir/sql"
