// SPDX-License-Identifier: GPL-2.0-only
/*
 * GnuTLS record state -> kTLS crypto_info fields.
 *
 * An AEAD nonce is 12 bytes. kTLS splits it into a "salt" (the fixed,
 * implicit part) and an "iv" (the per-record part):
 *
 * - TLS 1.3 AES-GCM: GnuTLS gives the 12-byte static IV; the kernel XORs
 *   the sequence number into it, so salt = iv[0..3], iv = iv[4..11].
 * - TLS 1.2 AES-GCM: GnuTLS gives the 4-byte implicit IV (salt). The
 *   8-byte explicit nonce is per record; GnuTLS uses the sequence number
 *   for it, and the kernel continues from the iv it is given, so iv = seq.
 * - ChaCha20-Poly1305 (both versions): the nonce is the 12-byte IV XOR
 *   the sequence number; kTLS takes all 12 bytes as iv, no salt.
 *
 * rec_seq is the 8-byte big-endian sequence number as GnuTLS returns it.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/tls.h>

#include "ktls.h"
#include "linux/handshake.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

uint16_t ktls_version(gnutls_protocol_t proto)
{
	switch (proto) {
	case GNUTLS_TLS1_2:
		return HANDSHAKE_TLS_VERSION_1_2;
	case GNUTLS_TLS1_3:
		return HANDSHAKE_TLS_VERSION_1_3;
	default:
		return 0;
	}
}

int ktls_map(uint16_t version, gnutls_cipher_algorithm_t cipher,
	     gnutls_mac_algorithm_t mac, const gnutls_datum_t *key,
	     const gnutls_datum_t *iv, const unsigned char seq[8],
	     struct ktls_crypto *out)
{
	size_t key_len;
	int id;

	memset(out, 0, sizeof(*out));
	if (version != HANDSHAKE_TLS_VERSION_1_2 &&
	    version != HANDSHAKE_TLS_VERSION_1_3)
		return -EOPNOTSUPP;
	/* kTLS only does AEAD: any separate MAC means a CBC/stream suite. */
	if (mac != GNUTLS_MAC_AEAD)
		return -EOPNOTSUPP;

	switch (cipher) {
	case GNUTLS_CIPHER_AES_128_GCM:
		id = HANDSHAKE_CIPHER_AES_GCM_128;
		key_len = 16;
		break;
	case GNUTLS_CIPHER_AES_256_GCM:
		id = HANDSHAKE_CIPHER_AES_GCM_256;
		key_len = 32;
		break;
	case GNUTLS_CIPHER_CHACHA20_POLY1305:
		id = HANDSHAKE_CIPHER_CHACHA20_POLY1305;
		key_len = 32;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (!key || key->size != key_len || !iv)
		return -EINVAL;

	if (id == HANDSHAKE_CIPHER_CHACHA20_POLY1305) {
		if (iv->size != 12)
			return -EINVAL;
		memcpy(out->iv, iv->data, 12);
		out->iv_len = 12;
	} else if (version == HANDSHAKE_TLS_VERSION_1_3) {
		if (iv->size != 12)
			return -EINVAL;
		memcpy(out->salt, iv->data, 4);
		memcpy(out->iv, iv->data + 4, 8);
		out->salt_len = 4;
		out->iv_len = 8;
	} else {
		if (iv->size != 4)
			return -EINVAL;
		memcpy(out->salt, iv->data, 4);
		memcpy(out->iv, seq, 8);
		out->salt_len = 4;
		out->iv_len = 8;
	}
	memcpy(out->key, key->data, key_len);
	out->key_len = key_len;
	memcpy(out->rec_seq, seq, 8);
	return id;
}

void ktls_session_wipe(struct ktls_session *ks)
{
	gnutls_memset(ks, 0, sizeof(*ks));
}

/* One direction's crypto_info, as <linux/tls.h> lays it out per cipher. */
static int install_dir(int fd, int optname, uint16_t version, uint16_t cipher,
		       const struct ktls_crypto *c)
{
	union {
		struct tls12_crypto_info_aes_gcm_128 gcm128;
		struct tls12_crypto_info_aes_gcm_256 gcm256;
		struct tls12_crypto_info_chacha20_poly1305 chacha;
	} ci;
	socklen_t len;
	int r;

	memset(&ci, 0, sizeof(ci));
	switch (cipher) {
	case HANDSHAKE_CIPHER_AES_GCM_128:
		if (c->key_len != sizeof(ci.gcm128.key) || c->iv_len != sizeof(ci.gcm128.iv) ||
		    c->salt_len != sizeof(ci.gcm128.salt))
			return -EINVAL;
		memcpy(ci.gcm128.key, c->key, c->key_len);
		memcpy(ci.gcm128.iv, c->iv, c->iv_len);
		memcpy(ci.gcm128.salt, c->salt, c->salt_len);
		memcpy(ci.gcm128.rec_seq, c->rec_seq, sizeof(ci.gcm128.rec_seq));
		len = sizeof(ci.gcm128);
		break;
	case HANDSHAKE_CIPHER_AES_GCM_256:
		if (c->key_len != sizeof(ci.gcm256.key) || c->iv_len != sizeof(ci.gcm256.iv) ||
		    c->salt_len != sizeof(ci.gcm256.salt))
			return -EINVAL;
		memcpy(ci.gcm256.key, c->key, c->key_len);
		memcpy(ci.gcm256.iv, c->iv, c->iv_len);
		memcpy(ci.gcm256.salt, c->salt, c->salt_len);
		memcpy(ci.gcm256.rec_seq, c->rec_seq, sizeof(ci.gcm256.rec_seq));
		len = sizeof(ci.gcm256);
		break;
	case HANDSHAKE_CIPHER_CHACHA20_POLY1305:
		if (c->key_len != sizeof(ci.chacha.key) || c->iv_len != sizeof(ci.chacha.iv) ||
		    c->salt_len)
			return -EINVAL;
		memcpy(ci.chacha.key, c->key, c->key_len);
		memcpy(ci.chacha.iv, c->iv, c->iv_len);
		memcpy(ci.chacha.rec_seq, c->rec_seq, sizeof(ci.chacha.rec_seq));
		len = sizeof(ci.chacha);
		break;
	default:
		return -EOPNOTSUPP;
	}
	/* The cipher-specific structs all begin with the common header. */
	ci.gcm128.info.version = version;
	ci.gcm128.info.cipher_type = cipher;
	r = setsockopt(fd, SOL_TLS, optname, &ci, len) < 0 ? -errno : 0;
	gnutls_memset(&ci, 0, sizeof(ci));
	return r;
}

int ktls_install(int fd, const struct ktls_session *ks)
{
	int r;

	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) < 0)
		return -errno;
	r = install_dir(fd, TLS_TX, ks->version, ks->cipher, &ks->tx);
	if (r == 0)
		r = install_dir(fd, TLS_RX, ks->version, ks->cipher, &ks->rx);
	return r;
}
