# bench/bench.mk - benchmarks (bench/README.md), included at the end of the
# top-level Makefile.
#
#   make bench        host-bench (the pager's engine on the host kernel),
#                     then vmo-bench in the test VM; tables and JSON in
#                     build/bench/, markdown in build/bench/report.md
#   make bench-smoke  the same with tiny sizes into build/bench/smoke/;
#                     checks only that every output was produced
#
# BENCH_HOST_ARGS / BENCH_VM_ARGS add arguments (see bench/bench.sh,
# `build/bin/vmo-bench --help`, `build/bin/host-bench --help`).

BENCH_SRC := bench/bench.c
BENCH_HDRS := bench/bench.h $(HDRS)
BENCH_BINS := $(BIN)/vmo-bench $(BIN)/host-bench

.PHONY: bench bench-smoke bench-build

# In the test VM: a client of /dev/vmo, like the selftests.
$(BIN)/vmo-bench: bench/vmo-bench.c bench/vmo-scavenge.c bench/vmo-scavenge.h \
		$(BENCH_SRC) $(LIB_SRC) $(BENCH_HDRS) | $(BIN)
	$(CC) $(CFLAGS) -Ibench -o $@ bench/vmo-bench.c bench/vmo-scavenge.c \
		$(BENCH_SRC) $(LIB_SRC) $(LDFLAGS) -lm

# On the host: the pager's fault engine linked in, as pager_host_test.
$(BIN)/host-bench: bench/host-bench.c $(BENCH_SRC) $(ENGINE_SRC) $(BENCH_HDRS) | $(BIN)
	$(CC) $(CFLAGS) -Ibench -o $@ bench/host-bench.c $(BENCH_SRC) \
		$(ENGINE_SRC) $(LDFLAGS) -luring -lm

# What a run needs: the module, the pager and both benchmarks (the VM
# image takes whatever else is in $(BIN) too).
bench-build: modules $(BIN)/vmo-pager $(BENCH_BINS)

bench: deps
	$(MAKE) bench-build
	bench/bench.sh full

bench-smoke: deps
	$(MAKE) bench-build
	bench/bench.sh smoke
