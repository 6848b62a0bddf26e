/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef HANDSHAKED_KTLS_H
#define HANDSHAKED_KTLS_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

/*
 * One direction's record state, already cut the way kTLS wants it
 * (struct tls12_crypto_info_* in <linux/tls.h>): what the kernel module
 * gets in HANDSHAKE_A_SESSION_TX/RX. A zero length means "no attribute".
 */
struct ktls_crypto {
	uint8_t key[32];
	uint8_t iv[12];
	uint8_t salt[4];
	uint8_t rec_seq[8];
	uint8_t key_len, iv_len, salt_len;
};

struct ktls_session {
	uint16_t version;		/* enum handshake_tls_version */
	uint16_t cipher;		/* enum handshake_cipher */
	struct ktls_crypto tx, rx;
};

/* 0x303/0x304 for TLS 1.2/1.3, 0 for anything kTLS here does not take. */
uint16_t ktls_version(gnutls_protocol_t proto);

/*
 * Map gnutls_record_get_state() output of one direction to kTLS fields.
 * Pure: no session, no I/O, so it can be tested with known vectors.
 * Returns the HANDSHAKE_CIPHER_* value, or -EOPNOTSUPP for a version,
 * cipher or MAC kTLS does not take, or -EINVAL if a length is not the one
 * the cipher implies.
 */
int ktls_map(uint16_t version, gnutls_cipher_algorithm_t cipher,
	     gnutls_mac_algorithm_t mac, const gnutls_datum_t *key,
	     const gnutls_datum_t *iv, const unsigned char seq[8],
	     struct ktls_crypto *out);

/*
 * Install kTLS on a connected TCP socket (the "tls" ULP, then TX and RX),
 * as mainline's protocol wants the agent to. 0 or a negative errno; a
 * failure leaves the socket unusable for TLS, so the handshake fails.
 */
int ktls_install(int fd, const struct ktls_session *ks);

/* Wipe key material (the compiler may not drop it). */
void ktls_session_wipe(struct ktls_session *ks);

#endif
