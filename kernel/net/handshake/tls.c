// SPDX-License-Identifier: GPL-2.0
/*
 * Handshake upcall: mainline Linux's consumer API (include/net/handshake.h
 * and include/net/tls_prot.h of Linux 6.5 and later), as requests of this
 * module; its record and alert helpers are in alert.c. Exported as
 * mainline exports them (EXPORT_SYMBOL) and declared as mainline declares
 * them, so that modules built for mainline's API load with their
 * modversions intact.
 *
 * Where this module is stricter than mainline, it stays so: the kernel
 * installs and checks kTLS, a lost claimant fails the request at once, and
 * the kernel enforces the time limit.
 */
/*
 * A modversions CRC covers every type its symbol's declaration reaches, as
 * far as this file defines them: these includes make the CRCs those that
 * mainline's net/handshake gives the same declarations
 * (kernel/test-mainline-crcs). One that defines more (net/tls.h, say)
 * changes them.
 */
#include <linux/types.h>
#include <linux/socket.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/key.h>
#include <net/sock.h>
#include <net/handshake.h>
#include <net/genetlink.h>
#include <net/tls_prot.h>

#include "handshake.h"

static int tls_handshake_submit(const struct tls_handshake_args *args,
				enum handshake_role role,
				enum handshake_auth auth,
				unsigned int num_psk, gfp_t flags)
{
	struct handshake_args req = {
		.sock = args->ta_sock,
		.role = role,
		.auth = auth,
		.peername = args->ta_peername,
		.timeout_ms = args->ta_timeout_ms,
		.keyring = args->ta_keyring,
		.data = args->ta_data,
	};
	unsigned int i;

	if (auth == HANDSHAKE_AUTH_X509) {
		req.cert = args->ta_my_cert;
		req.privkey = args->ta_my_privkey;
	}
	if (num_psk > ARRAY_SIZE(req.psk))
		return -EINVAL;
	req.num_psk = num_psk;
	for (i = 0; i < num_psk; i++)
		req.psk[i] = args->ta_my_peerids[i];
	if (!args->ta_done)
		return -EINVAL;
	return __handshake_req_submit(&req, args->ta_done, flags);
}

/**
 * tls_client_hello_anon - request a client handshake, server not checked
 * @args: socket and handshake parameters
 * @flags: memory allocation flags
 *
 * Context: process context; the socket lock not held.
 *
 * Return: 0 (@args->ta_done will run exactly once, unless
 * tls_handshake_cancel() wins), or a negative errno as
 * handshake_req_submit() gives.
 */
int tls_client_hello_anon(const struct tls_handshake_args *args, gfp_t flags)
{
	return tls_handshake_submit(args, HANDSHAKE_ROLE_CLIENT,
				    HANDSHAKE_AUTH_UNAUTH, 0, flags);
}
EXPORT_SYMBOL(tls_client_hello_anon);

/**
 * tls_client_hello_x509 - request a client handshake with certificates
 * @args: socket and handshake parameters; @args->ta_my_cert and
 *	@args->ta_my_privkey name the client's own, or TLS_NO_CERT and
 *	TLS_NO_PRIVKEY for the agent's
 * @flags: memory allocation flags
 *
 * Context: process context; the socket lock not held.
 *
 * Return: as tls_client_hello_anon().
 */
int tls_client_hello_x509(const struct tls_handshake_args *args, gfp_t flags)
{
	return tls_handshake_submit(args, HANDSHAKE_ROLE_CLIENT,
				    HANDSHAKE_AUTH_X509, 0, flags);
}
EXPORT_SYMBOL(tls_client_hello_x509);

/**
 * tls_client_hello_psk - request a client handshake with pre-shared keys
 * @args: socket and handshake parameters; @args->ta_my_peerids holds
 *	@args->ta_num_peerids (1 to 5) key serials of PSKs
 * @flags: memory allocation flags
 *
 * Context: process context; the socket lock not held.
 *
 * Return: as tls_client_hello_anon(); -EINVAL for no PSK or more than 5.
 */
int tls_client_hello_psk(const struct tls_handshake_args *args, gfp_t flags)
{
	return tls_handshake_submit(args, HANDSHAKE_ROLE_CLIENT,
				    HANDSHAKE_AUTH_PSK, args->ta_num_peerids,
				    flags);
}
EXPORT_SYMBOL(tls_client_hello_psk);

/**
 * tls_server_hello_x509 - request a server handshake with certificates
 * @args: socket and handshake parameters, as for tls_client_hello_x509()
 * @flags: memory allocation flags
 *
 * Context: process context; the socket lock not held.
 *
 * Return: as tls_client_hello_anon().
 */
int tls_server_hello_x509(const struct tls_handshake_args *args, gfp_t flags)
{
	return tls_handshake_submit(args, HANDSHAKE_ROLE_SERVER,
				    HANDSHAKE_AUTH_X509, 0, flags);
}
EXPORT_SYMBOL(tls_server_hello_x509);

/**
 * tls_server_hello_psk - request a server handshake with a pre-shared key
 * @args: socket and handshake parameters; @args->ta_my_peerids[0] is the
 *	key serial of the PSK (as in mainline, the others are not used)
 * @flags: memory allocation flags
 *
 * Context: process context; the socket lock not held.
 *
 * Return: as tls_client_hello_anon().
 */
int tls_server_hello_psk(const struct tls_handshake_args *args, gfp_t flags)
{
	return tls_handshake_submit(args, HANDSHAKE_ROLE_SERVER,
				    HANDSHAKE_AUTH_PSK, 1, flags);
}
EXPORT_SYMBOL(tls_server_hello_psk);

/**
 * tls_handshake_cancel - withdraw a handshake request
 * @sk: the socket the request was submitted for
 *
 * Context: any context, as handshake_req_cancel().
 *
 * Return: true if the request was withdrawn: @ta_done will not run. False
 * if it had ended (or never was): @ta_done runs or has run.
 */
bool tls_handshake_cancel(struct sock *sk)
{
	struct socket *sock = READ_ONCE(sk->sk_socket);

	return sock && handshake_req_cancel(sock);
}
EXPORT_SYMBOL(tls_handshake_cancel);

/**
 * tls_handshake_close - send a TLS close_notify before closing
 * @sock: a socket whose handshake succeeded
 *
 * Sends one close_notify alert, and only on a socket with kTLS installed
 * by a successful handshake; nothing otherwise.
 *
 * Context: process context; might sleep.
 */
void tls_handshake_close(struct socket *sock)
{
	if (sock->sk && handshake_ktls_tx_installed(sock->sk))
		handshake_send_close_notify(sock);
}
EXPORT_SYMBOL(tls_handshake_close);
