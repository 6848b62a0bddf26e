// SPDX-License-Identifier: GPL-2.0
/*
 * Handshake upcall: module setup.
 *
 * In-kernel TLS consumers submit handshake requests; a user-space agent
 * performs them over generic netlink and this module installs kTLS with
 * the result. See include/net/handshake.h for the consumer API.
 */
#include <linux/module.h>

#include "handshake.h"

unsigned int handshake_pending_limit = 1024;
module_param_named(pending_limit, handshake_pending_limit, uint, 0644);
MODULE_PARM_DESC(pending_limit,
		 "Most requests waiting for an agent, per network namespace");

static int __init handshake_init(void)
{
	int err;

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

MODULE_DESCRIPTION("Handshake upcall: TLS handshakes by a user-space agent, kTLS by the kernel");
MODULE_LICENSE("GPL");
MODULE_SOFTDEP("pre: tls");
