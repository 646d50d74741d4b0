// SPDX-License-Identifier: GPL-2.0
/* bpfmp for tests: what needs test_progs (its shell, the netdevsim pair). */
#include <stdlib.h>
#include <string.h>

#include <net/if.h>

#include "mp.h"
#include "nsim.h"
#include "test_progs.h"

bool test__slow(void)
{
	const char *d = getenv("DEBUG");

	return d && strcmp(d, "0");
}

int mp_no_dmabufs_left(void)
{
	return test__sh("for i in $(seq 50); do grep -q '^Total 0 objects' "
			"/sys/kernel/debug/dma_buf/bufinfo && break; sleep 0.1; done;"
			" grep -q '^Total 0 objects' /sys/kernel/debug/dma_buf/bufinfo");
}

struct ynl_sock *mp_sock_rx(const char *ifname, int *ifindex)
{
	struct ynl_error yerr;
	struct ynl_sock *ys;

	if (nsim_enter_ns(NSIM_RX_NS))
		return NULL;
	ys = ynl_sock_create(&ynl_bpf_mp_family, &yerr);
	*ifindex = if_nametoindex(ifname);
	nsim_enter_ns(NULL);
	return ys;
}
