/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef HANDSHAKED_TLS_H
#define HANDSHAKED_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "ktls.h"

/*
 * The handshake engine: a non-blocking GnuTLS handshake on a connected
 * TCP fd, driven by an sd-event loop. It knows nothing about netlink, so
 * it can be tested against any TLS peer.
 */

struct tls_creds;
struct tls_hs;

struct tls_psk {
	const char *identity;
	const unsigned char *key;
	size_t key_len;
};

struct tls_params {
	int role;			/* HANDSHAKE_ROLE_* */
	int auth;			/* HANDSHAKE_AUTH_* */
	/*
	 * Client: the name the server's certificate must carry (DNS name or
	 * IP address). NULL or empty: the certificate must carry the IP
	 * address the socket is connected to, as an IP address SAN.
	 */
	const char *peername;
	/*
	 * x509 credentials from key serials (PEM or DER); NULL: configured
	 * files.
	 */
	const gnutls_datum_t *cert, *key;
	/*
	 * PSK: the client uses the first, the server accepts any, and any
	 * other identity a key in @keyring holds (keys_find_psk()).
	 */
	const struct tls_psk *psk;
	size_t n_psk;
	int32_t keyring;		/* where to look; 0: nowhere */
	uint64_t timeout_usec;
};

/*
 * What the peer proved, on success: the PSK it used, or the certificate
 * that was verified. Nothing when it was not authenticated (a server that
 * asked for no client certificate, or got none).
 */
struct tls_peer_id {
	int psk;			/* index into params->psk; -1: none */
	int32_t psk_key;		/* server: a PSK found by identity; 0: none */
	const gnutls_datum_t *cert;	/* DER of the peer's certificate; NULL: none */
};

/*
 * Called once per handshake, from the event loop: @status is 0, @ks the
 * record state and @peer the peer's identity (valid during the call only;
 * the keys are wiped afterwards), or a positive errno and both NULL. The
 * engine frees @hs after the callback.
 */
typedef void (*tls_done_fn)(struct tls_hs *hs, int status,
			    const struct ktls_session *ks,
			    const struct tls_peer_id *peer, void *userdata);

/*
 * Load credentials (at start and on reload). Unusable files are logged,
 * not fatal: only the handshakes that need them fail (EIO). Handshakes
 * hold a reference: tls_creds_free() drops the caller's, and the last
 * one frees.
 */
int tls_creds_new(const struct config *cfg, struct tls_creds **out);

/*
 * NULL if every credential the configuration names loaded, else what did
 * not (valid while @creds lives). A reload keeps the old set unless so.
 */
const char *tls_creds_problem(const struct tls_creds *creds);
void tls_creds_free(struct tls_creds *creds);

/*
 * Start a handshake. @params (and what it points to) must stay valid until
 * the callback. The fd is not closed by the engine. Returns 0, or a
 * negative errno if the handshake cannot even start (logged; EIO for
 * local misconfiguration).
 */
int tls_hs_start(sd_event *e, struct tls_creds *creds, int fd,
		 const struct tls_params *params, tls_done_fn cb,
		 void *userdata, struct tls_hs **out);

/* Stop and free a handshake without calling back (shutdown). */
void tls_hs_abort(struct tls_hs *hs);

#endif
