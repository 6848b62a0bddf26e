/* SPDX-License-Identifier: GPL-2.0 */
/*
 * handshake_demo: what its parts share. main.c documents the module's
 * interface; each of the other files is one job: parse.c reads a connect
 * line, client.c runs one synchronous connect, async.c the asynchronous
 * one, batch.c the benchmark batches, echo.c the echo server, and common.c
 * has the handshake and kTLS helpers they all use.
 */
#ifndef _HANDSHAKE_DEMO_H
#define _HANDSHAKE_DEMO_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/socket.h>
#include <linux/types.h>
#include <net/handshake.h>

struct file;

/* A connect line, and the sent= and reply= of a result, fit in this. */
#define DEMO_LINE_MAX		1024

/* A handshake the caller waits for. */
struct demo_handshake {
	struct handshake_args args;
	struct completion done;
	struct handshake_result result;
	atomic_t callbacks;		/* the API promises exactly one */
};

/* What a connect line asks for (see main.c). */
struct demo_params {
	struct sockaddr_storage addr;
	int addrlen;
	char *peername;
	enum handshake_auth auth;
	key_serial_t psk;
	unsigned int timeout_ms;
	int cancel_ms;		/* -1: no cancel */
	bool cancel_on_close;	/* cancel from sk_state_change (softirq) */
	bool locked;		/* submit with the socket lock held */
	bool dup;
	bool async;
	bool release;
	key_serial_t keyring;
	unsigned int count;		/* 0: one connect, not a batch */
	unsigned int concurrency;
	unsigned int pause_ms;
	char *message;
};

/* A connect's outcome, as the result file shows it. */
struct demo_result {
	int status;
	u64 cookie;
	const char *cancel;
	int dup_status;
	int callbacks;
	u16 version;
	u16 cipher;
	key_serial_t peerid;	/* the first remote-auth serial; 0: none */
	s64 elapsed_us;
	/* A batch's outcome. */
	unsigned int count, ok, failed;
	u64 p50_ns, p99_ns, total_ns;
	char sent[DEMO_LINE_MAX];
	char reply[DEMO_LINE_MAX];
};

/* main.c: the last connect's outcome, under demo_result_lock. */
extern struct mutex demo_result_lock;
extern struct demo_result demo_last;
void demo_set_latencies(u64 *lat_ns, unsigned int n);

/*
 * common.c. What the consumer API promises, counted over every request of
 * this module: each successful submit ends in exactly one callback or one
 * cancel that won, so submitted == callbacks + cancelled once all is over.
 */
extern atomic_t demo_submitted, demo_callbacks, demo_cancelled;
void demo_handshake_init(struct demo_handshake *hs, struct socket *sock,
			 enum handshake_role role, enum handshake_auth auth,
			 const char *peername, key_serial_t psk,
			 unsigned int timeout_ms);
int demo_submit(struct demo_handshake *hs);
bool demo_try_cancel(struct socket *sock);
int demo_handshake_wait(struct demo_handshake *hs);
void demo_set_timeouts(struct socket *sock, unsigned int timeout_ms);
int demo_recv(struct socket *sock, void *buf, size_t len, u8 *type);
int demo_send_all(struct socket *sock, const void *buf, size_t len);

/* parse.c */
int demo_parse(char *line, struct demo_params *p);

/* client.c */
int demo_check_cmsg(void);
struct file *demo_client_prepare(const struct demo_params *p,
				 struct demo_handshake *hs);
int demo_client(const struct demo_params *p, struct demo_result *res);

/* async.c */
int demo_client_async(const struct demo_params *p, u64 *submit_ns);
void demo_async_stop(void);

/* batch.c */
int demo_batch(const struct demo_params *p, struct demo_result *res);
int demo_batch_async(const struct demo_params *p, struct demo_result *res);

/* echo.c */
int echo_start(int port);
void echo_stop(void);

#endif /* _HANDSHAKE_DEMO_H */
