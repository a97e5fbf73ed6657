#!/usr/bin/env bash
# Prints whether the tests that cut a replica server off from the meta
# server or its peers (test/replication/cutoff_test.go, cutback_test.go,
# cutpeers_test.go, and those faults in TestChaos) can build their network
# namespaces on this machine.
# Where they cannot (not root, no iproute2, no CAP_NET_ADMIN) they skip
# themselves, which go test does not show for a passing package; this
# line shows it. Never fails.
set -u
say() { echo "network-namespace tests: $*"; }
if [ "$(id -u)" -ne 0 ]; then say "SKIPPED (not root)"; exit 0; fi
if ! command -v ip >/dev/null 2>&1; then say "SKIPPED (no ip command; Debian package iproute2)"; exit 0; fi
ns="pegasus-netns-check-$$"
if ip netns add "$ns" 2>/dev/null; then
	ip netns del "$ns"
	say "will run"
else
	say "SKIPPED (cannot create a network namespace here)"
fi
exit 0
