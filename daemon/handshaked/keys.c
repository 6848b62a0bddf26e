// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading credentials the kernel consumer named by key serial. The agent
 * must be able to "view" and "read" them (possessor or user permission):
 * the consumer's keyring is linked where the agent can search it, or the
 * keys are owned by the agent's uid.
 */
#include <errno.h>
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
	/* "type;uid;gid;perm;description": the description may contain ';'. */
	if (strncmp(desc, "user;", 5)) {
		log_err("%s key %d: type is not \"user\" (%s)", what, serial, desc);
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

void keys_free(struct user_key *key)
{
	if (key->data) {
		explicit_bzero(key->data, key->len);
		free(key->data);
	}
	free(key->desc);
	memset(key, 0, sizeof(*key));
}
