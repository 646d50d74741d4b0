// SPDX-License-Identifier: GPL-2.0
/*
 * test_progs: run the tests in selftests/prog_tests/ in the bpfmp VM.
 *
 *   test_progs [-t NAME[/SUB],...] [-d NAME[/SUB],...] [-v] [-l]
 *
 * Prints "#N name:OK|FAIL|SKIP" per test and "#N/M name/sub:..." per
 * subtest, a test's own output only when it fails (or with -v), then
 * "Summary: P PASSED, S SKIPPED, F FAILED" counting leaves (a test's
 * subtests, or the test itself when it has none).
 *
 * Each test runs in a process (group) of its own, watched by the runner:
 * a notice on stderr once it has run for 10 s, and past its limit
 * (BPFMP_TEST_TIMEOUT seconds; 300, or 1500 on a DEBUG kernel) it is
 * killed and counted as one failure named after the subtest it was in.
 * A test that crashes is a named failure too; the rest still run.
 * The kernel log a test added is scanned for splats (WARN, BUG, KASAN,
 * lockdep, RCU stalls, list corruption, stalled page_pool shutdowns,
 * netdevs that never unregister): any is a failure of that test.
 */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_progs.h"

struct test_def {
	const char *name;
	void (*run)(void);
};

#define DEFINE_TEST(name) void test_##name(void);
#include "tests.h"
#undef DEFINE_TEST

static const struct test_def tests[] = {
#define DEFINE_TEST(name) { #name, test_##name },
#include "tests.h"
#undef DEFINE_TEST
};

enum verdict { V_OK, V_SKIP, V_FAIL };

struct runner {
	const char *allow, *deny;
	bool verbose;
	int test_num;
	const char *test_name;
	/* current leaf: the open subtest, or the test itself */
	int sub_num;
	char sub_name[128];
	bool sub_open, sub_failed, sub_skipped;
	bool test_failed, test_sub_failed, test_had_ok;
	int test_skips;
	FILE *log;
	int saved_out, saved_err;
	int passed, failed, skipped;
	bool times;		/* BPFMP_TIMES set: seconds per (sub)test */
	int status_fd;		/* in a test's process: the pipe to the runner */
	struct timespec sub_start, test_start;
};

static struct runner R;

static const char *verdict_str(enum verdict v)
{
	return v == V_OK ? "OK" : v == V_SKIP ? "SKIP" : "FAIL";
}

/* Does @name (test or test/sub) match a comma-separated glob list? */
static bool list_match(const char *list, const char *test, const char *sub)
{
	char *copy, *tok, *save = NULL;
	bool hit = false;

	if (!list)
		return false;
	copy = strdup(list);
	for (tok = strtok_r(copy, ",", &save); tok && !hit;
	     tok = strtok_r(NULL, ",", &save)) {
		char *slash = strchr(tok, '/');

		if (slash)
			*slash = 0;
		if (fnmatch(tok, test, 0))
			continue;
		/* "name" alone matches the test and all its subtests */
		hit = !slash || !sub || !fnmatch(slash + 1, sub, 0);
	}
	free(copy);
	return hit;
}

static bool selected(const char *test, const char *sub)
{
	if (R.allow && !list_match(R.allow, test, sub))
		return false;
	return !list_match(R.deny, test, sub);
}

static void log_begin(void)
{
	fflush(stdout);
	fflush(stderr);
	R.log = tmpfile();
	if (!R.log)
		return;
	R.saved_out = dup(1);
	R.saved_err = dup(2);
	dup2(fileno(R.log), 1);
	dup2(fileno(R.log), 2);
}

static void log_end(bool show)
{
	char buf[4096];
	size_t n;

	if (!R.log)
		return;
	fflush(stdout);
	fflush(stderr);
	dup2(R.saved_out, 1);
	dup2(R.saved_err, 2);
	close(R.saved_out);
	close(R.saved_err);
	if (show || R.verbose) {
		rewind(R.log);
		while ((n = fread(buf, 1, sizeof(buf), R.log)) > 0)
			fwrite(buf, 1, n, stdout);
	}
	fclose(R.log);
	R.log = NULL;
}

static void count(enum verdict v)
{
	if (v == V_OK)
		R.passed++;
	else if (v == V_SKIP)
		R.skipped++;
	else
		R.failed++;
}

