# bpfmp: BPF-steered RX memory providers.
#
#   make            deps + kernel + tools + BPF objects + mpctl + examples
#                   + selftests
#   make test       all of the above, then every suite (QEMU); DEBUG=1 for
#                   the KASAN/lockdep kernel
#   make vm         a shell in the test VM
#   make patches    regenerate kernel/patches/ from the cache tree's commits
#   make install    mpctl, the policy library, headers, man pages, completion
#                   (PREFIX=/usr/local, DESTDIR); make help lists the rest
#
# Objects go to build/; the kernel tree, its objects and ccache live in
# $(CACHE) so a fresh clone rebuilds in minutes, not from scratch.

TOP	:= $(abspath .)
B	:= $(TOP)/build
CACHE	?= $(if $(BPFMP_CACHE),$(BPFMP_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/bpfmp)
export BPFMP_CACHE := $(CACHE)
SRC	:= $(CACHE)/linux
DEBUG	?= 0
export DEBUG
FLAVOUR	:= $(if $(filter 0,$(DEBUG)),base,debug)
KOUT	:= $(B)/kernel-$(FLAVOUR)
VMLINUX	:= $(KOUT)/vmlinux
UAPI	:= $(KOUT)/usr/include

CLANG	?= clang-19
LLVM_STRIP ?= llvm-strip-19
CC	:= gcc
CFLAGS	?= -O2 -g
WERROR	?= $(if $(CI),-Werror,)
USER_CFLAGS := -std=gnu11 -Wall -Wextra -Wno-unused-parameter $(WERROR) \
	$(CFLAGS) -isystem $(UAPI) -I$(B)/libbpf/include -I$(TOP)/include

LIBBPF	:= $(B)/libbpf/libbpf.a
BPFTOOL	:= $(B)/bpftool/bpftool
YNL_DIR	:= $(B)/ynl
LIBYNL	:= $(YNL_DIR)/libynl.a
YNL_FAMILIES := netdev ethtool bpf-mp
YNL_GEN_ARGS_ethtool := --user-header linux/ethtool_netlink.h --exclude-op stats-get
TOOL_LIBS := -lelf -lz

Q	:= $(if $(V),,@)

.PHONY: all build deps kernel kernel-nomp tools bpf examples selftests kselftest bpf-ci test vm demo bench soak patches clean distclean \
	install install-files uninstall help

# Where "make install" puts things.  BPFMP_LIBDIR is also compiled into
# mpctl as the last place it looks for the policy library (loader/paths.c).
PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
LIBDIR	?= $(PREFIX)/lib
BPFMP_LIBDIR ?= $(LIBDIR)/bpfmp
INCLUDEDIR ?= $(PREFIX)/include
MANDIR	?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system

# The version lives in VERSION; a git checkout adds its commit.
VERSION	:= $(shell cat $(TOP)/VERSION)
GIT_REV	:= $(shell git -C $(TOP) describe --always --dirty --abbrev=7 --match=NONE 2>/dev/null)
MPCTL_VERSION := $(VERSION)$(if $(GIT_REV),+g$(GIT_REV))

# Two passes: make caches directory listings, so in the pass that extracts
# the kernel tree the files under it (the YNL specs, tools/) stay "missing"
# and the pattern rules that need them fail on a fresh machine.  The
# second make reads the tree as it is.
ifeq ($(BPFMP_KERNEL_READY),)
all: kernel
	$(Q)$(MAKE) --no-print-directory BPFMP_KERNEL_READY=1 build

deps:
	$(Q)bash scripts/deps.sh

kernel: deps
	$(Q)bash scripts/kernel.sh

# the same series with CONFIG_BPF_MEM_PROVIDER=n (make test boots it)
kernel-nomp: deps
	$(Q)BPFMP_NOMP=1 bash scripts/kernel.sh

# install after the build (as "all" does), the files themselves below
install: kernel
	$(Q)$(MAKE) --no-print-directory BPFMP_KERNEL_READY=1 install
else
all: build
deps kernel kernel-nomp: ;
install: install-files
endif
build: selftests bpf $(B)/mpctl examples bpf-ci

# The paths the docs use ("make build/mpctl"): the rules name $(B)/...,
# an absolute path, which make does not match with a relative one.
build/mpctl build/devmem_rx: build/%: $(B)/% ;

# Nothing below rebuilds just because "kernel" ran: files depend on
# vmlinux, which Kbuild relinks only when something changed.  The empty
# recipe keeps make's built-in "%: %.o" rule away: with "-o kernel" during
# a kernel build, vmlinux.o is newer than vmlinux and make would link it
# itself, and the failed link deletes Kbuild's vmlinux.
$(VMLINUX) $(UAPI): | kernel ;

# --- libbpf and bpftool from the kernel tree ---------------------------------

TOOLS_MAKE := $(MAKE) -s --no-print-directory CC="ccache $(CC)" \
	CLANG=$(CLANG) LLVM_STRIP=$(LLVM_STRIP)

$(LIBBPF): FORCE | kernel
	$(Q)mkdir -p $(B)/libbpf/obj
	$(Q)$(TOOLS_MAKE) -C $(SRC)/tools/lib/bpf OUTPUT=$(B)/libbpf/obj/ \
		BUILD_STATIC_ONLY=1 DESTDIR=$(B)/libbpf prefix= \
		libdir_relative=. install_headers install_lib >/dev/null

$(BPFTOOL): FORCE | kernel
	$(Q)mkdir -p $(B)/bpftool
	$(Q)$(TOOLS_MAKE) -C $(SRC)/tools/bpf/bpftool OUTPUT=$(B)/bpftool/ \
		>/dev/null

tools: $(LIBBPF) $(BPFTOOL)

# --- BPF objects -----------------------------------------------------------

$(B)/vmlinux.h: $(VMLINUX) | $(BPFTOOL)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX) format c >$@.tmp && mv $@.tmp $@

