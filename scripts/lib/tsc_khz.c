// SPDX-License-Identifier: GPL-2.0
/*
 * Print the host's TSC rate in kHz, for the guest's tsc_early_khz=.
 *
 * Under TCG the guest's RDTSC returns the host's TSC, but the guest can
 * only find its rate by calibrating against the emulated PIT, and with
 * the host busy that calibration fails now and then: the guest then has
 * no TSC, and its clocks (ktime, local_clock) tick in jiffies.  Counting
 * the TSC across 200 ms of CLOCK_MONOTONIC_RAW here is exact enough.
 * Prints nothing, exit 1, if the TSC is not constant.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int constant_tsc(void)
{
	char line[8192];
	FILE *f = fopen("/proc/cpuinfo", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "flags", 5) && strstr(line, " constant_tsc") &&
			strstr(line, " nonstop_tsc");
	fclose(f);
	return found;
}

int main(void)
{
	struct timespec pause = { 0, 200 * 1000 * 1000 };
	unsigned long long c0, c1;
	double t0, t1;

	if (!constant_tsc())
		return 1;
	t0 = now();
	c0 = __rdtsc();
	nanosleep(&pause, NULL);
	c1 = __rdtsc();
	t1 = now();
	printf("%.0f\n", (c1 - c0) / (t1 - t0) / 1000);
	return 0;
}
