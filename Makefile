# vmo — top-level build.  `make check` and `make demo` install what they
# need (scripts/deps.sh), so both work on a fresh Debian 12 machine.

SHELL := /bin/bash

# The test VM's kernel (Debian's linux-image-amd64); override KDIR to
# build the module against another kernel.
KVER ?= $(shell scripts/kver.sh 2>/dev/null)
KDIR ?= /lib/modules/$(KVER)/build

O := build
BIN := $(O)/bin
KSRC := $(O)/ksrc

CC := gcc
CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-Iinclude -Ilib -Ipager
TEST_CFLAGS := $(CFLAGS) -I$(KSRC)/tools/testing/selftests \
	-Wno-unused-parameter -Wno-sign-compare
LDFLAGS := -static -pthread

LIB_SRC := lib/libvmo.c
PAGER_SRC := pager/main.c pager/engine.c pager/maptable.c pager/log.c \
	pager/objects.c pager/uring.c pager/backing.c pager/slotmap.c \
	pager/paging.c pager/headroom.c
ENGINE_SRC := pager/engine.c pager/maptable.c pager/log.c pager/objects.c \
	pager/uring.c pager/backing.c pager/slotmap.c pager/paging.c \
	pager/headroom.c
HDRS := include/linux/vmo.h include/vmo_pstat_names.h lib/libvmo.h $(wildcard pager/*.h)

VM_TESTS := $(BIN)/vmo_test $(BIN)/vmo_file_test $(BIN)/vmo_shadow_test \
	$(BIN)/vmo_pressure_test \
	$(BIN)/vmo_scavenge_test \
	$(BIN)/vmo_stress_test $(BIN)/vmo_lifecycle_test \
	$(BIN)/vmo_pager_role_test $(BIN)/vmo_integrity_test \
	$(BIN)/vmo_fuzz_test $(BIN)/vmo_tenant_test
USER_BINS := $(BIN)/vmo-pager $(BIN)/vmo-demo $(VM_TESTS)
HOST_TESTS := $(BIN)/pager_host_test

.PHONY: all deps modules user host-test vm-test check check-debug fuzz \
	fuzz-debug demo vm-shell lint bench clean

all: modules user

deps:
	@scripts/deps.sh

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

user: $(USER_BINS) $(HOST_TESTS)

$(BIN)/vmo-pager: $(PAGER_SRC) $(HDRS) | $(BIN)
	$(CC) $(CFLAGS) -o $@ $(PAGER_SRC) $(LDFLAGS) -luring

$(BIN)/vmo-demo: scripts/vmo-demo.c $(LIB_SRC) $(HDRS) | $(BIN)
	$(CC) $(CFLAGS) -o $@ scripts/vmo-demo.c $(LIB_SRC) $(LDFLAGS)

# Selftests run in the test VM: one static binary each.
$(VM_TESTS): $(BIN)/%: selftests/%.c selftests/vmo_util.h $(LIB_SRC) $(HDRS) | $(BIN) $(KSRC)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LIB_SRC) $(LDFLAGS) -luring

$(BIN)/pager_host_test: selftests/pager_host_test.c $(ENGINE_SRC) $(HDRS) | $(BIN) $(KSRC)
	$(CC) $(TEST_CFLAGS) -o $@ selftests/pager_host_test.c $(ENGINE_SRC) $(LDFLAGS) -luring

$(BIN):
	mkdir -p $@

# kselftest_harness.h and checkpatch.pl come from Debian's linux-source-6.1.
$(KSRC):
	scripts/ksrc.sh $(KSRC)

host-test: $(HOST_TESTS)
	scripts/check.sh host

vm-test: modules user
	scripts/check.sh vm

# The whole suite: host tests, then every selftest in the test VM.
# Ends with "N passed, N failed"; exits non-zero on any failure.
check: deps
	$(MAKE) all bench-build
	scripts/check.sh all

# The whole VM suite on a KASAN/lockdep/kmemleak kernel built from
# Debian's linux-source-6.1 (cached outside the clone; the first build
# takes ~25 min).  Not part of check: run it before resolving anything
# that touches module/.
check-debug:
	scripts/deps.sh debug
	$(MAKE) user
	scripts/check-debug.sh

# The fuzzer alone, FUZZ_SECS (default 600) with FUZZ_SEED (default 1),
# on the test kernel (fuzz) or the debug kernel (fuzz-debug).  A short
# run of it is part of check.
FUZZ_SECS ?= 600
FUZZ_SEED ?= 1
FUZZ_ENV = VM_TESTS=vmo_fuzz_test VM_THP=none VM_FUZZ_SECS=$(FUZZ_SECS) \
	VM_FUZZ_SEED=$(FUZZ_SEED) VM_TEST_TIMEOUT=$$(($(FUZZ_SECS) + 600)) \
	VM_TIMEOUT=$$(($(FUZZ_SECS) + 1200))

fuzz: deps
	$(MAKE) all
	$(FUZZ_ENV) scripts/check.sh vm

fuzz-debug:
	scripts/deps.sh debug
	$(MAKE) user
	$(FUZZ_ENV) scripts/check-debug.sh

demo: deps
	$(MAKE) all
	scripts/vm-run.sh demo

vm-shell: deps
	$(MAKE) all
	scripts/vm-run.sh shell

lint: | $(KSRC)
	$(KSRC)/scripts/checkpatch.pl --strict --no-tree --terse \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f \
		module/*.c module/*.h include/linux/vmo.h

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(BIN) $(O)/vm
include bench/bench.mk
