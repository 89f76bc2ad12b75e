# havpn: GNU make, no autotools.
#
#   make              bin/havpnd and bin/havpnctl
#   make check        deps, build, unit tests (plain and ASan+UBSan),
#                     short fuzz runs, integration tests
#   make check-unit   the cmocka runners
#   make check-integration   pytest with network namespaces (root);
#                     SAN=1: against havpnd and havpnctl built with
#                     ASan + UBSan, a sanitizer report fails the test
#   make check-repeat N=10 LOAD=1   the integration suite N times, one
#                     core kept busy, to find flaky tests
#   make sanitize     ASan + UBSan build running the unit tests
#   make fuzz         libFuzzer targets, FUZZ_SECONDS each (default 10)
#   make fuzz-coverage  edges covered per source file by every target
#   make bench        every benchmark in bench/, printing its figures
#   make demo         a gateway pair and a remote peer in namespaces
#   make install      PREFIX (/usr/local), DESTDIR
#   make deps         scripts/install-deps

PREFIX		?= /usr/local
DESTDIR		?=
CC		?= gcc
FUZZ_SECONDS	?= 10
PYTHON		?= /usr/bin/python3
PYTEST_ARGS	?=

# Quiet build lines ("CC file"); V=1 prints the commands.
V		?= 0
ifeq ($(V),0)
Q		:= @
SAY		 = @printf '  %-6s %s\n'
else
Q		:=
SAY		 = @:
endif

PKGS		:= openssl libprotobuf-c usrsctp libsctp json-c
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Debian's libev ships no pkg-config file.
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lev -lpthread

# pkg-config is read once, when make starts: on a fresh machine that is
# before deps has installed anything.  check and demo therefore install
# first and build in a second make; a build asked for directly says what
# is missing instead of failing on a header.
PKG_OK		:= $(shell pkg-config --exists $(PKGS) 2>/dev/null && echo yes)
INSTALL_GOALS	:= deps check demo clean
ifneq ($(PKG_OK),yes)
ifneq ($(filter-out $(INSTALL_GOALS),$(or $(MAKECMDGOALS),all)),)
# Each package asked on its own, so that the error names the missing ones.
PKG_MISSING	:= $(if $(shell command -v pkg-config),pkg-config finds no \
		   $(foreach p,$(PKGS),$(if $(shell pkg-config --exists $(p) \
		   2>/dev/null && echo y),,$(p))),no pkg-config)
$(error build libraries missing ($(strip $(PKG_MISSING))): run "make deps" \
    first, or "make check" / "make demo", which install them)
endif
endif

WARN		:= -Wall -Wextra -Wshadow -Wstrict-prototypes \
		   -Wmissing-prototypes -Werror
CFLAGS		?= -O2 -g
ALL_CFLAGS	:= -std=gnu11 $(WARN) $(CFLAGS) -I. -Ibuild/gen $(PKG_CFLAGS) \
		   -D_GNU_SOURCE -MMD -MP

