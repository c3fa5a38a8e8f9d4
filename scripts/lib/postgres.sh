# Throwaway PostgreSQL 15 clusters for the demo and for manual testing. Source this file.
# PostgreSQL refuses to run as root, so the cluster belongs to the `postgres` system user.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

# Prints a free TCP port on 127.0.0.1.
rg_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# rg_pg_start DIR PORT PASSWORD [CERT KEY]: creates a cluster in DIR (owned by postgres) with
# SCRAM authentication for the superuser `postgres`, and starts it on 127.0.0.1:PORT; with a
# certificate and key it also serves TLS (ssl=on).
rg_pg_start() {
    local dir=$1 port=$2 password=$3 cert=${4:-} key=${5:-}
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    chmod 700 "$dir"
    local pwfile="$dir.pw"
    printf '%s\n' "$password" > "$pwfile"
    chown postgres:postgres "$pwfile"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=scram-sha-256 \
        --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    local tls=""
    if [ -n "$cert" ]; then
        install -o postgres -g postgres -m 644 "$cert" "$dir/data/server.crt"
        install -o postgres -g postgres -m 600 "$key" "$dir/data/server.key"
        tls="-c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key"
    fi
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
        "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off $tls" start >/dev/null
}

# rg_pg_stop DIR: stops the cluster in DIR and removes it.
rg_pg_stop() {
    local dir=$1
    [ -d "$dir/data" ] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
