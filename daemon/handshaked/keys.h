/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef HANDSHAKED_KEYS_H
#define HANDSHAKED_KEYS_H

#include <stddef.h>
#include <stdint.h>

/*
 * A kernel key of type "user" (or NVMe's "psk"), read through keyutils. For a PSK the
 * description is the identity and the payload the key; for x509 the
 * payload is PEM or DER.
 */
struct user_key {
	char *desc;
	unsigned char *data;
	size_t len;
};

/* 0 or negative errno; on error a log line names the serial and reason. */
int keys_read_user(int32_t serial, const char *what, struct user_key *key);

/*
 * A server's PSK for @identity: a "psk" key (NVMe's type) so named, in
 * @keyring (KEY_SPEC_PROCESS_KEYRING: everything the kernel linked there;
 * 0: nowhere). Returns its serial and fills @key, or 0 if there is none
 * we may read.
 */
int32_t keys_find_psk(int32_t keyring, const char *identity, struct user_key *key);

/*
 * The kernel keyring named @name (its description, e.g. NVMe's ".nvme"),
 * linked into our session keyring, which workers share, so that we
 * possess it and its keys: searchable and readable as their possessor
 * permissions say. Returns its serial or a negative errno (logged).
 */
int32_t keys_use_keyring(const char *name);

/*
 * A "user" key "handshake:peer:COOKIE" holding a peer's certificate (DER),
 * in @keyring, or (@keyring 0) in our process keyring with an expiry of
 * KEYS_PEER_TIMEOUT seconds. Readable by its possessor and by its owner
 * uid. Returns the serial, or a negative errno (logged).
 */
#define KEYS_PEER_TIMEOUT 600
int32_t keys_add_peer_cert(uint64_t cookie, const void *der, size_t len,
			   int32_t keyring);

/* Wipe the payload, free everything, leave @key empty. */
void keys_free(struct user_key *key);

#endif
