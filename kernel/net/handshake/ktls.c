// SPDX-License-Identifier: GPL-2.0
/*
 * Handshake upcall: validate the session an agent negotiated and install
 * it as kTLS on the consumer's socket.
 *
 * The agent never touches SOL_TLS: the kernel checks every length against
 * the cipher before anything is installed, so a broken agent can fail a
 * request but cannot leave a socket with half a configuration.
 */
#include <linux/net.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <net/tcp.h>
#include <net/tls.h>
#include <uapi/linux/tls.h>

#include "handshake.h"

/* Where each part of a direction's state goes in the cipher's crypto_info. */
struct handshake_cipher_layout {
	u16 cipher;
	unsigned int info_len;
	unsigned int key_len, key_off;
	unsigned int iv_len, iv_off;
	unsigned int salt_len, salt_off;
	unsigned int seq_off;
};

/* _cipher is also the prefix of the cipher's size constants in tls.h. */
#define HANDSHAKE_LAYOUT(_cipher, type)				\
	{								\
		.cipher = _cipher,					\
		.info_len = sizeof(struct type),			\
		.key_len = _cipher##_KEY_SIZE,				\
		.key_off = offsetof(struct type, key),			\
		.iv_len = _cipher##_IV_SIZE,				\
		.iv_off = offsetof(struct type, iv),			\
		.salt_len = _cipher##_SALT_SIZE,			\
		.salt_off = offsetof(struct type, salt),		\
		.seq_off = offsetof(struct type, rec_seq),		\
	}

static const struct handshake_cipher_layout handshake_ciphers[] = {
	HANDSHAKE_LAYOUT(TLS_CIPHER_AES_GCM_128, tls12_crypto_info_aes_gcm_128),
	HANDSHAKE_LAYOUT(TLS_CIPHER_AES_GCM_256, tls12_crypto_info_aes_gcm_256),
	HANDSHAKE_LAYOUT(TLS_CIPHER_CHACHA20_POLY1305,
			 tls12_crypto_info_chacha20_poly1305),
};

static const struct handshake_cipher_layout *handshake_cipher_find(u16 cipher)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(handshake_ciphers); i++)
		if (handshake_ciphers[i].cipher == cipher)
			return &handshake_ciphers[i];
	return NULL;
}

/* NL_SET_ERR_MSG_ATTR() takes literals only; these messages are static too. */
static void handshake_bad_attr(struct netlink_ext_ack *extack,
			       const struct nlattr *attr, const char *msg)
{
	if (extack) {
		extack->_msg = msg;
		extack->bad_attr = attr;
	}
}

/* Copies one part of a direction's state if its length is the cipher's. */
static int handshake_crypto_part(u8 *info, struct nlattr **tb, int type,
				 unsigned int len, unsigned int off,
				 const struct nlattr *dir,
				 struct netlink_ext_ack *extack)
{
	static const char * const missing[] = {
		[HANDSHAKE_A_CRYPTO_KEY] = "key missing",
		[HANDSHAKE_A_CRYPTO_IV] = "iv missing",
		[HANDSHAKE_A_CRYPTO_SALT] = "salt missing",
		[HANDSHAKE_A_CRYPTO_REC_SEQ] = "rec-seq missing",
	};
	static const char * const badlen[] = {
		[HANDSHAKE_A_CRYPTO_KEY] =
			"key length does not match the cipher",
		[HANDSHAKE_A_CRYPTO_IV] = "iv length does not match the cipher",
		[HANDSHAKE_A_CRYPTO_SALT] =
			"salt length does not match the cipher",
		[HANDSHAKE_A_CRYPTO_REC_SEQ] = "rec-seq length is not 8",
	};
	const struct nlattr *attr = tb[type];

	if (!len) {
		/* A cipher without a salt takes none, or an empty one. */
		if (attr && nla_len(attr)) {
			handshake_bad_attr(extack, attr, badlen[type]);
			return -EINVAL;
		}
		return 0;
	}
	if (!attr) {
		handshake_bad_attr(extack, dir, missing[type]);
		return -EINVAL;
	}
	if (nla_len(attr) != len) {
		handshake_bad_attr(extack, attr, badlen[type]);
		return -EINVAL;
	}
	memcpy(info + off, nla_data(attr), len);
	return 0;
}

static int handshake_crypto_parse(const struct handshake_cipher_layout *layout,
				  u16 version, const struct nlattr *dir,
				  union handshake_crypto_info *ci,
				  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[HANDSHAKE_A_CRYPTO_MAX + 1];
	u8 *info = (u8 *)ci;
	int err;

	/* The policy has been applied by the genetlink core. */
	err = nla_parse_nested(tb, HANDSHAKE_A_CRYPTO_MAX, dir, NULL, extack);
	if (err)
		return err;
	ci->info.version = version;
	ci->info.cipher_type = layout->cipher;
	err = handshake_crypto_part(info, tb, HANDSHAKE_A_CRYPTO_KEY,
				    layout->key_len, layout->key_off, dir,
				    extack);
	if (!err)
		err = handshake_crypto_part(info, tb, HANDSHAKE_A_CRYPTO_IV,
					    layout->iv_len, layout->iv_off,
					    dir, extack);
	if (!err)
		err = handshake_crypto_part(info, tb, HANDSHAKE_A_CRYPTO_SALT,
					    layout->salt_len, layout->salt_off,
					    dir, extack);
	if (!err)
		err = handshake_crypto_part(info, tb,
					    HANDSHAKE_A_CRYPTO_REC_SEQ,
					    TLS_CIPHER_AES_GCM_128_REC_SEQ_SIZE,
					    layout->seq_off, dir, extack);
	return err;
}

