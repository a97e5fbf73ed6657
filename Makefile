# pegasus-go — see README.md. `make run` and `make test` are the two
# commands a fresh Debian machine needs; everything else is a step of those.

SHELL := /bin/bash
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
# How long each fuzz target runs during `make test`: a number of executions
# (not seconds), so a loaded machine does the same work instead of hitting
# the fuzzer's own deadline.
FUZZTIME ?= 30000x
# Debian packages the build needs: RocksDB for cgo, the thrift compiler for
# `make thrift`, tmux for REPL tests, ZooKeeper (with its Java runtime)
# for the HA onebox and the tests that start their own ZooKeeper servers,
# and iproute2 for the tests that cut a server off in a network namespace.
DEB_PACKAGES := librocksdb-dev thrift-compiler tmux zookeeper iproute2

.PHONY: all deps build run onebox-stop onebox-clear onebox2 onebox2-stop onebox2-clear test unit fuzz thrift vet fmt bench clean

all: build

# Install the Debian packages that are missing (as root, or through sudo).
deps:
	@scripts/install-deps.sh $(DEB_PACKAGES)

build: deps
	@mkdir -p bin
	$(GO) build ./...
	@if ls cmd/*/main.go >/dev/null 2>&1; then $(GO) build -o bin/ ./cmd/...; fi

# Build, start the local onebox cluster (idempotent) and open the shell on it.
# The onebox keeps running after the shell exits: `make onebox-stop`.
run: build
	bin/pegasus-server onebox start
	bin/pegasus-shell -m 127.0.0.1:34601

onebox-stop:
	@if [ -x bin/pegasus-server ]; then bin/pegasus-server onebox stop; fi

onebox-clear:
	@if [ -x bin/pegasus-server ]; then bin/pegasus-server onebox clear; fi

# A second onebox beside the first (cluster onebox2: meta 127.0.0.1:35601,
# replica servers 35801-35803, ./onebox-onebox2/), the duplication target
# of the first (docs/duplication.md).
onebox2: build
	bin/pegasus-server onebox start --name onebox2

onebox2-stop:
	@if [ -x bin/pegasus-server ]; then bin/pegasus-server onebox stop --name onebox2; fi

onebox2-clear:
	@if [ -x bin/pegasus-server ]; then bin/pegasus-server onebox clear --name onebox2; fi

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...

# Every test: vet, unit and integration tests, then each fuzz target briefly.
test: deps vet unit fuzz

# Package tests run in parallel; the process-level suites under test/ (real
# clusters, ZooKeeper, tmux) run one package at a time so their timing is
# not squeezed by each other on a small machine.
unit:
	$(GO) test -count=1 -timeout 20m $$($(GO) list ./... | grep -v '/test/')
	@scripts/netns-check.sh
	$(GO) test -count=1 -timeout 20m -p 1 ./test/...

fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./thrift/... ./rocksdb/... ./server/...

# Regenerate thrift/gen from thrift/idl (needs thrift-compiler 0.17).
thrift: deps
	@scripts/gen-thrift.sh

clean: onebox-stop
	rm -rf bin
