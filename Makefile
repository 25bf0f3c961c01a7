# Conveniences; the README's two commands need nothing but bash and Go.
.PHONY: demo test quick fresh build bench fuzz setup

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

# The quick loop: skips the namespace labs, the board under Xvfb and other slow tests.
quick:
	go test -short ./...

# The README's two commands on a fresh Debian root (needs root; a few minutes).
fresh:
	bash scripts/fresh.sh

setup:
	bash scripts/setup.sh test

build:
	bash scripts/setup.sh
	go build -o bin/ ./cmd/...

# Every figure in BENCHMARKS.md comes from here.
bench:
	go test -run '^$$' -bench . -benchmem ./...

# A minute per fuzz target.
fuzz:
	@for pkg in $$(go list ./...); do \
		for f in $$(go test -list 'Fuzz.*' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; go test -run '^$$' -fuzz "^$$f$$" -fuzztime 60s $$pkg || exit 1; \
		done; \
	done
