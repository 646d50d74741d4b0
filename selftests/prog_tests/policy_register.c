// SPDX-License-Identifier: GPL-2.0
/* bpf_mp_ops policies register by unique name and must implement select. */
#include <bpf/libbpf.h>

#include "test_progs.h"
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

void test_policy_register(void)
{
	if (test__start_subtest("register_unregister"))
		register_and_unregister();
	if (test__start_subtest("duplicate_name"))
		duplicate_name();
	if (test__start_subtest("select_required"))
		select_required();
}
