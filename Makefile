# Moat: one entry point.
#   make            build everything (bin/moat, test programs)
#   make test       build and run every test; ends with "N passed, N failed"
#   make test-loaded  the same with every CPU kept busy by a busy loop
#   make run        a demonstration on a veth pair (needs root)
#   make asan       unit tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make fuzz       fuzz harnesses for FUZZ_SECONDS each (default 60)
#   make bench      benchmarks against Linux on the same kind of veth
#   make soak       mixed traffic for SOAK_SECONDS (default 3600); not in make test
#   make diff-random  random socket-call sequences, Linux vs moat (DIFF_SEQ)
#   make packetimpact  the conformance runner (part of make test)
#
# Sources are found by glob; every object gets a -MMD dependency file.

CC ?= gcc
BUILD ?= build
FUZZ_SECONDS ?= 60

PKGS := libpcap jansson libseccomp
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla -Wpointer-arith -Wundef -Wno-unused-parameter
OPT ?= -O2
CFLAGS += -std=gnu11 -g $(OPT) $(WARN) -D_GNU_SOURCE -MMD -MP \
	-Inetstack/include -Inetstack $(SAN_CFLAGS)
LDFLAGS += $(SAN_CFLAGS)

ifeq ($(SANITIZE),1)
SAN_CFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

