#!/bin/sh
# SPDX-License-Identifier: MIT
# make demo: the Microsoft sample's system on one machine. A throwaway MIT KDC on
# loopback, sspix-server on a free port, and sspix-client authenticating to
# it with Kerberos and with Negotiate (mutual authentication, then the
# server's encrypted greeting). Everything started here is stopped by PID.
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
case $build in /*) ;; *) build=$top/$build ;; esac
work=$(mktemp -d /tmp/sspix-demo.XXXXXX)
server_pid=""

stop_server() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}

cleanup() {
    stop_server
    "$top/tests/realm/realm" down "$work/realm" --rm >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# A free loopback port: ask the kernel for one.
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

echo "== a throwaway Kerberos realm on loopback"
"$top/tests/realm/realm" up "$work/realm"
. "$work/realm/env"

# start_server MODE LOG: sspix-server on a free port, waiting until it listens.
start_server() {
    port=$(free_port)
    "$build/sspix-server" --bind 127.0.0.1 --port "$port" --mode "$1" --pid-file "$work/server.pid" 2>"$2" &
    server_pid=$!
    i=0
    while ! grep -q "listening on" "$2" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 100 ] || ! kill -0 "$server_pid" 2>/dev/null; then
            cat "$2" >&2
            echo "sspix-server did not start" >&2
            exit 1
        fi
        sleep 0.05
    done
}

echo
start_server greet "$work/greet.log"
echo "== sspix-server (Negotiate, greet mode, pid $server_pid) on 127.0.0.1:$port"
sed 's/^/  /' "$work/greet.log"

for pkg in Kerberos Negotiate; do
    echo
    echo "== sspix-client 127.0.0.1 --package $pkg  (alice's ticket from kinit)"
    "$build/sspix-client" 127.0.0.1 --port "$port" --spn host/localhost --package "$pkg" | sed 's/^/  /'
done
stop_server

echo
start_server echo "$work/echo.log"
echo "== sspix-server --mode echo (pid $server_pid): protected messages, each decrypted and echoed encrypted"
printf 'first message\nsecond\nthird, with unicode: \303\251t\303\251\n' |
    "$build/sspix-client" 127.0.0.1 --port "$port" --spn host/localhost --mode echo | sed 's/^/  /'
stop_server

echo
echo "== the servers' logs: one line per connection"
sed 's/^/  /' "$work/greet.log" "$work/echo.log"