BPF_CFLAGS := -g -O2 --target=bpf -mcpu=v3 -D__TARGET_ARCH_x86 \
	-fms-extensions -Wno-microsoft-anon-tag \
	-I$(B) -I$(B)/libbpf/include -I$(TOP)/include -Wall -Werror


$(B)/bpf/%.bpf.o: bpf/%.bpf.c $(B)/vmlinux.h include/bpf_mp.bpf.h | $(LIBBPF)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/selftests/progs/%.bpf.o: selftests/progs/%.bpf.c $(B)/vmlinux.h include/bpf_mp.bpf.h | $(LIBBPF)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

%.skel.h: %.bpf.o $(BPFTOOL)
	$(Q)$(BPFTOOL) gen skeleton $< name $(notdir $*) >$@.tmp && mv $@.tmp $@


BPF_OBJS := $(patsubst %.bpf.c,$(B)/%.bpf.o,$(wildcard bpf/*.bpf.c))
bpf: $(BPF_OBJS)

# --- YNL C library (netlink families from the kernel tree's specs) ----------

YNL_GEN := python3 $(SRC)/tools/net/ynl/pyynl/ynl_gen_c.py
SPECS	:= $(SRC)/Documentation/netlink/specs
# uapi headers generated from our specs, for as long as the kernel's
# headers_install does not provide them yet (-idirafter: the kernel's win).
YNL_UAPI := $(YNL_DIR)/uapi
YNL_CFLAGS := -std=gnu11 -O2 -g -Wall -Wno-unused-parameter \
	-isystem $(UAPI) -idirafter $(YNL_UAPI) -I$(SRC)/tools/net/ynl/lib -I$(YNL_DIR)

# scripts/kernel.sh copies our spec into the tree (the generator needs a
# MAINTAINERS file above it); this only covers a tree it has not prepared.
$(SPECS)/bpf-mp.yaml: | kernel
	$(Q)cp kernel/specs/bpf-mp.yaml $@

$(YNL_UAPI)/linux/bpf_mp.h: $(SPECS)/bpf-mp.yaml
	$(Q)mkdir -p $(@D)
	$(Q)$(YNL_GEN) --mode uapi --header --spec $< -o $@ >/dev/null

$(YNL_DIR)/bpf-mp-user.h: $(YNL_UAPI)/linux/bpf_mp.h

$(YNL_DIR)/%-user.h: $(SPECS)/%.yaml | $(UAPI)
	$(Q)mkdir -p $(@D)
	$(Q)$(YNL_GEN) --mode user --header $(YNL_GEN_ARGS_$*) --spec $< -o $@ >/dev/null

$(YNL_DIR)/%-user.c: $(SPECS)/%.yaml $(YNL_DIR)/%-user.h
	$(Q)$(YNL_GEN) --mode user --source $(YNL_GEN_ARGS_$*) --spec $< -o $@ >/dev/null
	@# ynl_gen_c names the family by its C name ("bpf_mp"); the kernel
	@# registers the spec's name ("bpf-mp"), which CTRL_CMD_GETFAMILY needs.
	$(Q)sed -i '/^const struct ynl_family ynl_/,/^}/s/\(\.name\t*= "\)$(subst -,_,$*)"/\1$*"/' $@

$(YNL_DIR)/%.o: $(YNL_DIR)/%.c
	$(Q)$(CC) $(YNL_CFLAGS) -c $< -o $@

$(YNL_DIR)/ynl.o: $(SRC)/tools/net/ynl/lib/ynl.c | $(UAPI)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(YNL_CFLAGS) -c $< -o $@

$(LIBYNL): $(YNL_DIR)/ynl.o $(patsubst %,$(YNL_DIR)/%-user.o,$(YNL_FAMILIES))
	$(Q)ar rcs $@ $^

.PRECIOUS: $(YNL_DIR)/%-user.h $(YNL_DIR)/%-user.c

# --- mpctl -------------------------------------------------------------------

MPCTL_SRCS := $(wildcard loader/*.c)
# libinih (Debian's libinih-dev) parses "mpctl apply"'s setup files
MPCTL_LIBS := $(shell pkg-config --libs inih 2>/dev/null || echo -linih)
MPCTL_CFLAGS := $(USER_CFLAGS) -idirafter $(YNL_UAPI) \
	-I$(SRC)/tools/net/ynl/lib -I$(YNL_DIR)

MPCTL_CFLAGS += -I$(B)/gen

# Rewritten only when it changes (a new commit, another PREFIX), so that
# mpctl relinks then and only then.
$(B)/gen/mpctl-config.h: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)printf '#define MPCTL_VERSION "%s"\n#define MPCTL_LIBDIR "%s"\n' \
		'$(MPCTL_VERSION)' '$(BPFMP_LIBDIR)' >$@.tmp
	$(Q)cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

$(B)/mpctl: $(MPCTL_SRCS) loader/*.h $(B)/gen/mpctl-config.h $(LIBBPF) $(LIBYNL)
	$(Q)$(CC) $(MPCTL_CFLAGS) $(MPCTL_SRCS) -o $@ $(LIBYNL) $(LIBBPF) $(TOOL_LIBS) \
		$(MPCTL_LIBS)

# --- examples ---------------------------------------------------------------

# mpctl's size parser and udmabuf checks, shared so that --size means
# what mpctl's --udmabuf means
DEVMEM_RX_SRCS := examples/devmem_rx.c loader/size.c loader/udmabuf.c
$(B)/devmem_rx: $(DEVMEM_RX_SRCS) loader/*.h | $(UAPI)
	$(Q)$(CC) $(USER_CFLAGS) $(DEVMEM_RX_SRCS) -o $@

# An application that carries its own policy (libbpf skeleton + bpf-mp
# netlink through libynl): docs/policies.md.
EX	:= $(B)/examples
$(EX)/own_policy.bpf.o: examples/own_policy/own_policy.bpf.c $(B)/vmlinux.h include/bpf_mp.bpf.h | $(LIBBPF)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(EX)/own_policy: examples/own_policy/own_policy.c $(EX)/own_policy.skel.h $(LIBBPF) $(LIBYNL)
	$(Q)$(CC) $(MPCTL_CFLAGS) -I$(EX) $< -o $@ $(LIBYNL) $(LIBBPF) $(TOOL_LIBS)

# the skeleton's C names: struct own_policy_bpf, own_policy_bpf__open()
$(EX)/own_policy.skel.h: $(EX)/own_policy.bpf.o $(BPFTOOL)
	$(Q)$(BPFTOOL) gen skeleton $< name own_policy_bpf >$@.tmp && mv $@.tmp $@

.SECONDARY: $(EX)/own_policy.bpf.o

examples: $(B)/devmem_rx $(EX)/own_policy

# --- selftests -------------------------------------------------------------

ST	:= $(B)/selftests
TEST_SRCS := $(sort $(wildcard selftests/prog_tests/*.c))
TEST_NAMES := $(notdir $(TEST_SRCS:.c=))
TEST_SKELS := $(patsubst selftests/progs/%.bpf.c,$(ST)/progs/%.skel.h,$(wildcard selftests/progs/*.bpf.c))
ST_LIB_SRCS := selftests/test_progs.c selftests/nsim.c selftests/mp.c selftests/mp_req.c

$(ST)/tests.h: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)printf 'DEFINE_TEST(%s)\n' $(TEST_NAMES) >$@.tmp
	$(Q)cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

ST_CFLAGS := $(USER_CFLAGS) -I$(ST) -I$(ST)/progs -I$(TOP)/selftests \
	-I$(SRC)/tools/net/ynl/lib -I$(YNL_DIR)

$(ST)/test_progs: $(TEST_SRCS) $(ST_LIB_SRCS) selftests/*.h $(ST)/tests.h \
		$(TEST_SKELS) $(LIBBPF) $(LIBYNL)
	$(Q)$(CC) $(ST_CFLAGS) $(TEST_SRCS) $(ST_LIB_SRCS) -o $@ \
		$(LIBBPF) $(LIBYNL) $(TOOL_LIBS)

$(ST)/nltool: selftests/tools/nltool.c selftests/mp_req.c selftests/mp.h $(LIBYNL)
	$(Q)$(CC) $(ST_CFLAGS) $< selftests/mp_req.c -o $@ $(LIBYNL)

$(ST)/stream: selftests/tools/stream.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $< -o $@

# keep the objects bpftool and tests load directly, not just their skeletons
.SECONDARY: $(TEST_SKELS:.skel.h=.bpf.o)

# Upstream's drivers/net kselftest for bpfmp (kernel/patches/0031), built
# where kselftest builds it, beside bpfmp.py in the kernel tree, so that
# "python3 tools/testing/selftests/drivers/net/bpfmp.py" runs as it would
# in a kselftest checkout (selftests/cli/kselftest.sh runs it in the VM).
# OUTPUT explicitly: lib.mk defaults it only when make is not nested.
KSFT_NET := $(SRC)/tools/testing/selftests/drivers/net
KSFT_FILES := $(addprefix $(KSFT_NET)/,bpfmp_rx bpfmp.bpf.o bpfmp_xdp.bpf.o)

kselftest: FORCE | kernel $(UAPI)
ifneq ($(wildcard $(KSFT_NET)/bpfmp.py),)
	@# a series flip (git clean -fd) takes libbpf's installed headers from
	@# bpf.mk's scratch dir but leaves the ignored libbpf.a: rebuild both
	$(Q)[ -e $(KSFT_NET)/tools/include/bpf/bpf_helpers.h ] || rm -rf $(KSFT_NET)/tools
	$(Q)$(MAKE) -s --no-print-directory -C $(KSFT_NET) OUTPUT=$(KSFT_NET) CC="ccache $(CC)" \
		CLANG=$(CLANG) KHDR_INCLUDES="-isystem $(UAPI)" $(KSFT_FILES) >/dev/null
endif

selftests: $(ST)/test_progs $(ST)/nltool $(ST)/stream $(TEST_SKELS:.skel.h=.bpf.o) \
	kselftest

# Upstream BPF CI's test_progs, built from the kernel tree with only the
# bpf_mp test (tools/testing/selftests/bpf/prog_tests/bpf_mp.c, added by the
# series) into build/bpf-ci/; docs/harness.md.  Run it in the VM with
# scripts/vm run -- build/bpf-ci/test_progs -t bpf_mp -v.
bpf-ci: $(LIBBPF) $(BPFTOOL) FORCE | kernel
	$(Q)KSRC=$(SRC) KOUT=$(KOUT) OUT=$(B)/bpf-ci BPF_CI_TOOLS=$(B) \
		CLANG=$(CLANG) bash scripts/bpf-ci.sh

# --- running ---------------------------------------------------------------

test: all
	$(Q)bash scripts/test.sh

vm: all
	$(Q)scripts/vm shell

# DRIVER=e1000e: devmem TCP through e1000e and QEMU's 82574L model instead
demo: all
ifeq ($(DRIVER),e1000e)
	$(Q)scripts/vm run --e1000e -- scripts/demo-e1000e-guest.sh
else
	$(Q)scripts/vm run -- scripts/demo-guest.sh
endif

# the refill microbenchmark, end to end, scale and control (docs/bench.md);
# BENCH_MODE=smoke for a short run
bench: all
	$(Q)bash scripts/bench/run.sh

# the soak (selftests/cli/soak.sh): SOAK attach/detach cycles under traffic
# and devmem streams (1000: about 8 minutes in session 12's run, on two
# vCPUs); DEBUG=1 adds the kmemleak scan
SOAK	?= 1000
soak: all
	$(Q)rm -rf $(B)/soak-results && mkdir -p $(B)/soak-results
	$(Q)BPFMP_TEST_FILTER=soak BPFMP_CLI_SUITES=selftests/cli/soak.sh \
		scripts/vm run --timeout $$(( $(SOAK) * 12 + 900 )) -- \
		env BPFMP_SOAK=$(SOAK) selftests/run_in_vm.sh $(B)/soak-results

patches:
	$(Q)bash scripts/patches.sh

# --- install ---------------------------------------------------------------

MAN_PAGES := man/mpctl.8 man/bpf_mp_ops.7
# libbpf's BPF-side headers, which bpf_mp.bpf.h includes: installed beside
# it under include/bpfmp/ so a policy builds with -I$(INCLUDEDIR)/bpfmp
# against the libbpf mpctl was built with, whatever libbpf-dev has.
LIBBPF_BPF_HDRS := bpf_helpers.h bpf_helper_defs.h bpf_tracing.h \
	bpf_core_read.h bpf_endian.h
UNITS	:= $(wildcard dist/*.service)
INSTALL	?= install

install-files: $(B)/mpctl $(BPF_OBJS) $(LIBBPF)
	$(INSTALL) -D -m 0755 $(B)/mpctl $(DESTDIR)$(SBINDIR)/mpctl
	$(INSTALL) -d $(DESTDIR)$(BPFMP_LIBDIR)
	$(INSTALL) -m 0644 $(BPF_OBJS) $(DESTDIR)$(BPFMP_LIBDIR)/
	$(INSTALL) -D -m 0644 include/bpf_mp.bpf.h $(DESTDIR)$(INCLUDEDIR)/bpfmp/bpf_mp.bpf.h
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR)/bpfmp/bpf
	$(INSTALL) -m 0644 $(addprefix $(B)/libbpf/include/bpf/,$(LIBBPF_BPF_HDRS)) \
		$(DESTDIR)$(INCLUDEDIR)/bpfmp/bpf/
	$(INSTALL) -D -m 0644 man/mpctl.8 $(DESTDIR)$(MANDIR)/man8/mpctl.8
	$(INSTALL) -D -m 0644 man/bpf_mp_ops.7 $(DESTDIR)$(MANDIR)/man7/bpf_mp_ops.7
	$(INSTALL) -D -m 0644 completion/mpctl $(DESTDIR)$(BASHCOMPDIR)/mpctl
	$(if $(UNITS),$(INSTALL) -d $(DESTDIR)$(SYSTEMDUNITDIR))
	$(if $(UNITS),$(INSTALL) -m 0644 $(UNITS) $(DESTDIR)$(SYSTEMDUNITDIR)/)

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/mpctl $(DESTDIR)$(MANDIR)/man8/mpctl.8 \
		$(DESTDIR)$(MANDIR)/man7/bpf_mp_ops.7 $(DESTDIR)$(BASHCOMPDIR)/mpctl \
		$(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(UNITS)))
	rm -rf $(DESTDIR)$(BPFMP_LIBDIR) $(DESTDIR)$(INCLUDEDIR)/bpfmp

help:
	@echo 'bpfmp make targets:'
	@echo '  all (default)  deps, kernel, libbpf/bpftool, BPF objects, mpctl, examples, selftests'
	@echo '  test           build, then every suite: host tests and the VM (QEMU); DEBUG=1 for'
	@echo '                 the KASAN/lockdep kernel, BPFMP_TEST_FILTER=NAME for a subset'
	@echo '  demo           boot the VM and run the demo (policies, device memory, traffic)'
	@echo '  vm             a root shell in the test VM'
	@echo '  bench          refill cost vs page_pool and upstream devmem, end to end, scale'
	@echo '                 (tables, build/bench/*.csv,json,png; docs/bench.md)'
	@echo '  install        mpctl, policy library, headers, man pages, completion, systemd'
	@echo '                 unit (PREFIX=$(PREFIX), DESTDIR=)'
	@echo '  uninstall      remove what install put there (same PREFIX, DESTDIR)'
	@echo '  deps           Debian packages and the kernel source package'
	@echo '  kernel         patch and build the kernel in $(CACHE)'
	@echo '  kernel-nomp    the same kernel with CONFIG_BPF_MEM_PROVIDER=n (drivers without bpfmp)'
	@echo '  build          everything after the kernel: tools bpf build/mpctl examples selftests'
	@echo '  bpf-ci         upstream test_progs with only bpf_mp, into build/bpf-ci (docs/harness.md)'
	@echo '  soak           SOAK=1000 attach/detach cycles under traffic in the VM (DEBUG=1: kmemleak too)'
	@echo '  patches        regenerate kernel/patches/ from the cache tree (docs/harness.md)'
	@echo '  clean          remove build/; distclean also the kernel tree and objects'
	@echo 'Variables: V=1 (commands), CI=1 (-Werror), DEBUG=1, KERNEL_SRC=DIR, PREFIX, DESTDIR'

clean:
	rm -rf $(B)

distclean: clean
	rm -rf $(CACHE)/out-* $(CACHE)/linux

FORCE:
