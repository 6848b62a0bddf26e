/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* Do not edit directly, auto-generated from: */
/*	specs/handshake.yaml */
/* by specs/gen-uapi-header.py */

#ifndef _UAPI_LINUX_HANDSHAKE_H
#define _UAPI_LINUX_HANDSHAKE_H

#define HANDSHAKE_FAMILY_NAME "handshake"
#define HANDSHAKE_FAMILY_VERSION 2
#define HANDSHAKE_MCGRP_TLS "tls"
#define HANDSHAKE_MCGRP_MONITOR "monitor"

/**
 * enum handshake_class - Which kind of agent serves a request.
 * @HANDSHAKE_CLASS_NONE: No agent class; never sent by the kernel.
 * @HANDSHAKE_CLASS_TLS: A TLS agent (handshaked).
 */
enum handshake_class {
	HANDSHAKE_CLASS_NONE,
	HANDSHAKE_CLASS_TLS,
};

/**
 * enum handshake_role - The consumer's side of the TLS handshake.
 * @HANDSHAKE_ROLE_CLIENT: Act as the TLS client.
 * @HANDSHAKE_ROLE_SERVER: Act as the TLS server.
 */
enum handshake_role {
	HANDSHAKE_ROLE_CLIENT = 1,
	HANDSHAKE_ROLE_SERVER,
};

/**
 * enum handshake_auth - How the peers authenticate.
 * @HANDSHAKE_AUTH_UNAUTH: This side does not authenticate itself. A client
 *   still verifies the server's certificate (and its name, given a peername);
 *   a server asks for no client certificate.
 * @HANDSHAKE_AUTH_PSK: Pre-shared keys; the identities are key serials in
 *   peer-identity.
 * @HANDSHAKE_AUTH_X509: X.509 certificates; local credentials in the x509
 *   nest.
 */
enum handshake_auth {
	HANDSHAKE_AUTH_UNAUTH = 1,
	HANDSHAKE_AUTH_PSK,
	HANDSHAKE_AUTH_X509,
};

/**
 * enum handshake_state - Where a request is in its life.
 * @HANDSHAKE_STATE_PENDING: Submitted and not yet claimed by an agent.
 * @HANDSHAKE_STATE_CLAIMED: Claimed by an agent with accept; waiting for its
 *   done.
 */
enum handshake_state {
	HANDSHAKE_STATE_PENDING = 1,
	HANDSHAKE_STATE_CLAIMED,
};

/**
 * enum handshake_event - Lifecycle events multicast on group "monitor".
 * @HANDSHAKE_EVENT_SUBMITTED: A consumer submitted a request (it is now
 *   pending).
 * @HANDSHAKE_EVENT_ACCEPTED: An agent claimed the request.
 * @HANDSHAKE_EVENT_DONE: The agent reported success and the kernel installed
 *   kTLS.
 * @HANDSHAKE_EVENT_FAILED: The handshake failed: the agent reported an error,
 *   or the kernel refused the record state it sent. status carries the errno.
 * @HANDSHAKE_EVENT_TIMED_OUT: The kernel's timer expired before a done
 *   (ETIMEDOUT).
 * @HANDSHAKE_EVENT_CANCELLED: The consumer or an operator cancelled the
 *   request.
 * @HANDSHAKE_EVENT_CLAIMANT_LOST: The netlink socket of the agent that claimed
 *   the request was released before its done (ECONNABORTED).
 */
enum handshake_event {
	HANDSHAKE_EVENT_SUBMITTED = 1,
	HANDSHAKE_EVENT_ACCEPTED,
	HANDSHAKE_EVENT_DONE,
	HANDSHAKE_EVENT_FAILED,
	HANDSHAKE_EVENT_TIMED_OUT,
	HANDSHAKE_EVENT_CANCELLED,
	HANDSHAKE_EVENT_CLAIMANT_LOST,
};

/**
 * enum handshake_tls_version - Record protocol versions, as on the wire and in
 *   <linux/tls.h>.
 * @HANDSHAKE_TLS_VERSION_1_2: TLS 1.2 (TLS_1_2_VERSION).
 * @HANDSHAKE_TLS_VERSION_1_3: TLS 1.3 (TLS_1_3_VERSION).
 */
