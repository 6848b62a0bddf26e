// SPDX-License-Identifier: GPL-2.0
/*
 * Handshake upcall: module setup and parameters.
 *
 * In-kernel TLS consumers submit handshake requests; a user-space agent
 * performs them over generic netlink and this module installs kTLS with
 * the result. See include/net/handshake.h for the consumer API.
 */
#include <linux/kmod.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "handshake.h"

unsigned int handshake_pending_limit = 1024;
module_param_named(pending_limit, handshake_pending_limit, uint, 0644);
MODULE_PARM_DESC(pending_limit,
		 "Most requests waiting for an agent, per network namespace");

unsigned int handshake_default_timeout_ms = 10000;

static int handshake_timeout_set(const char *val,
				 const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, HANDSHAKE_MAX_TIMEOUT_MS);
}

static const struct kernel_param_ops handshake_timeout_ops = {
	.set = handshake_timeout_set,
	.get = param_get_uint,
};

module_param_cb(default_timeout_ms, &handshake_timeout_ops,
		&handshake_default_timeout_ms, 0644);
MODULE_PARM_DESC(default_timeout_ms,
		 "Time limit of a handshake whose consumer gave none (ms, at most 600000)");

static int __init handshake_init(void)
{
	int err;

	/*
	 * kTLS is installed with the "tls" ULP. Loading it on first use
	 * would need CAP_NET_ADMIN of whichever task ends the handshake, and
	 * insmod ignores MODULE_SOFTDEP: load it now.
	 */
	err = request_module("tls");
	if (err) {
		pr_err("handshake: cannot load the tls module (%d)\n", err);
		return err < 0 ? err : -ENOENT;
	}
	err = handshake_requests_init();
	if (err)
		return err;
	err = handshake_genl_register();
	if (err)
		handshake_requests_exit();
	return err;
}

static void __exit handshake_exit(void)
{
	/* No new requests once the family is gone; then end the live ones. */
	handshake_genl_unregister();
	handshake_requests_exit();
}

module_init(handshake_init);
module_exit(handshake_exit);

MODULE_DESCRIPTION("TLS handshake upcall for in-kernel consumers");
MODULE_LICENSE("GPL");
MODULE_SOFTDEP("pre: tls");
