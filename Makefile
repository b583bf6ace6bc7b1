# The two commands a newcomer needs are `make run` and `make test`.
GO ?= go
BINARIES := kojihub kojicli
DATA ?= ./data
ADMIN_PASSWORD ?= kojiadmin

.PHONY: build run test race deps vet bench docs fuzz clean

build:
	@mkdir -p bin
	$(GO) build -o bin/kojihub ./hub/cmd/kojihub
	$(GO) build -o bin/kojicli ./kojicli/cmd/kojicli
	$(GO) build -o bin/builderd ./builderd/cmd/builderd

# Start the hub on the embedded SQLite store in $(DATA), with kojiadmin's
# password set to $(ADMIN_PASSWORD) on first start.
run: build
	./bin/kojihub --data $(DATA) --admin-password $(ADMIN_PASSWORD)

# The whole suite, on SQLite and PostgreSQL. deps installs what is missing.
test: deps
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed on:"; gofmt -l .; exit 1; }
	$(GO) test -count=1 ./...

# Debian packages the tests need, installed when missing (the suite runs as
# root in CI); and the local PostgreSQL cluster, started when it is installed
# but stopped. Tests fail with instructions when PostgreSQL is unreachable.
DEB_NEEDS := python3:python3 rpmbuild:rpm createrepo_c:createrepo-c dnf:dnf pgrep:procps git:git cpio:cpio gpg:gpg gpg-agent:gpg-agent
deps:
	@missing=""; for pair in $(DEB_NEEDS); do \
		cmd=$${pair%%:*}; pkg=$${pair#*:}; \
		command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@if [ -z "$$KOJI_TEST_PG_DSN" ] && command -v pg_ctlcluster >/dev/null 2>&1 \
		&& ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		ver=$$(ls /etc/postgresql | head -n1); \
		[ -z "$$ver" ] || pg_ctlcluster --skip-systemctl-redirect $$ver main start || true; \
	fi

vet:
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The whole suite under the race detector: about ten minutes on two cores,
# so not part of `make test`.
race: deps
	$(GO) test -race -count=1 -timeout 60m ./...

# Regenerate docs/api.md from the method registry.
docs:
	$(GO) run ./hub/cmd/apidoc > docs/api.md

# Each target for a minute. A new interesting input is minimised for at
# most 5 s (Go's default, 60 s, leaves the counter at 0/sec for minutes).
FUZZ = $(GO) test -run '^$$' -fuzztime 60s -fuzzminimizetime 5s
fuzz:
	$(FUZZ) -fuzz FuzzDecodeCall ./hub/xmlrpc/
	$(FUZZ) -fuzz FuzzDecodeResponse ./hub/xmlrpc/
	$(FUZZ) -fuzz FuzzRead ./hub/rpmhdr/
	$(FUZZ) -fuzz FuzzParseSigHeader ./hub/rpmhdr/
	$(FUZZ) -fuzz FuzzUploadTarget ./hub/files/
	$(FUZZ) -fuzz FuzzImportRPM ./hub/api/
	$(FUZZ) -fuzz FuzzDispatch ./hub/api/
	$(FUZZ) -fuzz FuzzCall ./hub/api/

clean:
	rm -rf bin
