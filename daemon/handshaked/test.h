/* SPDX-License-Identifier: GPL-2.0 */
/* What the agent's unit tests share: a check that counts failures. */
#ifndef HANDSHAKED_TEST_H
#define HANDSHAKED_TEST_H

#include <stdio.h>

static int failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

#endif