/**
 * handshake_session_parse - validate a done's session attribute
 * @attr: the HANDSHAKE_A_SESSION nest, already checked against the policy
 * @extack: where to say what is wrong
 * @session: filled with both directions' crypto_info
 *
 * Return: 0, or -EINVAL with @extack naming the offending attribute.
 */
int handshake_session_parse(const struct nlattr *attr,
			    struct netlink_ext_ack *extack,
			    struct handshake_session *session)
{
	struct nlattr *tb[HANDSHAKE_A_SESSION_MAX + 1];
	const struct handshake_cipher_layout *layout;
	u16 version, cipher;
	int err;

	BUILD_BUG_ON(HANDSHAKE_TLS_VERSION_1_2 != TLS_1_2_VERSION);
	BUILD_BUG_ON(HANDSHAKE_TLS_VERSION_1_3 != TLS_1_3_VERSION);
	BUILD_BUG_ON(HANDSHAKE_CIPHER_AES_GCM_128 != TLS_CIPHER_AES_GCM_128);
	BUILD_BUG_ON(HANDSHAKE_CIPHER_AES_GCM_256 != TLS_CIPHER_AES_GCM_256);
	BUILD_BUG_ON(HANDSHAKE_CIPHER_CHACHA20_POLY1305 !=
		     TLS_CIPHER_CHACHA20_POLY1305);

	memset(session, 0, sizeof(*session));
	err = nla_parse_nested(tb, HANDSHAKE_A_SESSION_MAX, attr, NULL, extack);
	if (err)
		return err;
	if (!tb[HANDSHAKE_A_SESSION_TLS_VERSION]) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "session: tls-version missing");
		return -EINVAL;
	}
	version = nla_get_u16(tb[HANDSHAKE_A_SESSION_TLS_VERSION]);
	if (version != TLS_1_2_VERSION && version != TLS_1_3_VERSION) {
		NL_SET_ERR_MSG_ATTR(extack, tb[HANDSHAKE_A_SESSION_TLS_VERSION],
				    "session: tls-version is neither TLS 1.2 nor TLS 1.3");
		return -EINVAL;
	}
	if (!tb[HANDSHAKE_A_SESSION_CIPHER]) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "session: cipher missing");
		return -EINVAL;
	}
	cipher = nla_get_u16(tb[HANDSHAKE_A_SESSION_CIPHER]);
	layout = handshake_cipher_find(cipher);
	if (!layout) {
		NL_SET_ERR_MSG_ATTR(extack, tb[HANDSHAKE_A_SESSION_CIPHER],
				    "session: cipher is not one kTLS takes");
		return -EINVAL;
	}
	if (!tb[HANDSHAKE_A_SESSION_TX] || !tb[HANDSHAKE_A_SESSION_RX]) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "session: both tx and rx are needed");
		return -EINVAL;
	}
	session->info_len = layout->info_len;
	err = handshake_crypto_parse(layout, version,
				     tb[HANDSHAKE_A_SESSION_TX], &session->tx,
				     extack);
	if (!err)
		err = handshake_crypto_parse(layout, version,
					     tb[HANDSHAKE_A_SESSION_RX],
					     &session->rx, extack);
	return err;
}

/**
 * handshake_ktls_install - put a validated session on a socket
 * @sock: the consumer's TCP socket, ESTABLISHED, socket lock not held
 * @session: from handshake_session_parse()
 *
 * Context: process context.
 * Return: 0 or a negative errno from the TCP ULP or kTLS.
 */
int handshake_ktls_install(struct socket *sock,
			   struct handshake_session *session)
{
	char ulp[] = "tls";
	int err;

	/*
	 * tcp_set_ulp() is not exported; tcp_setsockopt() is, and locks the
	 * socket itself. The "tls" module is loaded beforehand (softdep), as
	 * the ULP autoload would need CAP_NET_ADMIN of the current task.
	 */
	err = tcp_setsockopt(sock->sk, SOL_TCP, TCP_ULP, KERNEL_SOCKPTR(ulp),
			     sizeof(ulp));
	if (err)
		return err;
	err = sock->ops->setsockopt(sock, SOL_TLS, TLS_TX,
				    KERNEL_SOCKPTR(&session->tx),
				    session->info_len);
	if (err)
		return err;
	return sock->ops->setsockopt(sock, SOL_TLS, TLS_RX,
				     KERNEL_SOCKPTR(&session->rx),
				     session->info_len);
}

/**
 * handshake_ktls_tx_installed - whether a handshake put kTLS on a socket
 * @sk: the socket
 *
 * Context: process context; takes the socket lock.
 * Return: true if the "tls" ULP sends in software (what this module
 * installs).
 */
bool handshake_ktls_tx_installed(struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	bool ktls;

	lock_sock(sk);
	ktls = icsk->icsk_ulp_ops && !strcmp(icsk->icsk_ulp_ops->name, "tls") &&
	       tls_get_ctx(sk)->tx_conf == TLS_SW;
	release_sock(sk);
	return ktls;
}

void handshake_session_wipe(struct handshake_session *session)
{
	memzero_explicit(session, sizeof(*session));
}
