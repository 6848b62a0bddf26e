// SPDX-License-Identifier: GPL-2.0
/* JSON output, compact or pretty (two-space indent, like iproute2's -p). */
#include <stdio.h>

#include "json.h"

#define MAX_DEPTH 8

static bool pretty;
static int depth;
static bool has_members[MAX_DEPTH];

void json_set_pretty(bool on)
{
	pretty = on;
}

static void escaped(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);	/* UTF-8 passes through */
	}
	putchar('"');
}

static void indent(int level)
{
	if (pretty) {
		putchar('\n');
		printf("%*s", 2 * level, "");
	}
}

/* Separator, indentation and key of the next value. */
static void member(const char *key)
{
	if (depth > 0) {
		if (has_members[depth - 1])
			putchar(',');
		has_members[depth - 1] = true;
		indent(depth);
	}
	if (key) {
		escaped(key);
		fputs(pretty ? ": " : ":", stdout);
	}
}

static void value_done(void)
{
	if (depth == 0)
		putchar('\n');
}

static void open_container(const char *key, char bracket)
{
	member(key);
	putchar(bracket);
	if (depth < MAX_DEPTH)
		has_members[depth] = false;
	depth++;
}

static void close_container(char bracket)
{
	depth--;
	if (depth < MAX_DEPTH && has_members[depth])
		indent(depth);
	putchar(bracket);
	value_done();
}

void json_object_begin(const char *key)
{
	open_container(key, '{');
}

void json_object_end(void)
{
	close_container('}');
}

void json_array_begin(const char *key)
{
	open_container(key, '[');
}

void json_array_end(void)
{
	close_container(']');
}

void json_string(const char *key, const char *value)
{
	member(key);
	escaped(value);
	value_done();
}

void json_uint(const char *key, uint64_t value)
{
	member(key);
	printf("%llu", (unsigned long long)value);
	value_done();
}
