// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dropping privileges once the netlink sockets are open and the
 * configuration and credentials are loaded: root keeps its uid (the files
 * it reloads on SIGHUP are root's) but only CAP_NET_ADMIN, which the
 * handshake family's accept and done commands require. prctl() and
 * capset() directly: no libcap needed for this much.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "log.h"
#include "privs.h"

#define KEEP CAP_NET_ADMIN

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capget, &h, d) < 0 ? -errno : 0;
}

static int caps_set(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

static int drop_bounding_set(void)
{
	/* PR_CAPBSET_READ fails with EINVAL past the kernel's last cap. */
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		if (cap == KEEP)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -errno;
	}
	return 0;
}

int privs_drop(void)
{
	struct __user_cap_data_struct d[2];
	const uint32_t keep = CAP_TO_MASK(KEEP);
	int r;

	r = caps_get(d);
	if (r < 0) {
		log_err("capget: %s", strerror(-r));
		return r;
	}
	/* Changing the bounding set needs CAP_SETPCAP, so before capset(). */
	if (d[0].effective & CAP_TO_MASK(CAP_SETPCAP)) {
		r = drop_bounding_set();
		if (r < 0) {
			log_err("cannot drop the capability bounding set: %s", strerror(-r));
			return r;
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		r = -errno;
		log_err("cannot clear the ambient capabilities: %s", strerror(-r));
		return r;
	}
	/* Lowering never needs privilege; CAP_NET_ADMIN stays only if we had it. */
	d[0].permitted &= keep;
	d[0].effective = d[0].permitted;
	d[0].inheritable = 0;
	memset(&d[1], 0, sizeof(d[1]));
	r = caps_set(d);
	if (r < 0) {
		log_err("capset: %s", strerror(-r));
		return r;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = -errno;
		log_err("cannot set no_new_privs: %s", strerror(-r));
		return r;
	}
	if (!(d[0].effective & keep))
		log_warn("running without CAP_NET_ADMIN: accept and done will fail");
	log_debug("capabilities dropped: only CAP_NET_ADMIN kept");
	return 0;
}
