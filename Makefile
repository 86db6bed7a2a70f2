# Hindsight: `make run` starts it on ./hindsight.db, `make test` runs every test.
GO          ?= go
BIN         := bin/hindsight
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build run test lint bench fuzz screenshots

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
# a database do not always reproduce an input's coverage.
FUZZTIME ?= 10s
fuzz:
	@for f in $$(grep -rl --include='*_test.go' '^func Fuzz' cmd internal | sort); do \
	  for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
	    echo "fuzz $$t ($$(dirname $$f)) for $(FUZZTIME)"; \
	    out=$$($(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./$$(dirname $$f) 2>&1) || \
	      { echo "$$out" | grep -v 'applied migration' | tail -n 60; exit 1; }; \
	    echo "$$out" | grep -v 'applied migration' | tail -n 3; \
	  done; \
	done

# Refresh the README's pictures from a real headless Chromium.
screenshots:
	HINDSIGHT_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run Browser ./e2e/
