/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small BPF-CI style test framework: each selftests/prog_tests/<name>.c
 * defines test_<name>(void); subtests are opened with test__start_subtest();
 * ASSERT_* macros print what was expected and what came back.
 */
#ifndef BPFMP_TEST_PROGS_H
#define BPFMP_TEST_PROGS_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Open a subtest; false when the -t/-d filters leave it out. */
bool test__start_subtest(const char *name);
/* Mark the current (sub)test skipped and say why. */
void test__skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Record a failure; used by the ASSERT macros. */
void test__fail(void);
/* Run a shell command, return its exit status (or -1). */
int test__sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Run a shell command and capture up to @len-1 bytes of its stdout. */
int test__sh_out(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define _CHECK(cond, tag, fmt, ...) ({					\
	bool ___ok = !(cond);						\
	if (!___ok) {							\
		test__fail();						\
		fprintf(stderr, "%s:%d: FAIL %s: " fmt "\n",		\
			__func__, __LINE__, tag, ##__VA_ARGS__);	\
	}								\
	___ok;								\
})

#define ASSERT_TRUE(a, name)						\
	_CHECK(!(a), name, "unexpected false")
#define ASSERT_FALSE(a, name)						\
	_CHECK((a), name, "unexpected true")
#define ASSERT_EQ(a, b, name) ({					\
	long long ___a = (a), ___b = (b);				\
	_CHECK(___a != ___b, name, "expected %lld, got %lld", ___b, ___a); \
})
#define ASSERT_NEQ(a, b, name) ({					\
	long long ___a = (a), ___b = (b);				\
	_CHECK(___a == ___b, name, "expected not %lld", ___b);		\
})
#define ASSERT_GT(a, b, name) ({					\
	long long ___a = (a), ___b = (b);				\
	_CHECK(___a <= ___b, name, "expected > %lld, got %lld", ___b, ___a); \
})
#define ASSERT_GE(a, b, name) ({					\
	long long ___a = (a), ___b = (b);				\
	_CHECK(___a < ___b, name, "expected >= %lld, got %lld", ___b, ___a); \
})
#define ASSERT_LT(a, b, name) ({					\
	long long ___a = (a), ___b = (b);				\
	_CHECK(___a >= ___b, name, "expected < %lld, got %lld", ___b, ___a); \
})
#define ASSERT_OK(res, name) ({						\
	long long ___r = (res);						\
	_CHECK(___r != 0, name, "unexpected error %lld (errno %d: %s)",	\
	       ___r, errno, strerror(errno));				\
})
#define ASSERT_ERR(res, name) ({					\
	long long ___r = (res);						\
	_CHECK(___r >= 0, name, "unexpected success %lld", ___r);	\
})
#define ASSERT_OK_PTR(p, name) ({					\
	const void *___p = (p);						\
	_CHECK(!___p, name, "unexpected NULL (errno %d: %s)",		\
	       errno, strerror(errno));					\
})
#define ASSERT_STREQ(a, b, name) ({					\
	const char *___a = (a), *___b = (b);				\
	_CHECK(strcmp(___a, ___b), name, "expected \"%s\", got \"%s\"",	\
	       ___b, ___a);						\
})

#endif /* BPFMP_TEST_PROGS_H */