enum handshake_tls_version {
	HANDSHAKE_TLS_VERSION_1_2 = 771,
	HANDSHAKE_TLS_VERSION_1_3,
};

/**
 * enum handshake_cipher - Ciphers kTLS takes, numbered as TLS_CIPHER_* in
 *   <linux/tls.h>.
 * @HANDSHAKE_CIPHER_AES_GCM_128: AES-128-GCM (TLS_CIPHER_AES_GCM_128).
 * @HANDSHAKE_CIPHER_AES_GCM_256: AES-256-GCM (TLS_CIPHER_AES_GCM_256).
 * @HANDSHAKE_CIPHER_CHACHA20_POLY1305: ChaCha20-Poly1305
 *   (TLS_CIPHER_CHACHA20_POLY1305).
 */
enum handshake_cipher {
	HANDSHAKE_CIPHER_AES_GCM_128 = 51,
	HANDSHAKE_CIPHER_AES_GCM_256,
	HANDSHAKE_CIPHER_CHACHA20_POLY1305 = 54,
};

/*
 * attribute-set x509 - Key serials of the local X.509 credentials, nested in
 *   x509.
 * @HANDSHAKE_A_X509_CERT: (s32) Key serial of the local certificate.
 * @HANDSHAKE_A_X509_PRIVKEY: (s32) Key serial of the local certificate's
 *   private key.
 */
enum {
	HANDSHAKE_A_X509_CERT = 1,
	HANDSHAKE_A_X509_PRIVKEY,

	__HANDSHAKE_A_X509_MAX,
	HANDSHAKE_A_X509_MAX = (__HANDSHAKE_A_X509_MAX - 1)
};

/*
 * attribute-set crypto - Record state of one direction, nested in session's tx
 *   and rx; the fields of the kTLS crypto_info of the negotiated cipher. The
 *   kernel checks every length against the cipher in the done handler, not in
 *   the policy, so that a wrong one fails the request (EINVAL with an extack
 *   message naming it) instead of leaving it claimed.
 * @HANDSHAKE_A_CRYPTO_KEY: (binary) The cipher key.
 * @HANDSHAKE_A_CRYPTO_IV: (binary) The kTLS iv: the per-record part of the
 *   nonce (8 bytes for AES-GCM, all 12 nonce bytes for ChaCha20-Poly1305).
 * @HANDSHAKE_A_CRYPTO_SALT: (binary) The kTLS salt: the implicit part of the
 *   nonce (4 bytes for AES-GCM, absent for ChaCha20-Poly1305).
 * @HANDSHAKE_A_CRYPTO_REC_SEQ: (binary) The next record sequence number, 8
 *   bytes big-endian.
 */
enum {
	HANDSHAKE_A_CRYPTO_KEY = 1,
	HANDSHAKE_A_CRYPTO_IV,
	HANDSHAKE_A_CRYPTO_SALT,
	HANDSHAKE_A_CRYPTO_REC_SEQ,

	__HANDSHAKE_A_CRYPTO_MAX,
	HANDSHAKE_A_CRYPTO_MAX = (__HANDSHAKE_A_CRYPTO_MAX - 1)
};

/*
 * attribute-set session - The negotiated session, nested in session of a done.
 * @HANDSHAKE_A_SESSION_TLS_VERSION: (u16, enum tls-version) Negotiated record
 *   protocol version.
 * @HANDSHAKE_A_SESSION_CIPHER: (u16, enum cipher) Negotiated cipher.
 * @HANDSHAKE_A_SESSION_TX: (nest, attributes of crypto) Record state for
 *   sending.
 * @HANDSHAKE_A_SESSION_RX: (nest, attributes of crypto) Record state for
 *   receiving.
 */
enum {
	HANDSHAKE_A_SESSION_TLS_VERSION = 1,
	HANDSHAKE_A_SESSION_CIPHER,
	HANDSHAKE_A_SESSION_TX,
	HANDSHAKE_A_SESSION_RX,

	__HANDSHAKE_A_SESSION_MAX,
	HANDSHAKE_A_SESSION_MAX = (__HANDSHAKE_A_SESSION_MAX - 1)
};

