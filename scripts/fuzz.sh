#!/usr/bin/env bash
# Runs every Go fuzz target in the module briefly (default 30000 executions
# each; any -fuzztime value works, e.g. 10s),
# seeded by the corpus each target adds (the golden wire vectors among them).
set -euo pipefail
fuzztime="${1:-30000x}"
GO="${GO:-go}"
command -v "$GO" >/dev/null || GO=/usr/local/go/bin/go
cd "$(dirname "$0")/.."
count=0
for pkg in $("$GO" list ./...); do
	dir=$("$GO" list -f '{{.Dir}}' "$pkg")
	grep -lq '^func Fuzz' "$dir"/*_test.go 2>/dev/null || continue
	for target in $("$GO" test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "fuzz $pkg $target ($fuzztime)"
		"$GO" test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >/tmp/fuzz.$$.log 2>&1 || { cat /tmp/fuzz.$$.log; rm -f /tmp/fuzz.$$.log; exit 1; }
		count=$((count + 1))
	done
done
rm -f /tmp/fuzz.$$.log
echo "fuzz: $count targets passed"
