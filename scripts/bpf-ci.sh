#!/usr/bin/env bash
# Build upstream BPF CI's test_progs with only the bpf_mp test.
#
#   scripts/bpf-ci.sh            build into build/bpf-ci/
#   scripts/vm run -- build/bpf-ci/test_progs -t bpf_mp -v
#
# Upstream's own selftests/bpf build makes hundreds of BPF objects and
# bpf_testmod.ko (our tinyconfig kernel has no modules), far too much for
# this machine.  This builds the same harness from the kernel tree's
# sources, the way tools/testing/selftests/bpf/Makefile does for the
# test_progs runner, but only for the bpf_mp test:
#
#   - vmlinux.h from the built kernel's BTF (bpftool btf dump);
#   - progs/bpf_mp_*.c with upstream's BPF_CFLAGS, then "bpftool gen object"
#     (linked three times, as the Makefile checks) and "gen skeleton";
#   - prog_tests/tests.h listing DEFINE_TEST(bpf_mp) alone (upstream
#     generates it from every prog_tests/*.c);
#   - verification_cert.h generated as upstream does (verify_sig_setup.sh
#     genkey, od), since test_progs.c includes it;
#   - test_progs.c and the helper sources its runner links
#     (TRUNNER_EXTRA_SOURCES and TRUNNER_LIB_SOURCES), against the tree's
#     libbpf, with upstream's CFLAGS (-Werror);
#   - on a kernel without CONFIG_KEYS, scripts/lib/bpf-ci-nokeys.c (see there).
#
# Environment:
#   KSRC       kernel tree with the bpf_mp selftests (default: the cache tree)
#   KOUT       built kernel (vmlinux with BTF, usr/include from headers_install;
#              default build/kernel-base)
#   BPF_CI_TOOLS  a directory with libbpf/ (libbpf.a, include/) and
#              bpftool/bpftool already built from KSRC (default build/, as
#              "make tools" leaves them); when they are missing both are built
#              from KSRC under build/bpf-ci/
#   OUT        output directory (default build/bpf-ci)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${BPFMP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bpfmp}
KSRC=${KSRC:-$CACHE/linux}
KOUT=${KOUT:-$top/build/kernel-base}
OUT=${OUT:-$top/build/bpf-ci}
TOOLS=${BPF_CI_TOOLS:-$top/build}
CLANG=${CLANG:-clang-19}
CC=${CC:-gcc}
SELF=$KSRC/tools/testing/selftests/bpf
J=${J:-2}

msg() { printf '  %-10s %s\n' "$1" "$2" >&2; }
die() { echo "bpf-ci: $*" >&2; exit 1; }

[ -f "$SELF/prog_tests/bpf_mp.c" ] ||
	die "no $SELF/prog_tests/bpf_mp.c: KSRC needs the 'selftests/bpf: add bpf_mp tests' commit"
[ -f "$KOUT/vmlinux" ] || die "no $KOUT/vmlinux (run 'make kernel')"
[ -d "$KOUT/usr/include/linux" ] || die "no $KOUT/usr/include (headers_install)"

start=$(date +%s)
mkdir -p "$OUT/obj" "$OUT/prog_tests"

# --- libbpf and bpftool from the tree ------------------------------------

if [ -f "$TOOLS/libbpf/libbpf.a" ] && [ -d "$TOOLS/libbpf/include/bpf" ]; then
	LIBBPF_DIR=$TOOLS/libbpf
else
	LIBBPF_DIR=$OUT/libbpf
	msg LIBBPF "$LIBBPF_DIR"
	mkdir -p "$LIBBPF_DIR/obj"
	make -s -j"$J" -C "$KSRC/tools/lib/bpf" OUTPUT="$LIBBPF_DIR/obj/" \
		BUILD_STATIC_ONLY=1 DESTDIR="$LIBBPF_DIR" prefix= \
		libdir_relative=. install_headers install_lib >/dev/null