/*
 * attribute-set stats - Counters of the network namespace, nested in stats.
 * @HANDSHAKE_A_STATS_SUBMITTED: (u64) Requests submitted by consumers.
 * @HANDSHAKE_A_STATS_ACCEPTED: (u64) Requests claimed by an agent.
 * @HANDSHAKE_A_STATS_SUCCEEDED: (u64) Requests completed with kTLS installed.
 * @HANDSHAKE_A_STATS_FAILED: (u64) Requests failed by the agent or refused by
 *   the kernel.
 * @HANDSHAKE_A_STATS_TIMED_OUT: (u64) Requests the kernel timed out.
 * @HANDSHAKE_A_STATS_CANCELLED: (u64) Requests cancelled by the consumer or an
 *   operator.
 * @HANDSHAKE_A_STATS_CLAIMANT_LOST: (u64) Requests failed because their
 *   agent's socket went away.
 * @HANDSHAKE_A_STATS_PENDING: (u32) Requests pending (submitted, not yet
 *   claimed) now.
 * @HANDSHAKE_A_STATS_PENDING_LIMIT: (u32) Most requests that may be pending at
 *   once; submit fails EAGAIN beyond.
 * @HANDSHAKE_A_STATS_PAD: (pad) Alignment padding for the u64 counters.
 */
enum {
	HANDSHAKE_A_STATS_SUBMITTED = 1,
	HANDSHAKE_A_STATS_ACCEPTED,
	HANDSHAKE_A_STATS_SUCCEEDED,
	HANDSHAKE_A_STATS_FAILED,
	HANDSHAKE_A_STATS_TIMED_OUT,
	HANDSHAKE_A_STATS_CANCELLED,
	HANDSHAKE_A_STATS_CLAIMANT_LOST,
	HANDSHAKE_A_STATS_PENDING,
	HANDSHAKE_A_STATS_PENDING_LIMIT,
	HANDSHAKE_A_STATS_PAD,

	__HANDSHAKE_A_STATS_MAX,
	HANDSHAKE_A_STATS_MAX = (__HANDSHAKE_A_STATS_MAX - 1)
};

/*
 * attribute-set handshake - Top-level attributes of every command.
 * @HANDSHAKE_A_COOKIE: (u64) Identifies a request: the socket cookie
 *   (SO_COOKIE) of the consumer's socket. The agent checks the fd it got
 *   against it.
 * @HANDSHAKE_A_PAD: (pad) Alignment padding for u64 attributes.
 * @HANDSHAKE_A_CLASS: (u32, enum class) Which kind of agent serves the
 *   request.
 * @HANDSHAKE_A_ROLE: (u32, enum role) The consumer's side of the handshake.
 * @HANDSHAKE_A_AUTH: (u32, enum auth) How the peers authenticate.
 * @HANDSHAKE_A_PEERNAME: (string) The name the peer must prove (a client's SNI
 *   and certificate name check); absent when the consumer gave none.
 * @HANDSHAKE_A_TIMEOUT_MS: (u32) Milliseconds left before the kernel fails the
 *   request with ETIMEDOUT; in the request event, the whole timeout.
 * @HANDSHAKE_A_SOCKFD: (s32) The fd of the consumer's socket, installed
 *   (O_CLOEXEC) in the process that sent accept.
 * @HANDSHAKE_A_KEYRING: (s32) Key serial of the keyring holding the request's
 *   keys, or 0.
 * @HANDSHAKE_A_X509: (nest, attributes of x509) The local certificate and
 *   private key (auth x509).
 * @HANDSHAKE_A_PEER_IDENTITY: (s32, repeated) Key serial of a pre-shared key
 *   to offer (auth psk); one per key.
 * @HANDSHAKE_A_LOCAL_ADDR: (binary) The socket's local address, a struct
 *   sockaddr_in or sockaddr_in6.
 * @HANDSHAKE_A_PEER_ADDR: (binary) The socket's peer address, a struct
 *   sockaddr_in or sockaddr_in6.
 * @HANDSHAKE_A_STATUS: (u32) Outcome as a positive errno (at most 4095); 0 is
 *   success. A value out of range fails the request with EINVAL.
 * @HANDSHAKE_A_SESSION: (nest, attributes of session) The negotiated session;
 *   in a done with status 0 only.
 * @HANDSHAKE_A_REMOTE_AUTH: (s32, repeated) Key serial of an identity the peer
 *   proved (a key holding its certificate, or the PSK it used); one per
 *   identity, at most 5. A value that is not a key serial (0 or negative)
 *   fails the request with EINVAL.
 * @HANDSHAKE_A_STATE: (u32, enum state) Where the request is in its life.
 * @HANDSHAKE_A_AGE_MS: (u32) Milliseconds since the consumer submitted the
 *   request.
 * @HANDSHAKE_A_CLAIMANT_PID: (u32) Process id (thread-group id, in the
 *   reader's pid namespace) of the task that claimed the request with accept;
 *   absent while pending.
 * @HANDSHAKE_A_EVENT: (u32, enum event) What happened to the request.
 * @HANDSHAKE_A_STATS: (nest, attributes of stats) Counters of the network
 *   namespace.
 */