NETSTACK_SRC := $(wildcard netstack/*.c netstack/link/*.c netstack/tcp/*.c)
# The sandbox (sentry, platforms, gofer) links into bin/moat.
SANDBOX_SRC := $(shell find sentry platform gofer -name '*.c' 2>/dev/null)
MOAT_SRC := $(wildcard tools/moat/*.c) $(SANDBOX_SRC)
# Assembler sources (the stub's code) link into bin/moat as data.
SANDBOX_ASM := $(shell find platform -name '*.S' 2>/dev/null)
UNIT_SRC := $(wildcard tests/unit/*.c)
HELPER_SRC := $(wildcard tests/helpers/*.c)
FUZZ_SRC := $(wildcard tests/fuzz/*.c)
BENCH_SRC := $(wildcard tests/bench/*.c)

NETSTACK_OBJ := $(NETSTACK_SRC:%.c=$(BUILD)/%.o)
MOAT_OBJ := $(MOAT_SRC:%.c=$(BUILD)/%.o) $(SANDBOX_ASM:%.S=$(BUILD)/%.o)
# Unit objects live apart from the unit binary's path ($(BUILD)/tests/unit).
UNIT_OBJ := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit-obj/%.o)
LIBNETSTACK := $(BUILD)/libnetstack.a

HELPERS := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/%)
BENCHES := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
DEPS_STAMP := build/.deps-ok

.PHONY: all deps test test-loaded unit asan fuzz bench soak diff-random run packetimpact clean
.DEFAULT_GOAL := all

all: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory build-all


# Installs missing Debian packages (apt-get) once; re-run when the list changes.
$(DEPS_STAMP): tools/deps.sh
	@tools/deps.sh
	@mkdir -p $(dir $@) && touch $@

deps:
	@tools/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/unit-obj/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(LIBNETSTACK): $(NETSTACK_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

bin/moat: $(MOAT_OBJ) $(LIBNETSTACK)
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $(MOAT_OBJ) $(LIBNETSTACK) $(PKG_LIBS) -lm

$(BUILD)/tests/unit: $(UNIT_OBJ) $(LIBNETSTACK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(UNIT_OBJ) $(LIBNETSTACK) $$(pkg-config --libs check) $(PKG_LIBS) -lm

$(BUILD)/tests/%: $(BUILD)/tests/helpers/%.o $(LIBNETSTACK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBNETSTACK) $(PKG_LIBS) -lm

$(BUILD)/bench/%: $(BUILD)/tests/bench/%.o $(LIBNETSTACK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBNETSTACK) $(PKG_LIBS) -lm

# Test-only: a moat whose sentry acts as a compromised one would once it
# is confined (MOAT_COMPROMISE=open|openat-proc|socket|exec; see
# sentry/confine.c and tests/sandbox/confine.sh). Never bin/moat.
COMPROMISE_OBJ := $(BUILD)/compromise/sentry/sandbox.o $(BUILD)/compromise/sentry/confine.o
$(BUILD)/compromise/sentry/%.o: sentry/%.c
	@mkdir -p $(dir $@)
	@echo "  CC $< (test-only: MOAT_TEST_COMPROMISE)"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -DMOAT_TEST_COMPROMISE -c $< -o $@

$(BUILD)/tests/moat-compromise: $(filter-out $(BUILD)/sentry/sandbox.o $(BUILD)/sentry/confine.o,$(MOAT_OBJ)) \
		$(COMPROMISE_OBJ) $(LIBNETSTACK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

test: all
	@tests/run.sh

# The suite with every CPU kept busy (tests/run_loaded.sh).
test-loaded: all
	@tests/run_loaded.sh

unit: all
	@$(BUILD)/tests/unit

asan: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory BUILD=build/asan SANITIZE=1 OPT=-O1 build/asan/tests/unit build/asan/tests/badinput
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		CK_FORK=no build/asan/tests/unit && \
	 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		build/asan/tests/badinput

FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -Inetstack/include -Inetstack \
	-fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
FUZZERS := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

build/fuzz/%: tests/fuzz/%.c tests/fuzz/seed_file.h $(NETSTACK_SRC) $(wildcard netstack/*.h netstack/include/ns/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(NETSTACK_SRC) $(PKG_LIBS)

# (fuzz_oci_spec includes the OCI runtime's config.json parser)
build/fuzz/fuzz_oci_spec: tools/moat/oci_spec.c tools/moat/oci.h

# (fuzz_gofer includes the gofer's protocol handler and host backend)
build/fuzz/fuzz_gofer: gofer/server.c gofer/hostfs.c $(wildcard gofer/*.h sentry/vfs/*.h)

# (fuzz_netlink includes the sentry's netlink socket)
build/fuzz/fuzz_netlink: sentry/socket/netlink.c $(wildcard sentry/socket/*.h sentry/kernel/*.h)

# (fuzz_impair includes the impairment bridge's frame handling)
build/fuzz/fuzz_impair: tools/moat/impair_frame.c tools/moat/impair.h

# (fuzz_dut_agent includes the packetimpact DUT agent, netstack flavour)
build/fuzz/fuzz_dut_agent: tools/packetimpact/dut_agent.c

# (fuzz_mailbox includes systrap's stop handling and patch records)
build/fuzz/fuzz_mailbox: $(wildcard platform/systrap/*.c platform/systrap/*.h platform/*.h platform/ptrace/core.h)

# (fuzz_ip6 includes the unit tests' frame builders and books)
build/fuzz/fuzz_ip6: tests/unit/builders.c tests/unit/builders6.c tests/unit/builders.h \
	tests/unit/builders6.h tests/unit/books.h

# (fuzz_tcp includes the unit tests' frame builders and books, and TCP's internals)
build/fuzz/fuzz_tcp: tests/unit/builders.c tests/unit/builders.h tests/unit/books.h \
	$(wildcard netstack/tcp/*.h)

fuzz: $(DEPS_STAMP) $(FUZZERS)
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZERS)

bench: all
	@tests/bench/run.sh

# More random socket-call sequences than make test runs (tests/diff);
# DIFF_SEQ=FIRST:COUNT:STEPS, default 1:400:300.
diff-random: all
	@DIFF_SEQ=$${DIFF_SEQ:-1:400:300} tests/diff/run.sh random_sequences

# Long-run test (tests/soak/soak.sh), outside make test; SOAK_SECONDS=N.
soak: all
	@tests/soak/soak.sh

run: all
	@tools/demo.sh

packetimpact: all
	@tests/packetimpact/run.sh

# The packetimpact testbench (library in tools/packetimpact, tests in
# tests/packetimpact) and the DUT agent, one source built twice: real
# syscalls (linux) and the netstack's socket API (netstack).
PI_DIR := $(BUILD)/packetimpact
PI_SRC := $(filter-out tools/packetimpact/dut_agent.c,$(wildcard tools/packetimpact/*.c)) \
	$(wildcard tests/packetimpact/*.c)
PI_OBJ := $(PI_SRC:%.c=$(BUILD)/%.o)
PI_BINS := $(PI_DIR)/testbench $(PI_DIR)/dut_agent_linux $(PI_DIR)/dut_agent_netstack
$(PI_OBJ): CFLAGS += -Itools/packetimpact

$(PI_DIR)/testbench: $(PI_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(PI_OBJ) $(PKG_LIBS) -lpthread

$(PI_DIR)/dut_agent_linux: $(BUILD)/tools/packetimpact/dut_agent.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(PKG_LIBS)

$(BUILD)/tools/packetimpact/dut_agent_netstack.o: tools/packetimpact/dut_agent.c
	@mkdir -p $(dir $@)
	@echo "  CC $< (netstack)"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -DDUT_NETSTACK -c $< -o $@

$(PI_DIR)/dut_agent_netstack: $(BUILD)/tools/packetimpact/dut_agent_netstack.o $(LIBNETSTACK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBNETSTACK) $(PKG_LIBS) -lm

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)

# Everything `make` builds (a separate target so that `all` can install
# missing packages before any compiler flag is computed). Last in the file:
# prerequisites expand when read, so every variable must be defined above.
.PHONY: build-all
build-all: bin/moat $(BUILD)/tests/unit $(HELPERS) $(BENCHES) $(PI_BINS) $(BUILD)/tests/moat-compromise
	@:
