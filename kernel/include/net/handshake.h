/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Handshake upcall: the API for in-kernel TLS consumers.
 *
 * A consumer that holds a connected TCP socket asks for a TLS handshake with
 * handshake_req_submit(). A user-space agent claims the request over generic
 * netlink, performs the handshake on the socket and reports the negotiated
 * record state; this module installs kTLS on the socket and then calls the
 * consumer back.
 *
 * Contract:
 *  - The socket is a connected (ESTABLISHED) TCP socket with a file
 *    (sock_alloc_file()); a request pins that file until it ends.
 *    handshake_req_submit() is called in process context without the
 *    socket lock.
 *  - After a successful submit, @done runs exactly once -- unless the
 *    consumer wins handshake_req_cancel(), in which case it never runs.
 *    It runs in process context (it may sleep), from a WQ_MEM_RECLAIM
 *    workqueue: it may allocate with GFP_NOIO and reconnect under memory
 *    pressure, but it must not wait for memory reclaim to finish I/O of
 *    its own.
 *  - handshake_req_cancel() may be called in process or softirq context
 *    (e.g. from the socket's sk_state_change), interrupts enabled.
 *  - Namespace exit: kernel sockets do not pin their network namespace.
 *    Requests still live when the socket's namespace exits end with
 *    -ENETDOWN, and the namespace is freed only after their callbacks
 *    have run and every socket whose last reference a request held is
 *    closed. A consumer whose own pernet exit runs first (consumers load
 *    after handshake.ko, so theirs does) must either cancel its requests
 *    there or keep what @done touches alive until @done has run, and must
 *    close its own references to its sockets before its exit returns, and
 *    synchronously: __fput_sync() (from a kthread) or fput() followed by
 *    flush_delayed_fput(), as a deferred close may run after TCP's exit.
 *  - On success (status 0) kTLS is installed in both directions: plain
 *    kernel_sendmsg() and kernel_recvmsg() are encrypted from then on. The
 *    peer may send records other than application data (TLS 1.3 session
 *    tickets, alerts): read with a control buffer
 *    (union handshake_record_cmsg) and check the type with
 *    handshake_record_type(). 6.1's kTLS cannot rekey: after a TLS 1.3
 *    KeyUpdate from the peer nothing decrypts any more, and
 *    handshake_record_check() says so (-EKEYEXPIRED); reconnect.
 *  - On failure the socket is not usable for TLS; the consumer closes it.
 */
#ifndef _NET_HANDSHAKE_H
#define _NET_HANDSHAKE_H

#include <linux/types.h>
#include <linux/key.h>
#include <linux/socket.h>
#include <linux/handshake.h>

struct socket;

/* At most this many PSK identities may be offered by one request. */
#define HANDSHAKE_MAX_PSK	5
/* Longest peer name (a DNS name) a request may carry. */
#define HANDSHAKE_MAX_PEERNAME	255

/**
 * struct handshake_result - outcome of a handshake
 * @status: 0 on success, or a negative errno
 * @tls_version: negotiated record version (%TLS_1_2_VERSION or
 *	%TLS_1_3_VERSION)
 * @cipher: negotiated cipher (%TLS_CIPHER_AES_GCM_128, ...)
 * @num_peerids: number of valid entries in @peerids
 * @peerids: key serials of the peer identities the agent authenticated
 */
struct handshake_result {
	int status;
	u16 tls_version;
	u16 cipher;
	unsigned int num_peerids;
	key_serial_t peerids[HANDSHAKE_MAX_PSK];
};

/**
 * struct handshake_args - what the consumer asks for
 * @sock: connected TCP socket with a file
 * @role: %HANDSHAKE_ROLE_CLIENT or %HANDSHAKE_ROLE_SERVER
 * @auth: %HANDSHAKE_AUTH_UNAUTH, %HANDSHAKE_AUTH_X509 or %HANDSHAKE_AUTH_PSK
 * @peername: expected peer name (client: SNI and certificate name), or NULL
 * @timeout_ms: time limit for the whole handshake, 0 for the module default
 * @keyring: keyring the agent may read the keys from, or 0
 * @cert: key serial of the local certificate (x509), or 0 for the agent's own
 * @privkey: key serial of the local private key (x509), or 0
 * @num_psk: number of entries in @psk (psk: 1 to %HANDSHAKE_MAX_PSK)
 * @psk: key serials of the pre-shared keys
 * @done: called exactly once when the handshake ends (see the contract above)
 * @data: passed to @done
 */
struct handshake_args {
	struct socket *sock;
	enum handshake_role role;
	enum handshake_auth auth;
	const char *peername;
	unsigned int timeout_ms;
	key_serial_t keyring;
	key_serial_t cert;
	key_serial_t privkey;
	unsigned int num_psk;
	key_serial_t psk[HANDSHAKE_MAX_PSK];
	void (*done)(void *data, const struct handshake_result *result);
	void *data;
};

int handshake_req_submit(const struct handshake_args *args, gfp_t gfp);
bool handshake_req_cancel(struct socket *sock);

u64 handshake_sock_cookie(struct socket *sock);

/*
 * Room for the one control message kTLS uses: the record type, given to a
 * reader (handshake_record_type()) and taken from a sender.
 */
union handshake_record_cmsg {
	struct cmsghdr cmsg;
	u8 buf[CMSG_SPACE(sizeof(u8))];
};

u8 handshake_record_type(const struct cmsghdr *cmsg);
int handshake_record_check(u8 type, const void *data, size_t len);
int handshake_send_alert(struct socket *sock, u8 level, u8 description);
int handshake_send_close_notify(struct socket *sock);

/* TLS record content types (RFC 8446, 5.1) and alert values (6). */
#define HANDSHAKE_RECORD_ALERT		21
#define HANDSHAKE_RECORD_HANDSHAKE	22
#define HANDSHAKE_RECORD_DATA		23
#define HANDSHAKE_ALERT_LEVEL_WARNING	1
#define HANDSHAKE_ALERT_LEVEL_FATAL	2
#define HANDSHAKE_ALERT_CLOSE_NOTIFY	0

/*
 * Mainline Linux's consumer API (Linux 6.5 and later), with the same
 * declarations, on top of the requests above: docs/DESIGN.md maps each
 * call and field to a request. Consumers written for it build and load
 * unchanged. @ta_done runs exactly once unless tls_handshake_cancel()
 * wins, as for handshake_args.done, with the key serial of the identity
 * the peer authenticated with, or TLS_NO_PEERID.
 */
enum {
	TLS_NO_KEYRING = 0,
	TLS_NO_PEERID = 0,
	TLS_NO_CERT = 0,
	TLS_NO_PRIVKEY = 0,
};

typedef void	(*tls_done_func_t)(void *data, int status,
				   key_serial_t peerid);

struct tls_handshake_args {
	struct socket		*ta_sock;
	tls_done_func_t		ta_done;
	void			*ta_data;
	const char		*ta_peername;
	unsigned int		ta_timeout_ms;
	key_serial_t		ta_keyring;
	key_serial_t		ta_my_cert;
	key_serial_t		ta_my_privkey;
	unsigned int		ta_num_peerids;
	key_serial_t		ta_my_peerids[5];
};

struct sock;
struct msghdr;

int tls_client_hello_anon(const struct tls_handshake_args *args, gfp_t flags);
int tls_client_hello_x509(const struct tls_handshake_args *args, gfp_t flags);
int tls_client_hello_psk(const struct tls_handshake_args *args, gfp_t flags);
int tls_server_hello_x509(const struct tls_handshake_args *args, gfp_t flags);
int tls_server_hello_psk(const struct tls_handshake_args *args, gfp_t flags);

bool tls_handshake_cancel(struct sock *sk);
void tls_handshake_close(struct socket *sock);

u8 tls_get_record_type(const struct sock *sk, const struct cmsghdr *msg);
void tls_alert_recv(const struct sock *sk, const struct msghdr *msg,
		    u8 *level, u8 *description);

#endif /* _NET_HANDSHAKE_H */
