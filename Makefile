# Hindsight: `make run` starts it on ./hindsight.db, `make test` runs every test.
GO          ?= go
BIN         := bin/hindsight
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build run test lint bench bench-ingest bench-ingest-pg fuzz screenshots

build:
	$(GO) build -o $(BIN) ./cmd/hindsight

run: build
	./$(BIN) serve

# Store and API tests also run against PostgreSQL when
# HINDSIGHT_TEST_POSTGRES=postgres://... is set.
test:
	$(GO) test -race -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Each fuzz target (func FuzzXxx in a _test.go file) runs for FUZZTIME; a
# failure leaves the input in the package's testdata/fuzz, where `make test`
# replays it from then on. Minimizing is kept short: targets that write to
# a database do not always reproduce an input's coverage. Fuzzing runs on
# FUZZGO, which the go command fetches from the module proxy: Go 1.26 can
# fail a target with "context deadline exceeded" as FUZZTIME ends, having
# found nothing (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 10s
FUZZGO   ?= go1.27.3
fuzz:
	@for f in $$(grep -rl --include='*_test.go' '^func Fuzz' cmd internal | sort); do \
	  d=$$(dirname $$f); \
	  for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
	    echo "fuzz $$t ($$d) for $(FUZZTIME)"; \
	    out=$$(GOTOOLCHAIN=$(FUZZGO) $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./$$d 2>&1); rc=$$?; \
	    echo "$$out" | grep -v 'applied migration' | tail -n $$([ $$rc -eq 0 ] && echo 3 || echo 60); \
	    [ $$rc -eq 0 ] || exit 1; \
	  done; \
	done

# Refresh the README's pictures from a real headless Chromium.
screenshots:
	HINDSIGHT_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run Browser ./e2e/
# The webhook ingest benchmark (README "Performance"): BENCH_FLAGS="--duration 2s
# --conns 8" for a short run.
BENCH_FLAGS ?=
PSQL        ?= psql -h 127.0.0.1 -U postgres -q

bench-ingest: build
	$(GO) build -o bin/ingestbench ./cmd/ingestbench
	./bin/ingestbench --hindsight $(BIN) $(BENCH_FLAGS)

# SQLite, then one and two replicas on PostgreSQL: on the database in
# HINDSIGHT_BENCH_POSTGRES when set, else on a throwaway database made on
# the local server and dropped afterwards.
bench-ingest-pg: build
	$(GO) build -o bin/ingestbench ./cmd/ingestbench
	@if [ -n "$$HINDSIGHT_BENCH_POSTGRES" ]; then \
		./bin/ingestbench --hindsight $(BIN) --db "$$HINDSIGHT_BENCH_POSTGRES" $(BENCH_FLAGS); \
	else \
		db=hindsight_bench_$$$$; \
		$(PSQL) -c "CREATE DATABASE $$db" || exit 1; \
		trap '$(PSQL) -c "DROP DATABASE IF EXISTS $$db"' EXIT; \
		./bin/ingestbench --hindsight $(BIN) --db "postgres://postgres@127.0.0.1:5432/$$db?sslmode=disable" $(BENCH_FLAGS); \
	fi
