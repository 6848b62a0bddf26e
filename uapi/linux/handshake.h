/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Handshake upcall: generic netlink family "handshake", version 2.
 *
 * The kernel multicasts HANDSHAKE_CMD_REQUEST on group "tls" for each TLS
 * handshake a kernel consumer submits. An agent claims it with
 * HANDSHAKE_CMD_ACCEPT (and receives an fd for the consumer's socket),
 * runs the handshake and reports with HANDSHAKE_CMD_DONE, carrying the
 * negotiated record state; the kernel installs kTLS itself.
 *
 * specs/handshake.yaml is the full description of this protocol; this
 * header agrees with it name for name and value for value.
 */
#ifndef _UAPI_LINUX_HANDSHAKE_H
#define _UAPI_LINUX_HANDSHAKE_H

#define HANDSHAKE_FAMILY_NAME		"handshake"
#define HANDSHAKE_FAMILY_VERSION	2

#define HANDSHAKE_MCGRP_TLS		"tls"
#define HANDSHAKE_MCGRP_MONITOR		"monitor"

/* Which kind of agent serves a request. */
enum handshake_class {
	HANDSHAKE_CLASS_NONE,
	HANDSHAKE_CLASS_TLS,
};

enum handshake_role {
	HANDSHAKE_ROLE_CLIENT = 1,
	HANDSHAKE_ROLE_SERVER,
};

enum handshake_auth {
	HANDSHAKE_AUTH_UNAUTH = 1,
	HANDSHAKE_AUTH_PSK,
	HANDSHAKE_AUTH_X509,
};

enum handshake_state {
	HANDSHAKE_STATE_PENDING = 1,
	HANDSHAKE_STATE_CLAIMED,
};

/* Lifecycle events multicast on group "monitor". */
enum handshake_event {
	HANDSHAKE_EVENT_SUBMITTED = 1,
	HANDSHAKE_EVENT_ACCEPTED,
	HANDSHAKE_EVENT_DONE,
	HANDSHAKE_EVENT_FAILED,
	HANDSHAKE_EVENT_TIMED_OUT,
	HANDSHAKE_EVENT_CANCELLED,
	HANDSHAKE_EVENT_CLAIMANT_LOST,
};

/* Record protocol versions, as on the wire and in <linux/tls.h>. */
enum handshake_tls_version {
	HANDSHAKE_TLS_VERSION_1_2 = 0x303,
	HANDSHAKE_TLS_VERSION_1_3 = 0x304,
};

/* Ciphers kTLS takes, numbered as TLS_CIPHER_* in <linux/tls.h>. */
enum handshake_cipher {
	HANDSHAKE_CIPHER_AES_GCM_128 = 51,
	HANDSHAKE_CIPHER_AES_GCM_256 = 52,
	HANDSHAKE_CIPHER_CHACHA20_POLY1305 = 54,
};

/* Nested in HANDSHAKE_A_X509: key serials of the local credentials. */
enum {
	HANDSHAKE_A_X509_CERT = 1,	/* s32 */
	HANDSHAKE_A_X509_PRIVKEY,	/* s32 */

	__HANDSHAKE_A_X509_MAX,
	HANDSHAKE_A_X509_MAX = (__HANDSHAKE_A_X509_MAX - 1)
};

/* Record state of one direction, nested in HANDSHAKE_A_SESSION_TX/RX. */
enum {
	HANDSHAKE_A_CRYPTO_KEY = 1,	/* binary: cipher key */
	HANDSHAKE_A_CRYPTO_IV,		/* binary: kTLS iv (per-record part) */
	HANDSHAKE_A_CRYPTO_SALT,	/* binary: kTLS salt (implicit part) */
	HANDSHAKE_A_CRYPTO_REC_SEQ,	/* binary: 8-byte big-endian seq */

	__HANDSHAKE_A_CRYPTO_MAX,
	HANDSHAKE_A_CRYPTO_MAX = (__HANDSHAKE_A_CRYPTO_MAX - 1)
};

/* Negotiated session, nested in HANDSHAKE_A_SESSION of a done. */
enum {
	HANDSHAKE_A_SESSION_TLS_VERSION = 1,	/* u16, enum handshake_tls_version */
	HANDSHAKE_A_SESSION_CIPHER,		/* u16, enum handshake_cipher */
	HANDSHAKE_A_SESSION_TX,			/* nest, HANDSHAKE_A_CRYPTO_* */
	HANDSHAKE_A_SESSION_RX,			/* nest, HANDSHAKE_A_CRYPTO_* */

	__HANDSHAKE_A_SESSION_MAX,
	HANDSHAKE_A_SESSION_MAX = (__HANDSHAKE_A_SESSION_MAX - 1)
};

/* Counters, nested in HANDSHAKE_A_STATS. */
enum {
	HANDSHAKE_A_STATS_SUBMITTED = 1,	/* u64 */
	HANDSHAKE_A_STATS_ACCEPTED,		/* u64 */
	HANDSHAKE_A_STATS_SUCCEEDED,		/* u64 */
	HANDSHAKE_A_STATS_FAILED,		/* u64 */
	HANDSHAKE_A_STATS_TIMED_OUT,		/* u64 */
	HANDSHAKE_A_STATS_CANCELLED,		/* u64 */
	HANDSHAKE_A_STATS_CLAIMANT_LOST,	/* u64 */
	HANDSHAKE_A_STATS_PENDING,		/* u32: pending now */
	HANDSHAKE_A_STATS_PENDING_LIMIT,	/* u32 */
	HANDSHAKE_A_STATS_PAD,

	__HANDSHAKE_A_STATS_MAX,
	HANDSHAKE_A_STATS_MAX = (__HANDSHAKE_A_STATS_MAX - 1)
};

/* Top-level attributes of every command. */
enum {
	HANDSHAKE_A_COOKIE = 1,		/* u64: SO_COOKIE of the socket */
	HANDSHAKE_A_PAD,
	HANDSHAKE_A_CLASS,		/* u32, enum handshake_class */
	HANDSHAKE_A_ROLE,		/* u32, enum handshake_role */
	HANDSHAKE_A_AUTH,		/* u32, enum handshake_auth */
	HANDSHAKE_A_PEERNAME,		/* string */
	HANDSHAKE_A_TIMEOUT_MS,		/* u32 */
	HANDSHAKE_A_SOCKFD,		/* s32 */
	HANDSHAKE_A_KEYRING,		/* s32 key serial */
	HANDSHAKE_A_X509,		/* nest, HANDSHAKE_A_X509_* */
	HANDSHAKE_A_PEER_IDENTITY,	/* s32 key serial, multi */
	HANDSHAKE_A_LOCAL_ADDR,		/* binary: struct sockaddr_in/in6 */
	HANDSHAKE_A_PEER_ADDR,		/* binary: struct sockaddr_in/in6 */
	HANDSHAKE_A_STATUS,		/* u32: positive errno, 0 = success */
	HANDSHAKE_A_SESSION,		/* nest, HANDSHAKE_A_SESSION_* */
	HANDSHAKE_A_REMOTE_AUTH,	/* s32 key serial, multi */
	HANDSHAKE_A_STATE,		/* u32, enum handshake_state */
	HANDSHAKE_A_AGE_MS,		/* u32 */
	HANDSHAKE_A_CLAIMANT_PID,	/* u32 */
	HANDSHAKE_A_EVENT,		/* u32, enum handshake_event */
	HANDSHAKE_A_STATS,		/* nest, HANDSHAKE_A_STATS_* */

	__HANDSHAKE_A_MAX,
	HANDSHAKE_A_MAX = (__HANDSHAKE_A_MAX - 1)
};

enum {
	HANDSHAKE_CMD_REQUEST = 1,	/* notify on "tls" */
	HANDSHAKE_CMD_ACCEPT,
	HANDSHAKE_CMD_DONE,
	HANDSHAKE_CMD_GET,
	HANDSHAKE_CMD_CANCEL,
	HANDSHAKE_CMD_STATS,
	HANDSHAKE_CMD_EVENT,		/* notify on "monitor" */

	__HANDSHAKE_CMD_MAX,
	HANDSHAKE_CMD_MAX = (__HANDSHAKE_CMD_MAX - 1)
};

#endif /* _UAPI_LINUX_HANDSHAKE_H */
