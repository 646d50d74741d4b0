// SPDX-License-Identifier: GPL-2.0
/* bpf_mp_ops policies register by unique name and must implement select. */
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/libbpf.h>

#include "test_progs.h"
#include "mp_bad_ctx_read.skel.h"
#include "mp_bad_ctx_write.skel.h"
#include "mp_bad_sleepable.skel.h"
#include "mp_bad_split_init.skel.h"
#include "mp_basic.skel.h"
#include "mp_no_select.skel.h"

static void register_and_unregister(void)
{
	struct mp_basic *skel;
	struct bpf_link *link;

	skel = mp_basic__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	link = bpf_map__attach_struct_ops(skel->maps.st_basic);
	ASSERT_OK_PTR(link, "attach st_basic");
	ASSERT_EQ(test__sh("bpftool struct_ops list | grep -qw st_basic"), 0,
		  "bpftool lists st_basic");
	bpf_link__destroy(link);
	/* the name is free again once unregistered */
	link = bpf_map__attach_struct_ops(skel->maps.st_basic);
	ASSERT_OK_PTR(link, "re-attach st_basic");
	bpf_link__destroy(link);
	mp_basic__destroy(skel);
}

static void duplicate_name(void)
{
	struct mp_basic *a, *b;
	struct bpf_link *la, *lb;

	a = mp_basic__open_and_load();
	b = mp_basic__open_and_load();
	if (!ASSERT_OK_PTR(a, "load a") || !ASSERT_OK_PTR(b, "load b"))
		goto out;
	la = bpf_map__attach_struct_ops(a->maps.st_basic);
	ASSERT_OK_PTR(la, "attach first");
	lb = bpf_map__attach_struct_ops(b->maps.st_basic);
	ASSERT_FALSE(lb, "attach second with the same name");
	ASSERT_EQ(errno, EEXIST, "errno");
	bpf_link__destroy(lb);
	bpf_link__destroy(la);
out:
	mp_basic__destroy(a);
	mp_basic__destroy(b);
}

static void select_required(void)
{
	struct mp_no_select *skel;
	struct bpf_link *link;

	skel = mp_no_select__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	/* the kernel validates the ops when they are registered */
	link = bpf_map__attach_struct_ops(skel->maps.st_no_select);
	ASSERT_FALSE(link, "attach policy without select");
	ASSERT_EQ(errno, EINVAL, "errno");
	bpf_link__destroy(link);
	mp_no_select__destroy(skel);
}

/*
 * Open skeleton @skel, load it with program @prog's verifier log captured:
 * the load must fail and the log must say @msg.
 */
#define EXPECT_VERIFIER_REFUSES(skel, prog, msg) do {			\
	static char ___log[65536];					\
	struct skel *___s = skel##__open();				\
									\
	___log[0] = 0;							\
	if (ASSERT_OK_PTR(___s, "open " #skel)) {			\
		bpf_program__set_log_buf(___s->progs.prog, ___log,	\
					 sizeof(___log));		\
		bpf_program__set_log_level(___s->progs.prog, 1);	\
		ASSERT_ERR(skel##__load(___s), "load " #skel);		\
		if (!ASSERT_TRUE(strstr(___log, msg), "log: " msg))	\
			fprintf(stderr, "verifier log:\n%s\n", ___log);	\
	}								\
	skel##__destroy(___s);						\
} while (0)

/* Verifier negatives, each refused with its own log line. */
static void verifier_refusals(void)
{
	struct mp_basic *ok;

	/* select runs in NAPI: a sleepable one would sleep in softirq */
	EXPECT_VERIFIER_REFUSES(mp_bad_sleepable, bad_sleepable_select,
				"attach to unsupported member select of struct bpf_mp_ops");
	/* the kernel's private request state lies beyond the ctx type */
	EXPECT_VERIFIER_REFUSES(mp_bad_ctx_read, bad_ctx_read_select,
				"access beyond struct bpf_mp_ctx");
	EXPECT_VERIFIER_REFUSES(mp_bad_ctx_write, bad_ctx_write_select,
				"only read is supported");
	EXPECT_VERIFIER_REFUSES(mp_bad_split_init, bad_split_init_prog,
				"calling kernel function bpf_mp_split is not allowed");
	/* positive control: the same kind of object loads */
	ok = mp_basic__open_and_load();
	ASSERT_OK_PTR(ok, "a well-formed policy loads");
	mp_basic__destroy(ok);
}

/*
 * Policy names are global (queues of every netns re-bind by name), so
 * registering needs CAP_NET_ADMIN in the initial user namespace: a
 * process with the BPF capabilities but not that one is refused.
 */
static void register_needs_cap_net_admin(void)
{
	struct mp_basic *skel = mp_basic__open_and_load();
	struct bpf_link *link;
	int status = -1;
	pid_t pid;

	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	pid = fork();
	if (pid == 0) {
		struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct data[2] = {};

		data[0].permitted = data[0].effective = 1U << CAP_SYS_ADMIN;
		data[1].permitted = data[1].effective = 1U << (CAP_BPF - 32);
		if (syscall(SYS_capset, &hdr, data))
			_exit(3);
		link = bpf_map__attach_struct_ops(skel->maps.st_basic);
		_exit(!link && errno == EPERM ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status), "child exited");
	ASSERT_EQ(WEXITSTATUS(status), 0, "register without CAP_NET_ADMIN gets EPERM");
	/* the name is still free: the child registered nothing */
	link = bpf_map__attach_struct_ops(skel->maps.st_basic);
	ASSERT_OK_PTR(link, "register with CAP_NET_ADMIN");
	bpf_link__destroy(link);
	mp_basic__destroy(skel);
}

void test_policy_register(void)
{
	if (test__start_subtest("register_unregister"))
		register_and_unregister();
	if (test__start_subtest("duplicate_name"))
		duplicate_name();
	if (test__start_subtest("select_required"))
		select_required();
	if (test__start_subtest("verifier_refusals"))
		verifier_refusals();
	if (test__start_subtest("register_needs_cap_net_admin"))
		register_needs_cap_net_admin();
}
