# Hindsight: `make run` starts it on ./hindsight.db, `make test` runs every test.
GO          ?= go
BIN         := bin/hindsight
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build run test lint bench screenshots

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

# Refresh the README's pictures from a real headless Chromium.
screenshots:
	HINDSIGHT_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run Browser ./e2e/