enum {
	HANDSHAKE_A_COOKIE = 1,
	HANDSHAKE_A_PAD,
	HANDSHAKE_A_CLASS,
	HANDSHAKE_A_ROLE,
	HANDSHAKE_A_AUTH,
	HANDSHAKE_A_PEERNAME,
	HANDSHAKE_A_TIMEOUT_MS,
	HANDSHAKE_A_SOCKFD,
	HANDSHAKE_A_KEYRING,
	HANDSHAKE_A_X509,
	HANDSHAKE_A_PEER_IDENTITY,
	HANDSHAKE_A_LOCAL_ADDR,
	HANDSHAKE_A_PEER_ADDR,
	HANDSHAKE_A_STATUS,
	HANDSHAKE_A_SESSION,
	HANDSHAKE_A_REMOTE_AUTH,
	HANDSHAKE_A_STATE,
	HANDSHAKE_A_AGE_MS,
	HANDSHAKE_A_CLAIMANT_PID,
	HANDSHAKE_A_EVENT,
	HANDSHAKE_A_STATS,

	__HANDSHAKE_A_MAX,
	HANDSHAKE_A_MAX = (__HANDSHAKE_A_MAX - 1)
};

/*
 * operations - Commands.
 * @HANDSHAKE_CMD_REQUEST: Event on group "tls": a consumer submitted a
 *   handshake. A hint only: events can be lost (ENOBUFS), the get dump is the
 *   truth. If no socket of the namespace receives it, the submit fails with
 *   ESRCH; so agents set NETLINK_BROADCAST_ERROR on the socket that joins the
 *   group, which makes an overrun of theirs count as a listener.
 * @HANDSHAKE_CMD_ACCEPT: Claim a pending request for the calling netlink
 *   socket. The reply carries an fd for the consumer's socket, installed in
 *   the caller, and the parameters of the handshake. ENOENT if the request is
 *   not pending (taken, cancelled or timed out).
 * @HANDSHAKE_CMD_DONE: Complete a claimed request; only its claimant may. On
 *   status 0 the kernel validates session against the cipher, installs kTLS
 *   and calls the consumer back; invalid input gets EINVAL with an extack
 *   message and fails the request. A done after the request ended gets ENOENT.
 * @HANDSHAKE_CMD_GET: Read one request (do, by cookie; ENOENT if there is
 *   none) or every request of the network namespace (dump).
 * @HANDSHAKE_CMD_CANCEL: Cancel a request as an operator; the consumer gets
 *   ECANCELED. ENOENT if there is no such request.
 * @HANDSHAKE_CMD_STATS: Read the counters of the network namespace. Open to
 *   every user: the counters say nothing about any one request.
 * @HANDSHAKE_CMD_EVENT: Event on group "monitor": something happened to a
 *   request. status is the errno of failed, timed-out, cancelled and
 *   claimant-lost, 0 otherwise. A done event carries the remote-auth the
 *   consumer gets.
 */
enum {
	HANDSHAKE_CMD_REQUEST = 1,
	HANDSHAKE_CMD_ACCEPT,
	HANDSHAKE_CMD_DONE,
	HANDSHAKE_CMD_GET,
	HANDSHAKE_CMD_CANCEL,
	HANDSHAKE_CMD_STATS,
	HANDSHAKE_CMD_EVENT,

	__HANDSHAKE_CMD_MAX,
	HANDSHAKE_CMD_MAX = (__HANDSHAKE_CMD_MAX - 1)
};

#endif /* _UAPI_LINUX_HANDSHAKE_H */
