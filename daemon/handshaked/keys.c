// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading credentials the kernel consumer named by key serial. The agent
 * must be able to "view" and "read" them (possessor or user permission):
 * the consumer's keyring is linked where the agent can search it, or the
 * keys are owned by the agent's uid.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyutils.h>

#include "keys.h"
#include "log.h"

int keys_read_user(int32_t serial, const char *what, struct user_key *key)
{
	char *desc = NULL, *p;
	void *data = NULL;
	long len;
	int i;

	memset(key, 0, sizeof(*key));
	if (keyctl_describe_alloc(serial, &desc) < 0) {
		int err = errno;

		log_err("%s key %d: cannot describe: %s", what, serial, strerror(err));
		return -err;
	}
	/*
	 * "type;uid;gid;perm;description": the description may contain ';'.
	 * "psk" is the type of the NVMe keyring's PSKs (the description is
	 * the TLS identity), a "user" key by another name.
	 */
	if (strncmp(desc, "user;", 5) && strncmp(desc, "psk;", 4)) {
		log_err("%s key %d: type is not \"user\" or \"psk\" (%s)", what, serial, desc);
		free(desc);
		return -EKEYREJECTED;
	}
	for (p = desc, i = 0; i < 4 && p; i++) {
		p = strchr(p, ';');
		if (p)
			p++;
	}
	if (!p || !*p) {
		log_err("%s key %d: no description", what, serial);
		free(desc);
		return -EKEYREJECTED;
	}

	len = keyctl_read_alloc(serial, &data);
	if (len < 0) {
		int err = errno;

		log_err("%s key %d: cannot read: %s", what, serial, strerror(err));
		free(desc);
		return -err;
	}
	key->desc = strdup(p);
	free(desc);
	if (!key->desc) {
		explicit_bzero(data, len);
		free(data);
		return -ENOMEM;
	}
	key->data = data;
	key->len = len;
	return 0;
}

int32_t keys_find_psk(int32_t keyring, const char *identity, struct user_key *key)
{
	long serial;

	memset(key, 0, sizeof(*key));
	if (!keyring)
		return 0;
	/*
	 * Only "psk" keys: a "user" key is anything (our own peer
	 * certificate keys among them, under names a client can guess, and
	 * a consumer's certificates), and a client must not be able to name
	 * one as its PSK.
	 */
	serial = keyctl_search(keyring, "psk", identity, 0);
	if (serial <= 0)
		return 0;
	return keys_read_user((int32_t)serial, "PSK", key) < 0 ? 0 : (int32_t)serial;
}

int32_t keys_use_keyring(const char *name)
{
	key_serial_t serial = find_key_by_type_and_desc("keyring", name, 0);
	int err;

	if (serial < 0) {
		err = errno;
		log_err("keyring \"%s\": %s", name,
			err == ENOKEY ? "not found" : strerror(err));
		return -err;
	}
	if (keyctl_link(serial, KEY_SPEC_SESSION_KEYRING) < 0) {
		err = errno;
		log_err("keyring \"%s\" (%d): cannot link it to our session keyring: %s",
			name, serial, strerror(err));
		return -err;
	}
	log_debug("keyring \"%s\": serial %d, linked to our session keyring", name, serial);
	return serial;
}

int32_t keys_add_peer_cert(uint64_t cookie, const void *der, size_t len,
			   int32_t keyring)
{
	key_serial_t ring = keyring ? keyring : KEY_SPEC_PROCESS_KEYRING;
	char desc[64];
	key_serial_t serial;
	int err;

	snprintf(desc, sizeof(desc), "handshake:peer:%llu", (unsigned long long)cookie);
	serial = add_key("user", desc, der, len, ring);
	if (serial < 0) {
		err = errno;
		if (keyring)
			log_err("peer certificate key \"%s\" in the request's keyring %d: %s",
				desc, keyring, strerror(err));
		else
			log_err("peer certificate key \"%s\" in our process keyring: %s",
				desc, strerror(err));
		return -err;
	}
	/*
	 * The default lets only a possessor read a key. A certificate is not
	 * a secret: its owner (our uid) may read it too, say an operator
	 * with keyctl; kernel consumers look keys up without permission
	 * checks. No write or setattr for anyone but the possessor.
	 */
	if (keyctl_setperm(serial, KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ |
				   KEY_USR_SEARCH) < 0)
		log_warn("peer certificate key %d: cannot set its permissions: %m", serial);
	/* Ours, not the consumer's: it must not pile up. */
	if (!keyring && keyctl_set_timeout(serial, KEYS_PEER_TIMEOUT) < 0)
		log_warn("peer certificate key %d: cannot set its expiry: %m", serial);
	return serial;
}

void keys_free(struct user_key *key)
{
	if (key->data) {
		explicit_bzero(key->data, key->len);
		free(key->data);
	}
	free(key->desc);
	memset(key, 0, sizeof(*key));
}
