// SPDX-License-Identifier: GPL-2.0
/*
 * Linked into build/bpf-ci/test_progs (ld --wrap=syscall) only when the
 * kernel was built without CONFIG_KEYS, which upstream's
 * tools/testing/selftests/bpf/config sets and our tinyconfig kernel does
 * not.  test_progs.c's main() adds the key it signs light skeletons with
 * (add_key(2) into the session keyring) and exits when that fails: on
 * such a kernel add_key(2) is ENOSYS.  Only the signed light-skeleton
 * tests use the key; bpf_mp does not.  Every other syscall() goes through
 * unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>

long __real_syscall(long nr, long a1, long a2, long a3, long a4, long a5,
		    long a6);

long __wrap_syscall(long nr, long a1, long a2, long a3, long a4, long a5,
		    long a6)
{
	long ret = __real_syscall(nr, a1, a2, a3, a4, a5, a6);

	if (nr == __NR_add_key && ret < 0 && errno == ENOSYS) {
		fprintf(stderr,
			"bpf-ci: kernel without CONFIG_KEYS: no session key, signed programs cannot load\n");
		return 0;
	}
	return ret;
}