/* " (1.2 s)" since @since when timing, else "". */
static const char *elapsed(const struct timespec *since)
{
	static char buf[32];
	struct timespec now;

	if (!R.times)
		return "";
	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(buf, sizeof(buf), " (%.1f s)",
		 (double)(now.tv_sec - since->tv_sec) +
		 (double)(now.tv_nsec - since->tv_nsec) / 1e9);
	return buf;
}

static void end_subtest(void)
{
	enum verdict v;

	if (!R.sub_open)
		return;
	v = R.sub_failed ? V_FAIL : R.sub_skipped ? V_SKIP : V_OK;
	/* failures and skips show their output: a skip must say why */
	log_end(v != V_OK);
	printf("#%d/%d %s/%s:%s%s\n", R.test_num, R.sub_num, R.test_name,
	       R.sub_name, verdict_str(v), elapsed(&R.sub_start));
	fflush(stdout);
	count(v);
	R.test_sub_failed |= v == V_FAIL;
	R.test_had_ok |= v == V_OK;
	R.test_skips += v == V_SKIP;
	R.sub_open = false;
	log_begin();
}

bool test__start_subtest(const char *name)
{
	end_subtest();
	R.sub_num++;
	if (!selected(R.test_name, name))
		return false;
	log_end(false);
	snprintf(R.sub_name, sizeof(R.sub_name), "%s", name);
	R.sub_open = true;
	if (R.status_fd >= 0)
		dprintf(R.status_fd, "S %d %s\n", R.sub_num, name);
	R.sub_failed = R.sub_skipped = false;
	clock_gettime(CLOCK_MONOTONIC, &R.sub_start);
	log_begin();
	return true;
}

void test__fail(void)
{
	if (R.sub_open)
		R.sub_failed = true;
	else
		R.test_failed = true;
}

void test__skip(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "SKIP: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (R.sub_open)
		R.sub_skipped = true;
	else
		R.test_skips++;
}

