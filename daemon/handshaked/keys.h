/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef HANDSHAKED_KEYS_H
#define HANDSHAKED_KEYS_H

#include <stddef.h>
#include <stdint.h>

/*
 * A kernel key of type "user", read through keyutils. For a PSK the
 * description is the identity and the payload the key; for x509 the
 * payload is PEM.
 */
struct user_key {
	char *desc;
	unsigned char *data;
	size_t len;
};

/* 0 or negative errno; on error a log line names the serial and reason. */
int keys_read_user(int32_t serial, const char *what, struct user_key *key);

/* Wipe the payload, free everything, leave @key empty. */
void keys_free(struct user_key *key);

#endif