fi
if [ -x "$TOOLS/bpftool/bpftool" ]; then
	BPFTOOL=$TOOLS/bpftool/bpftool
else
	BPFTOOL=$OUT/bpftool/bpftool
	msg BPFTOOL "$BPFTOOL"
	mkdir -p "$OUT/bpftool"
	make -s -j"$J" -C "$KSRC/tools/bpf/bpftool" OUTPUT="$OUT/bpftool/" \
		CLANG="$CLANG" >/dev/null
fi

# --- BPF objects and skeletons --------------------------------------------

msg GEN vmlinux.h
"$BPFTOOL" btf dump file "$KOUT/vmlinux" format c >"$OUT/vmlinux.h.tmp"
mv "$OUT/vmlinux.h.tmp" "$OUT/vmlinux.h"

# upstream's BPF_CFLAGS and CLANG_BPF_BUILD_RULE
sys_inc=$($CLANG -v -E - </dev/null 2>&1 |
	sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS=(-g -Wall -Werror -D__TARGET_ARCH_x86 -mlittle-endian
	-I"$OUT" -I"$SELF" -I"$KSRC/tools/include/uapi" -I"$KSRC/tools/include"
	-I"$SELF/libarena/include" -I"$LIBBPF_DIR/include"
	-I"$KOUT/usr/include" -std=gnu11 -fno-strict-aliasing
	-Wno-microsoft-anon-tag -fms-extensions
	-Wno-compare-distinct-pointer-types -Wno-initializer-overrides
	$sys_inc)

skels=()
for src in "$SELF"/progs/bpf_mp_*.c; do
	name=$(basename "$src" .c)
	o=$OUT/obj/$name.bpf.o
	msg CLNG-BPF "$name.bpf.o"
	$CLANG "${BPF_CFLAGS[@]}" -O2 --target=bpfel -c "$src" -mcpu=v3 -o "$o"
	"$BPFTOOL" gen object "${o%.o}.linked1.o" "$o"
	"$BPFTOOL" gen object "${o%.o}.linked2.o" "${o%.o}.linked1.o"
	"$BPFTOOL" gen object "${o%.o}.linked3.o" "${o%.o}.linked2.o"
	cmp -s "${o%.o}.linked2.o" "${o%.o}.linked3.o" ||
		die "$name: bpftool gen object is not idempotent"
	msg GEN-SKEL "$name.skel.h"
	"$BPFTOOL" gen skeleton "${o%.o}.linked3.o" name "$name" >"$OUT/$name.skel.h"
	rm -f "${o%.o}".linked[123].o
	skels+=("$name")
done

# --- generated headers -----------------------------------------------------

msg TEST-HDR prog_tests/tests.h
{
	echo '/* Generated header, do not edit */'
	sed -n -E 's/^void (serial_)?test_([a-zA-Z0-9_]+)\((void)?\).*/DEFINE_TEST(\2)/p' \
		"$SELF/prog_tests/bpf_mp.c" | sort
} >"$OUT/prog_tests/tests.h"
grep -q 'DEFINE_TEST(bpf_mp)' "$OUT/prog_tests/tests.h" || die "no test_bpf_mp() in bpf_mp.c"

if [ ! -s "$OUT/verification_cert.h" ]; then
	msg GEN verification_cert.h
	mkdir -p "$OUT/sig"
	(cd "$OUT/sig" && bash "$SELF/verify_sig_setup.sh" genkey "$OUT/sig" >/dev/null 2>&1)
	{
		echo "unsigned char test_progs_verification_cert[] = {"
		od -v -t 'xC' -w12 "$OUT/sig/signing_key.der" |
			sed 's/ \(\S\+\)/ 0x\1,/g;s/^\S\+/ /;$d'
		echo "};"
		echo "unsigned int test_progs_verification_cert_len = $(wc -c <"$OUT/sig/signing_key.der");"
	} >"$OUT/verification_cert.h"
fi

# --- test_progs ------------------------------------------------------------

# upstream's COMMON_CFLAGS (OPT_FLAGS -O0 unless RELEASE), KHDR_INCLUDES
# (GENDIR is the kernel's include/generated: in KOUT for an O= build), and
# lib.mk's -D_GNU_SOURCE= and -I of the selftests directory
genflags=()
[ -f "$KOUT/include/generated/autoconf.h" ] && genflags=(-DHAVE_GENHDR)
CFLAGS=(-g -O0 -rdynamic -std=gnu11 -Wall -Werror -fno-omit-frame-pointer
	-Wno-unused-but-set-variable "${genflags[@]}"
	-I"$OUT" -I"$SELF" -I"$KOUT/include/generated" -I"$KSRC/tools/lib" -I"$LIBBPF_DIR/include"
	-I"$KSRC/tools/include" -I"$KSRC/tools/arch/x86/include"
	-I"$KSRC/tools/include/uapi" -I"$SELF/libarena/include"
	-isystem "$KOUT/usr/include" -D_GNU_SOURCE= -I"$KSRC/tools/testing/selftests")
LDLIBS=(-lelf -lz -lrt -lpthread)

# what the test_progs runner links (TRUNNER_EXTRA_SOURCES, TRUNNER_LIB_SOURCES)
# minus the generated headers and the skeletons of tests not built here
helpers=(test_progs.c cgroup_helpers.c trace_helpers.c network_helpers.c
	testing_helpers.c btf_helpers.c cap_helpers.c unpriv_helpers.c
	sysctl_helpers.c netlink_helpers.c jit_disasm_helpers.c io_helpers.c
	test_loader.c xsk.c disasm.c disasm_helpers.c json_writer.c
	bpftool_helpers.c find_bit.c)

objs=()
pids=()
for f in "${helpers[@]}"; do
	case $f in
	disasm.c) src=$KSRC/kernel/bpf/disasm.c ;;
	find_bit.c) src=$KSRC/tools/lib/find_bit.c ;;
	*) src=$SELF/$f ;;
	esac
	[ -f "$src" ] || die "missing $src"
	o=$OUT/obj/${f%.c}.o
	objs+=("$o")
	msg CC "$f"
	$CC "${CFLAGS[@]}" -c "$src" -o "$o" &
	pids+=($!)
	if [ ${#pids[@]} -ge "$J" ]; then
		wait "${pids[0]}"
		pids=("${pids[@]:1}")
	fi
done
for p in "${pids[@]}"; do wait "$p"; done

msg TEST-OBJ bpf_mp.test.o
(cd "$OUT" && $CC -I. "${CFLAGS[@]}" -c "$SELF/prog_tests/bpf_mp.c" -o obj/bpf_mp.test.o)

# test_progs exits when it cannot add its signing key; a kernel without
# CONFIG_KEYS (upstream's config has it, our tinyconfig has not) gets the
# shim of scripts/lib/bpf-ci-nokeys.c
shim=()
if ! grep -q '^CONFIG_KEYS=y' "$KOUT/.config"; then
	msg CC "bpf-ci-nokeys.c (kernel without CONFIG_KEYS)"
	$CC -O2 -Wall -Werror -c "$top/scripts/lib/bpf-ci-nokeys.c" -o "$OUT/obj/nokeys.o"
	shim=("$OUT/obj/nokeys.o" -Wl,--wrap=syscall)
fi

msg BINARY test_progs
$CC "${CFLAGS[@]}" "${objs[@]}" "$OUT/obj/bpf_mp.test.o" "${shim[@]}" \
	"$LIBBPF_DIR/libbpf.a" "${LDLIBS[@]}" -o "$OUT/test_progs"
ln -sfn "$BPFTOOL" "$OUT/bpftool"

end=$(date +%s)
echo "bpf-ci: built $OUT/test_progs (bpf_mp only: ${#skels[@]} BPF objects) in $((end - start))s"