static int vsh(char *out, size_t len, const char *fmt, va_list ap)
{
	char *cmd;
	FILE *p;
	size_t n = 0;
	int st;

	if (vasprintf(&cmd, fmt, ap) < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	p = popen(cmd, "r");
	free(cmd);
	if (!p)
		return -1;
	if (out && len) {
		n = fread(out, 1, len - 1, p);
		out[n] = 0;
	} else {
		char sink[512];

		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	st = pclose(p);
	if (st < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int test__sh(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vsh(NULL, 0, fmt, ap);
	va_end(ap);
	return ret;
}

int test__sh_out(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vsh(buf, len, fmt, ap);
	va_end(ap);
	return ret;
}

static void run_test(int num, const struct test_def *t)
{
	enum verdict v;

	R.test_num = num;
	R.test_name = t->name;
	R.sub_num = 0;
	R.sub_open = false;
	R.test_failed = R.test_sub_failed = R.test_had_ok = false;
	R.test_skips = 0;

	clock_gettime(CLOCK_MONOTONIC, &R.test_start);
	log_begin();
	t->run();
	end_subtest();

	if (R.sub_num == 0) {
		/* no subtests: the test is the leaf */
		v = R.test_failed ? V_FAIL : R.test_skips ? V_SKIP : V_OK;
		count(v);
	} else {
		/* a failure outside any subtest counts as one more leaf */
		if (R.test_failed)
			R.failed++;
		v = R.test_failed || R.test_sub_failed ? V_FAIL :
		    (!R.test_had_ok && R.test_skips) ? V_SKIP : V_OK;
	}
	log_end(v != V_OK);
	printf("#%d %s:%s%s\n", num, t->name, verdict_str(v),
	       elapsed(&R.test_start));
	fflush(stdout);
}

#define SPLATS "WARNING:|BUG:|Oops|general protection fault|KASAN:|UBSAN:|" \
	"possible circular locking|possible recursive locking|" \
	"inconsistent lock state|suspicious RCU usage|rcu_.*detected stall|" \
	"blocked for more than|kernel BUG at|list_(add|del) corruption|" \
	"stalled pool shutdown|unregister_netdevice: waiting"

/*
 * Lines of the kernel log from line @from on: with @show, print those that
 * match a splat and return how many did; without, return the line count.
 */
static int kernel_log(int from, bool show)
{
	static regex_t re;
	static bool compiled;
	char line[1024];
	int n = 0, hits = 0;
	FILE *p;

	if (!compiled && regcomp(&re, SPLATS, REG_EXTENDED | REG_NOSUB))
		return 0;
	compiled = true;
	p = popen("dmesg 2>/dev/null", "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p)) {
		if (n++ < from || !show || regexec(&re, line, 0, NULL, 0))
			continue;
		if (!hits++)
			printf("kernel log since the test began:\n");
		printf("    %s", line);
	}
	pclose(p);
	return show ? hits : n;
}

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Run test @t in a child and watch it.  The child reports each subtest it
 * opens ("S <num> <name>") and its counts at the end ("R <p> <s> <f>").
 */
static void run_watched(int num, const struct test_def *t, int limit)
{
	char buf[4096], cur[160] = "", *nl;
	bool noticed = false, reported = false;
	struct timespec t0;
	size_t len = 0;
	int pfd[2], st, mark;
	ssize_t n;
	pid_t pid;

	if (pipe(pfd)) {
		perror("pipe");
		R.failed++;
		return;
	}
	mark = kernel_log(0, false);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		setpgid(0, 0);
		R.status_fd = pfd[1];
		R.passed = R.skipped = R.failed = 0;
		run_test(num, t);
		dprintf(pfd[1], "R %d %d %d\n", R.passed, R.skipped, R.failed);
		fflush(stdout);
		_exit(0);
	}
	close(pfd[1]);
	if (pid < 0) {
		perror("fork");
		close(pfd[0]);
		R.failed++;
		return;
	}
	setpgid(pid, pid);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };

		if (poll(&p, 1, 500) > 0) {
			n = read(pfd[0], buf + len, sizeof(buf) - 1 - len);
			if (n <= 0)
				break;
			len += n;
			buf[len] = 0;
			while ((nl = strchr(buf, '\n'))) {
				int a, b, c;

				*nl = 0;
				if (buf[0] == 'S')
					snprintf(cur, sizeof(cur), "/%s", strchr(buf + 2, ' ') + 1);
				else if (sscanf(buf, "R %d %d %d", &a, &b, &c) == 3) {
					R.passed += a;
					R.skipped += b;
					R.failed += c;
					reported = true;
				}
				len -= nl + 1 - buf;
				memmove(buf, nl + 1, len + 1);
			}
		}
		if (!noticed && since(&t0) >= 10) {
			fprintf(stderr, "WATCHDOG: test #%d %s%s still running after 10 s\n",
				num, t->name, cur);
			noticed = true;
		}
		if (since(&t0) >= limit) {
			kill(-pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(pfd[0]);
			printf("#%d %s%s:FAIL (watchdog: killed after %d s)\n",
			       num, t->name, cur, limit);
			printf("#%d %s:FAIL\n", num, t->name);
			R.failed++;
			return;
		}
	}
	close(pfd[0]);
	waitpid(pid, &st, 0);
	if (kernel_log(mark, true)) {
		printf("#%d %s:FAIL (kernel splat during the test)\n", num, t->name);
		R.failed++;
	}
	if (!reported) {
		printf("#%d %s%s:FAIL (test process died: %s %d)\n", num, t->name, cur,
		       WIFSIGNALED(st) ? "signal" : "exit status",
		       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		printf("#%d %s:FAIL\n", num, t->name);
		R.failed++;
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: test_progs [-t NAME[/SUB],...] [-d NAME[/SUB],...] [-v] [-l]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	bool list = false;
	int opt, limit;
	size_t i;

	R.times = getenv("BPFMP_TIMES") && *getenv("BPFMP_TIMES");
	R.allow = getenv("BPFMP_TEST_FILTER");
	if (R.allow && !*R.allow)
		R.allow = NULL;
	while ((opt = getopt(argc, argv, "t:d:vlh")) != -1) {
		switch (opt) {
		case 't': R.allow = optarg; break;
		case 'd': R.deny = optarg; break;
		case 'v': R.verbose = true; break;
		case 'l': list = true; break;
		default: usage();
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	R.status_fd = -1;
	limit = getenv("BPFMP_TEST_TIMEOUT") ? atoi(getenv("BPFMP_TEST_TIMEOUT")) : 0;
	if (limit <= 0)	/* a DEBUG=1 kernel under TCG is about five times slower */
		limit = getenv("DEBUG") && strcmp(getenv("DEBUG"), "0") ? 1500 : 300;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (list) {
			printf("%s\n", tests[i].name);
			continue;
		}
		if (!selected(tests[i].name, NULL))
			continue;
		run_watched(i + 1, &tests[i], limit);
	}
	if (list)
		return 0;
	printf("Summary: %d PASSED, %d SKIPPED, %d FAILED\n",
	       R.passed, R.skipped, R.failed);
	return R.failed ? 1 : 0;
}
