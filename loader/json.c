// SPDX-License-Identifier: GPL-2.0
/* A minimal JSON writer on stdout, in the spirit of bpftool's json_writer. */
#include <inttypes.h>
#include <stdio.h>

#include "mpctl.h"

static void json_sep(struct json *j)
{
	if (j->after_key) {	/* a member's value: no separator */
		j->after_key = false;
		return;
	}
	if (!j->first)
		putchar(',');
	j->first = false;
	if (j->pretty && j->depth) {
		putchar('\n');
		for (int i = 0; i < j->depth; i++)
			fputs("    ", stdout);
	}
}

static void json_quote(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"':  fputs("\\\"", stdout); break;
		case '\\': fputs("\\\\", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\t': fputs("\\t", stdout); break;
		default:
			if (c < 0x20)
				printf("\\u%04x", c);
			else
				putchar(c);
		}
	}
	putchar('"');
}

static void json_open(struct json *j, char c)
{
	putchar(c);
	j->depth++;
	j->first = true;
}

static void json_close(struct json *j, char c)
{
	bool empty = j->first;

	j->depth--;
	if (j->pretty && !empty) {
		putchar('\n');
		for (int i = 0; i < j->depth; i++)
			fputs("    ", stdout);
	}
	putchar(c);
	j->first = false;
	if (!j->depth)
		putchar('\n');
}

void json_begin_array(struct json *j)
{
	if (j->depth)
		json_sep(j);
	json_open(j, '[');
}

void json_end_array(struct json *j)
{
	json_close(j, ']');
}

void json_begin_object(struct json *j)
{
	if (j->depth)
		json_sep(j);
	json_open(j, '{');
}

void json_end_object(struct json *j)
{
	json_close(j, '}');
}

void json_key(struct json *j, const char *key)
{
	json_sep(j);
	json_quote(key);
	putchar(':');
	if (j->pretty)
		putchar(' ');
	j->after_key = true;
}

/* A member (@key non-NULL) or an array element (@key NULL). */
static void json_value_start(struct json *j, const char *key)
{
	if (key)
		json_key(j, key);
	json_sep(j);
}

void json_str(struct json *j, const char *key, const char *val)
{
	json_value_start(j, key);
	json_quote(val);
}

void json_u64(struct json *j, const char *key, uint64_t val)
{
	json_value_start(j, key);
	printf("%" PRIu64, val);
}

void json_null(struct json *j, const char *key)
{
	json_value_start(j, key);
	fputs("null", stdout);
}

void json_s64(struct json *j, const char *key, int64_t val)
{
	json_value_start(j, key);
	printf("%" PRId64, val);
}

void json_bool(struct json *j, const char *key, bool val)
{
	json_value_start(j, key);
	fputs(val ? "true" : "false", stdout);
}
