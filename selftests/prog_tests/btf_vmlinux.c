// SPDX-License-Identifier: GPL-2.0
/* The running kernel carries bpfmp: its types are in the kernel's BTF. */
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "test_progs.h"

void test_btf_vmlinux(void)
{
	static const struct {
		const char *name;
		int kind;
	} want[] = {
		{ "bpf_mp_ops", BTF_KIND_STRUCT },
		{ "bpf_mp_ctx", BTF_KIND_STRUCT },
		{ "bpf_mp_backend", BTF_KIND_ENUM },
		/* the struct_ops map value type the kernel builds for us */
		{ "bpf_struct_ops_bpf_mp_ops", BTF_KIND_STRUCT },
	};
	struct btf *btf;
	size_t i;

	btf = btf__load_vmlinux_btf();
	if (!ASSERT_OK_PTR(btf, "load vmlinux BTF"))
		return;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ASSERT_GT(btf__find_by_name_kind(btf, want[i].name, want[i].kind),
			  0, want[i].name);
	btf__free(btf);
}