# Modules linked into the daemon and the unit tests, in link order.  A
# module's test_*.c files (fakes, hooks into its internals) are linked
# into the unit tests, fuzzers, test tools and benchmarks, never into
# havpnd.
MODULES		:= hasync ipc vrrp esp ike/v2 ike conf alg lib
TEST_SRCS	:= $(foreach m,$(MODULES),$(wildcard $(m)/test_*.c))
MOD_SRCS	:= $(filter-out $(TEST_SRCS), \
		   $(foreach m,$(MODULES),$(wildcard $(m)/*.c)))
DAEMON_SRCS	:= $(wildcard daemon/*.c)
CLI_SRCS	:= $(wildcard cli/*.c)
PROTOS		:= $(wildcard hasync/*.proto)
GEN_SRCS	:= $(patsubst hasync/%.proto,build/gen/%.pb-c.c,$(PROTOS))

OBJ		:= build/obj
MOD_OBJS	:= $(patsubst %.c,$(OBJ)/%.o,$(MOD_SRCS) $(GEN_SRCS))
TEST_OBJS	:= $(patsubst %.c,$(OBJ)/%.o,$(TEST_SRCS))
DAEMON_OBJS	:= $(patsubst %.c,$(OBJ)/%.o,$(DAEMON_SRCS))
CLI_OBJS	:= $(patsubst %.c,$(OBJ)/%.o,$(CLI_SRCS))

UNIT_SRCS	:= $(wildcard tests/unit/test_*.c)
UNIT_BINS	:= $(patsubst tests/unit/%.c,build/tests/%,$(UNIT_SRCS))
UNIT_HELPERS	:= $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))

# Test tools (traffic generators, standalone module drivers), built for the
# integration tests: build/tools/NAME from tests/tools/NAME.c, linked with
# every module and the modules' test files.
TOOL_SRCS	:= $(wildcard tests/tools/*.c)
TOOL_BINS	:= $(patsubst tests/tools/%.c,build/tools/%,$(TOOL_SRCS))

FUZZ_SRCS	:= $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS	:= $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))

.PHONY: all tools check check-unit check-integration check-repeat sanitize san-bin \
	fuzz fuzz-build fuzz-coverage bench demo install clean deps
.SUFFIXES:
# The generated protobuf sources are kept: deleting them as intermediates
# made every later make regenerate the header and rebuild hasync.
.SECONDARY: $(GEN_SRCS)

all: bin/havpnd bin/havpnctl build/man/havpn.conf.5

# havpn.conf(5) is made from the configuration reference, so the two agree.
build/man/havpn.conf.5: docs/configuration.md scripts/md2man
	@mkdir -p $(@D)
	$(SAY) MAN $@
	$(Q)scripts/md2man havpn.conf 5 "havpn configuration file" < $< > $@

deps:
	@scripts/install-deps

bin/havpnd: $(DAEMON_OBJS) $(MOD_OBJS)
	@mkdir -p $(@D)
	$(SAY) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(PKG_LIBS)

# havpnctl: its printers, lib and the algorithm tables (display names).
LIB_OBJS	:= $(patsubst %.c,$(OBJ)/%.o,$(wildcard alg/*.c lib/*.c))

bin/havpnctl: $(CLI_OBJS) $(LIB_OBJS)
	@mkdir -p $(@D)
	$(SAY) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(PKG_LIBS)

$(OBJ)/%.o: %.c | $(GEN_SRCS)
	@mkdir -p $(@D)
	$(SAY) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/gen/%.pb-c.c: hasync/%.proto
	@mkdir -p $(@D)
	$(SAY) PROTOC $<
	$(Q)protoc-c --proto_path=hasync --c_out=build/gen $<

# The generated code is not ours: compile it without -Werror extras.
$(OBJ)/build/gen/%.o: build/gen/%.c
	@mkdir -p $(@D)
	$(SAY) CC $<
	$(Q)$(CC) -std=gnu11 $(CFLAGS) -I. -Ibuild/gen $(PKG_CFLAGS) -c -o $@ $<

build/tests/%: tests/unit/%.c $(UNIT_HELPERS) $(TEST_OBJS) $(MOD_OBJS)
	@mkdir -p $(@D)
	$(SAY) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $(filter %.c %.o,$^) \
	    $(PKG_LIBS) -lcmocka

# The printers' test also links havpnctl's renderers (not its main).
RENDER_OBJS	 = $(filter-out $(OBJ)/cli/havpnctl.o,$(CLI_OBJS))
build/tests/test_render: $(RENDER_OBJS)
build/san-tests/test_render: $(RENDER_OBJS)

check: deps
	@$(MAKE) --no-print-directory all check-unit sanitize fuzz \
	    check-integration

check-unit: $(UNIT_BINS)
	@tests/unit/run.sh $(UNIT_BINS)

tools: $(TOOL_BINS)

build/tools/%: tests/tools/%.c $(TEST_OBJS) $(MOD_OBJS)
	@mkdir -p $(@D)
	$(SAY) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(filter %.c %.o,$^) $(PKG_LIBS)

# SAN=1: the daemon and havpnctl from build/san-bin (ASan + UBSan), their
# reports written under build/san-logs, which the tests' fixtures read.
SAN		?= 0
SAN_LOGS	:= $(CURDIR)/build/san-logs
ifeq ($(SAN),1)
SAN_ENV		:= HAVPN_BIN=$(CURDIR)/build/san-bin HAVPN_SAN_LOGS=$(SAN_LOGS) \
		   ASAN_OPTIONS=detect_leaks=1:log_path=$(SAN_LOGS)/asan \
		   UBSAN_OPTIONS=print_stacktrace=1:log_path=$(SAN_LOGS)/ubsan
SAN_DEPS	:= san-bin
endif
check-integration: all tools $(SAN_DEPS)
	cd tests/integration && $(SAN_ENV) $(PYTHON) -m pytest -q \
	    -p no:cacheprovider $(PYTEST_ARGS)

san-bin:
	@$(MAKE) --no-print-directory OBJ=build/san-obj CFLAGS="$(SAN_FLAGS)" \
	    build/san-bin/havpnd build/san-bin/havpnctl
	@rm -rf $(SAN_LOGS) && mkdir -p $(SAN_LOGS) && chmod 1777 $(SAN_LOGS)

build/san-bin/havpnd: $(DAEMON_OBJS) $(MOD_OBJS)
	@mkdir -p $(@D)
	$(SAY) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(PKG_LIBS)

build/san-bin/havpnctl: $(CLI_OBJS) $(LIB_OBJS)
	@mkdir -p $(@D)
	$(SAY) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(PKG_LIBS)

# The integration suite N times (LOAD=1: one core kept busy), to find the
# tests that flake; docs/development.md has the pass rate.
N		?= 10
LOAD		?= 0
check-repeat: all tools
	@scripts/check-repeat $(N) $(LOAD)

# ASan + UBSan: the same unit tests in a build of their own.
SAN_FLAGS	:= -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=all
sanitize:
	$(MAKE) --no-print-directory OBJ=build/san-obj \
	    CFLAGS="$(SAN_FLAGS)" \
	    $(patsubst build/tests/%,build/san-tests/%,$(UNIT_BINS))
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    tests/unit/run.sh $(patsubst build/tests/%,build/san-tests/%,$(UNIT_BINS))

build/san-tests/%: tests/unit/%.c $(UNIT_HELPERS) $(TEST_OBJS) $(MOD_OBJS)
	@mkdir -p $(@D)
	$(SAY) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $(filter %.c %.o,$^) \
	    $(PKG_LIBS) -lcmocka

# libFuzzer: clang, every module source (test files included) compiled in
# with the target.
FUZZ_CFLAGS	:= -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		   -I. -Ibuild/gen $(PKG_CFLAGS) -D_GNU_SOURCE
fuzz-build: $(FUZZ_BINS)

# One clang command compiles every source, so no .d files: a target
# depends on every header of the modules (the generated protobuf header
# comes with its .c).
FUZZ_HDRS	:= $(wildcard $(addsuffix /*.h,$(MODULES)))
build/fuzz/%: tests/fuzz/%.c $(TEST_SRCS) $(MOD_SRCS) $(GEN_SRCS) $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(SAY) CLANG $@
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS)

# the encrypted-session and phase 1 targets drive the unit tests'
# two-engine pair
build/fuzz/fuzz_ike_session build/fuzz/fuzz_ike_phase1: \
		tests/unit/ike_pair.c tests/unit/ike_pair.h
build/fuzz/fuzz_ikev2_session build/fuzz/fuzz_ikev2_initiator: \
		tests/unit/ike_pair.c tests/unit/ike_pair.h \
		tests/unit/ike2_peer.c tests/unit/ike2_peer.h

fuzz: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

# Edges covered per source file by every target together, after each ran
# FUZZ_COVERAGE_SECONDS from its seeds (docs/security.md has the table).
FUZZ_COVERAGE_SECONDS ?= 60
fuzz-coverage: fuzz-build
	@tests/fuzz/coverage.sh $(FUZZ_COVERAGE_SECONDS) $(FUZZ_BINS)

bench: all tools build/bench/ikeload
	@bench/run-all

# bench/ike-setup's load generator, built on the engine itself
build/bench/ikeload: bench/ike-setup/ikeload.c $(TEST_OBJS) $(MOD_OBJS)
	@mkdir -p $(@D)
	$(SAY) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(TEST_OBJS) $(MOD_OBJS) $(PKG_LIBS)

demo: deps
	@$(MAKE) --no-print-directory all tools
	@scripts/demo

# The man pages install from tracked sources only: the two written in
# docs/man/, and havpn.conf(5), made by the tracked scripts/md2man from
# the tracked docs/configuration.md (never edited by hand, never stale:
# it is remade whenever either changes).  A stray file in docs/man/ is
# not installed.
MAN_PAGES	:= docs/man/havpnd.8 docs/man/havpnctl.8 build/man/havpn.conf.5

# The unit runs havpnd as the system user havpn (scripts/havpn.sysusers):
# installed for systemd-sysusers, which makes it at boot; without DESTDIR
# (installing on this machine) it is made now, unless it exists or there
# is no systemd (then there is no unit to run either).
install: all $(MAN_PAGES)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/systemd/system \
	    $(DESTDIR)$(PREFIX)/lib/sysusers.d
	install -m 0755 bin/havpnd $(DESTDIR)$(PREFIX)/sbin/havpnd
	install -m 0755 bin/havpnctl $(DESTDIR)$(PREFIX)/sbin/havpnctl
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g' scripts/havpnd.service.in > \
	    build/havpnd.service
	install -m 0644 build/havpnd.service \
	    $(DESTDIR)$(PREFIX)/lib/systemd/system/havpnd.service
	install -m 0644 scripts/havpn.sysusers \
	    $(DESTDIR)$(PREFIX)/lib/sysusers.d/havpn.conf
	if [ -z "$(DESTDIR)" ] && ! getent passwd havpn >/dev/null; then \
	    if command -v systemd-sysusers >/dev/null; then \
	        systemd-sysusers $(PREFIX)/lib/sysusers.d/havpn.conf; \
	    else \
	        echo "make install: no systemd-sysusers: the unit's user" \
	            "havpn is not made (scripts/havpn.sysusers)"; \
	    fi; \
	fi
	for m in $(MAN_PAGES); do \
	    s=$${m##*.}; install -d $(DESTDIR)$(PREFIX)/share/man/man$$s; \
	    install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; \
	done

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
