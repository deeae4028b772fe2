# PELUKAN -- one non-recursive Makefile. Fragments: common/common.mk,
# services/*/service.mk, tests/tests.mk. Generated code lives in build/.
.DEFAULT_GOAL := all
SHELL := /bin/bash

BUILD   ?= build
# A Node.js that make deps installed (deploy/local/deps.sh) where the
# system's is too old for the web build comes first.
export PATH := $(CURDIR)/tools/node/bin:$(PATH)
VAR_DIR ?= $(CURDIR)/var
CC      ?= cc
PKGS    := libzmq libczmq libprotobuf-c libpq libuv libh2o jansson libsodium libcurl libcrypto

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wno-unused-parameter
OPT     ?= -O2 -g
SAN     ?=
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  := -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(SAN) -MMD -MP -Icommon/include -I$(BUILD)/gen $(PKG_CFLAGS) \
           -DPK_DEFAULT_VAR_DIR='"$(VAR_DIR)"' -DPK_DEFAULT_SQL_DIR='"$(CURDIR)"' -DPK_VERSION='"0.1.0"'
LDLIBS  := $(PKG_LIBS) -lzxcvbn -lpthread -lm
LDFLAGS := $(SAN)

# The case owner (issue 24): its statements are in its store, and it
# serves no request (that is the edge's, services/edge).
INTAKE_OWNER     := $(wildcard services/intake/*.c services/intake/*.h)
INTAKE_NOT_STORE := $(filter-out %/intake_store.c %/intake_store_people.c \
	%/intake_store.h,$(INTAKE_OWNER))

# ---- protobuf ------------------------------------------------------------
PROTOS     := $(wildcard proto/pelukan/v1/*.proto)
PROTO_C    := $(patsubst proto/%.proto,$(BUILD)/gen/%.pb-c.c,$(PROTOS))
PROTO_H    := $(PROTO_C:.c=.h)
PROTO_OBJS := $(patsubst $(BUILD)/gen/%.c,$(BUILD)/obj/gen/%.o,$(PROTO_C))

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --c_out=$(BUILD)/gen -Iproto $<

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"; $(CC) $(CFLAGS) -Wno-error -c $< -o $@

$(BUILD)/obj/%.o: %.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"; $(CC) $(CFLAGS) -c $< -o $@

include common/common.mk
include $(wildcard services/*/service.mk)
include $(wildcard tools/*/tool.mk)
include tests/tests.mk

# ---- top-level targets ---------------------------------------------------
.PHONY: all deps run test bench check-asan check-valgrind check-fresh format lint clean tests-bins

all: $(COMMON_LIB) $(SERVICE_BINS) $(CLI_BINS) $(TOOL_BINS) build/web/index.html

# ---- the web apps (web/): TypeScript, Preact, Vite; served by intake ----------
# Built into build/web whatever BUILD is (it is not C). The API types are
# generated from openapi.yaml first: a drift between them fails the build.
WEB_SRC := $(shell find web/src web/public web/scripts -type f -not -name schema.d.ts 2>/dev/null) web/index.html \
           web/vite.config.ts web/tsconfig.json
web/node_modules/.stamp: web/package-lock.json
	@echo "  NPM     web (npm ci)"; cd web && npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@
build/web/index.html: web/node_modules/.stamp $(WEB_SRC) services/intake/openapi.yaml
	@echo "  WEB     build/web"; cd web && npm run --silent build >/dev/null

deps:
	@deploy/local/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@VAR_DIR=$(VAR_DIR) BUILD=$(BUILD) deploy/local/run.sh

# The contract check and the linters are Node.js tools, pinned by their
# package-lock.json; installed again when the lock changes.
tools/contract/node_modules/.stamp: tools/contract/package-lock.json
	@cd tools/contract && npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@
tools/lint/node_modules/.stamp: tools/lint/package-lock.json
	@cd tools/lint && npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

test: deps
	@$(MAKE) --no-print-directory all $(TEST_BINS) tools/contract/node_modules/.stamp
	@BUILD=$(BUILD) tests/run.sh

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@BUILD=$(BUILD) tests/run.sh --bench

check-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" all tests-bins
	@BUILD=build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run.sh

# The unit suite under valgrind (memcheck): errors and definite leaks fail.
check-valgrind: deps
	@$(MAKE) --no-print-directory all tests-bins
	@BUILD=$(BUILD) PKTEST_WRAP="valgrind -q --trace-children=yes --error-exitcode=9 --leak-check=full \
	    --errors-for-leak-kinds=definite --suppressions=$(CURDIR)/tests/valgrind.supp" tests/run.sh --unit

tests-bins: $(TEST_BINS)

# The README's two commands on a fresh Debian 12 root (debootstrap), from a
# clone of HEAD under /root: tests/fresh.sh. Root only; takes a while.
check-fresh:
	@tests/fresh.sh

FORMAT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_SRC)

# The C, the API contract (Redocly's recommended rules) and the wire
# contract (buf lint, STANDARD; buf breaking, WIRE, against the newest
# released image in proto/releases).
PROTO_BASELINE = $(lastword $(sort $(wildcard proto/releases/*.binpb)))
lint: deps $(PROTO_H) tools/lint/node_modules/.stamp
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c11 \
	    --suppress=missingIncludeSystem --inline-suppr -Icommon/include -I$(BUILD)/gen \
	    common/src services tools tests/support
	tools/lint/node_modules/.bin/redocly lint --format=summary intake 2>&1 | grep -v '[║╔╚]'; \
	    exit $${PIPESTATUS[0]}
	cd proto && ../tools/lint/node_modules/.bin/buf lint
	cd proto && ../tools/lint/node_modules/.bin/buf breaking --against ../$(PROTO_BASELINE)
	@# The outbox's row has one shape, in common/ (issue 24: no hand-written insert in a service).
	@! grep -rn 'INSERT INTO outbox' services/ || { echo "lint: write outbox rows with PK_OUTBOX_INSERT_SQL/_SELECT or pk_outbox_add"; exit 1; }
	@# pelukanctl makes accounts with common's checks, not intake's code (issue 24).
	@! grep -rn 'services/intake\|INTAKE_LIB' tools/pelukanctl/ || { echo "lint: pelukanctl must not use intake's code or headers"; exit 1; }
	@# The edge never touches the database: no SQL, no database client, no store (issue 24, step 1).
	@! grep -rnE 'pk_db_|pk_pg_|SELECT |INSERT INTO|UPDATE |DELETE FROM|intake_store\.h' services/edge/ || { echo "lint: the edge (services/edge/) must not touch the database"; exit 1; }
	@! grep -nE 'pk_db_|pk_pg_exec|SELECT |INSERT INTO|UPDATE |DELETE FROM' $(INTAKE_NOT_STORE) || { echo "lint: the case owner keeps its statements in its store (services/intake/intake_store*.c)"; exit 1; }
	@! grep -nE '#include "\.\./edge/|edge_call_t|pk_http_' $(INTAKE_OWNER) || { echo "lint: the case owner (services/intake/) serves no request: that is the edge's (services/edge/)"; exit 1; }
	@echo "lint: clean (cppcheck, redocly, buf lint, buf breaking against $(PROTO_BASELINE), outbox rows through common, pelukanctl apart from intake, the edge apart from the database, the owner's statements in its store, the owner apart from requests)"

clean:
	rm -rf build build-asan web/src/shared/api/schema.d.ts

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
