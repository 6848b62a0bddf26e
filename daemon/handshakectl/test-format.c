// SPDX-License-Identifier: GPL-2.0
/* fmt_escape(): what a peer name looks like in list and show. */
#include <stdio.h>
#include <string.h>

#include "format.h"

static int failures;

/* fmt_escape(s) into a buffer of len bytes must give want. */
#define expect(s, len, want) expect_at(__LINE__, s, len, want)
static void expect_at(int line, const char *s, size_t len, const char *want)
{
	char buf[256];

	memset(buf, '#', sizeof(buf));
	fmt_escape(buf, len, s);
	if (strcmp(buf, want)) {
		fprintf(stderr, "FAIL: %s:%d: len %zu: got \"%s\", want \"%s\"\n",
			__FILE__, line, len, buf, want);
		failures++;
	}
}

int main(void)
{
	char buf[4] = "abc", all[33], want[4 * 32 + 1];
	int i;

	expect("nfs.example.com", 256, "nfs.example.com");
	expect("", 256, "");
	expect("a\nb", 256, "a\\x0ab");
	expect("\tx", 256, "\\x09x");
	expect("\x1b[31mred\x1b[0m", 256, "\\x1b[31mred\\x1b[0m");
	expect("back\\slash", 256, "back\\x5cslash");
	expect("\\x41", 256, "\\x5cx41");	/* not mistaken for "A" */
	expect("del\x7f", 256, "del\\x7f");
	expect("\r\b", 256, "\\x0d\\x08");
	/* UTF-8 and other bytes from 0x80 up are copied. */
	expect("h\xc3\xa9", 256, "h\xc3\xa9");
	expect(" ~", 256, " ~");

	/* Every byte below 0x20, and the worst case fits 4 * n + 1. */
	for (i = 0; i < 32; i++)
		all[i] = (char)(i + 1);
	all[31] = 0x7f;
	all[32] = '\0';
	for (i = 0; i < 32; i++)
		snprintf(want + 4 * i, 5, "\\x%02x", (unsigned char)all[i]);
	expect(all, sizeof(want), want);

	/* Cut to fit, at a whole character: never half an escape. */
	expect("abcdef", 4, "abc");
	expect("ab\ncd", 6, "ab");
	expect("ab\ncd", 7, "ab\\x0a");
	expect("ab\ncd", 8, "ab\\x0ac");
	expect("\n", 4, "");
	expect("x", 1, "");

	/* len 0 writes nothing. */
	fmt_escape(buf, 0, "zzz");
	if (strcmp(buf, "abc")) {
		fprintf(stderr, "FAIL: fmt_escape() with len 0 wrote \"%s\"\n", buf);
		failures++;
	}

	if (failures)
		return 1;
	puts("fmt_escape: all checks passed");
	return 0;
}
