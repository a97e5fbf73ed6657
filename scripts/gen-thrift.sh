#!/usr/bin/env bash
# Regenerates thrift/gen/ from thrift/idl/*.thrift.
#
# Every IDL file except dsn.thrift uses a "gen.<pkg>" Go namespace, so with
# the package prefix below its code lands in thrift/gen/<pkg>/. dsn.thrift
# uses namespace "base": its generated code is discarded because the
# hand-written package thrift/base provides those types (protocol.md §3.1).
# The *-remote example CLIs are discarded too. The output is gofmt'ed so that
# running this script twice leaves the tree unchanged.
set -euo pipefail

want_version="0.17.0"
prefix="github.com/pegasus-go/pegasus/thrift/"

root="$(cd "$(dirname "$0")/.." && pwd)"
idl="$root/thrift/idl"
out="$root/thrift/gen"

have_version="$(thrift --version | awk '{print $3}')"
if [[ "$have_version" != "$want_version" ]]; then
	echo "gen-thrift: need thrift $want_version, found $have_version" >&2
	exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

for f in "$idl"/*.thrift; do
	thrift -r --gen "go:package_prefix=$prefix" -out "$tmp" "$f"
done

rm -rf "$tmp/base"
find "$tmp" -depth -type d -name '*-remote' -exec rm -rf {} +
gofmt -w "$tmp/gen"

rm -rf "$out"
mv "$tmp/gen" "$out"
