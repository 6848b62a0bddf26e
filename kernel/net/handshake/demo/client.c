// SPDX-License-Identifier: GPL-2.0
/*
 * handshake_demo: the client. One connect written to the connect file:
 * connect, handshake, send the message over kTLS, read the reply, all
 * before the write returns; and the socket and handshake set-up that the
 * asynchronous client and the batch runner share with it.
 */
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/net.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include <uapi/linux/tls.h>

#include "demo.h"

/* Reads application data up to and without the first newline. */
static int demo_read_line(struct socket *sock, char *line, size_t size)
{
	size_t used = 0;
	int ret, err;
	char *nl;
	u8 type;

	while (used < size - 1) {
		ret = demo_recv(sock, line + used, size - 1 - used, &type);
		if (ret == -EAGAIN)
			return -ETIMEDOUT;
		if (ret < 0)
			return ret;
		if (ret == 0)
			return -ECONNRESET;
		if (type == HANDSHAKE_RECORD_ALERT)
			return -ECONNRESET;
		err = handshake_record_check(type, line + used, ret);
		if (err)
			return err;
		if (type != HANDSHAKE_RECORD_DATA)
			continue;	/* e.g. TLS 1.3 NewSessionTicket */
		nl = memchr(line + used, '\n', ret);
		used += ret;
		if (nl) {
			*nl = '\0';
			return nl - line;
		}
	}
	return -EMSGSIZE;
}

/*
 * cancel=close: the consumer cancels from its socket's sk_state_change
 * callback (softirq, socket spinlock held) when the peer closes, as a
 * storage client that gives up on a dead connection does.
 */
struct demo_close_cancel {
	void (*state_change)(struct sock *sk);	/* the socket's own */
	struct socket *sock;
	struct completion closed;
	bool fired;
	bool won;
};

static void demo_state_change(struct sock *sk)
{
	struct demo_close_cancel *cc;

	read_lock_bh(&sk->sk_callback_lock);
	cc = sk->sk_user_data;
	if (cc) {
		cc->state_change(sk);
		if (sk->sk_state != TCP_ESTABLISHED && !cc->fired) {
			cc->fired = true;
			cc->won = demo_try_cancel(cc->sock);
			complete(&cc->closed);
		}
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static void demo_close_cancel_arm(struct demo_close_cancel *cc,
				  struct socket *sock)
{
	struct sock *sk = sock->sk;

	cc->sock = sock;
	init_completion(&cc->closed);
	write_lock_bh(&sk->sk_callback_lock);
	cc->state_change = sk->sk_state_change;
	sk->sk_user_data = cc;
	sk->sk_state_change = demo_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
}

static void demo_close_cancel_disarm(struct demo_close_cancel *cc)
{
	struct sock *sk = cc->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_state_change = cc->state_change;
	sk->sk_user_data = NULL;
	write_unlock_bh(&sk->sk_callback_lock);
}

/*
 * Waits for the peer's close (or the handshake's end); -ECANCELED if the
 * cancel from sk_state_change won.
 */
static int demo_close_cancel_wait(struct demo_close_cancel *cc,
				  struct demo_handshake *hs,
				  struct demo_result *res)
{
	unsigned long end = jiffies + msecs_to_jiffies(hs->args.timeout_ms);

	/* Two things to wait for: look at both every 100 ms. */
	while (!completion_done(&hs->done) && time_before(jiffies, end) &&
	       !wait_for_completion_timeout(&cc->closed, HZ / 10))
		;
	demo_close_cancel_disarm(cc);
	if (!cc->fired)
		res->cancel = "lost";
	else
		res->cancel = cc->won ? "won" : "lost";
	return cc->fired && cc->won ? -ECANCELED : 0;
}

/**
 * demo_check_cmsg - handshake_record_type() on control messages kTLS
 * could not have written: one too short to hold a record type
 *
 * Return: 0 if the short one is refused and a whole one read, else -EPROTO.
 */
int demo_check_cmsg(void)
{
	union handshake_record_cmsg ctl = {};

	ctl.cmsg.cmsg_level = SOL_TLS;
	ctl.cmsg.cmsg_type = TLS_GET_RECORD_TYPE;
	*(u8 *)CMSG_DATA(&ctl.cmsg) = HANDSHAKE_RECORD_DATA;
	ctl.cmsg.cmsg_len = CMSG_LEN(0);
	if (handshake_record_type(&ctl.cmsg))
		return -EPROTO;
	ctl.cmsg.cmsg_len = CMSG_LEN(sizeof(u8));
	if (handshake_record_type(&ctl.cmsg) != HANDSHAKE_RECORD_DATA)
		return -EPROTO;
	return 0;
}

/* Cancels twice: only the first may win (mainline once let both win). */
static const char *demo_cancel(struct socket *sock)
{
	bool won = demo_try_cancel(sock);

	if (demo_try_cancel(sock))
		return "won-twice";
	return won ? "won" : "lost";
}

/* A connected TCP socket in the writer's namespace, with a file. */
static struct file *demo_connect_socket(const struct demo_params *p)
{
	struct socket *sock;
	struct file *file;
	int err;

	err = sock_create_kern(current->nsproxy->net_ns, p->addr.ss_family,
			       SOCK_STREAM, IPPROTO_TCP, &sock);
	if (err)
		return ERR_PTR(err);
	demo_set_timeouts(sock, p->timeout_ms);
	err = kernel_connect(sock, (struct sockaddr *)&p->addr, p->addrlen, 0);
	if (err) {
		sock_release(sock);
		return ERR_PTR(err);
	}
	/* The upcall hands the agent an fd: the socket needs a file. */
	file = sock_alloc_file(sock, 0, NULL);
	return file;
}

/**
 * demo_client_prepare - a connected socket and a client handshake on it
 * @p: what the connect line asked for
 * @hs: set up for a client handshake on the socket, as @p asks
 *
 * Return: the socket's file (the caller's reference), or an ERR_PTR().
 */
struct file *demo_client_prepare(const struct demo_params *p,
				 struct demo_handshake *hs)
{
	struct file *file = demo_connect_socket(p);

	if (IS_ERR(file))
		return file;
	demo_handshake_init(hs, file->private_data, HANDSHAKE_ROLE_CLIENT,
			    p->auth, p->peername, p->psk, p->timeout_ms);
	hs->args.keyring = p->keyring;
	return file;
}

/**
 * demo_client - one synchronous connect
 * @p: what the connect line asked for
 * @res: filled in for the result file
 *
 * Return: 0 once the reply came back, or a negative errno.
 */
int demo_client(const struct demo_params *p, struct demo_result *res)
{
	struct demo_close_cancel cc;
	struct demo_handshake hs, dup;
	struct socket *sock;
	struct file *file;
	ktime_t start;
	int err;

	file = demo_client_prepare(p, &hs);
	if (IS_ERR(file))
		return PTR_ERR(file);
	sock = file->private_data;

	res->cookie = handshake_sock_cookie(sock);
	if (p->cancel_on_close)
		demo_close_cancel_arm(&cc, sock);
	start = ktime_get();
	if (p->locked) {
		/* The contract says not to: lockdep kernels say -EDEADLK. */
		err = -EOPNOTSUPP;
		if (IS_ENABLED(CONFIG_LOCKDEP)) {
			lock_sock(sock->sk);
			err = demo_submit(&hs);
			release_sock(sock->sk);
		}
	} else {
		err = demo_submit(&hs);
	}
	if (p->cancel_on_close) {
		if (!err)
			err = demo_close_cancel_wait(&cc, &hs, res);
		else
			demo_close_cancel_disarm(&cc);
	}
	if (!err && p->dup) {
		/* Its own callback target: it must not land in @hs. */
		dup.args = hs.args;
		dup.args.data = &dup;
		init_completion(&dup.done);
		atomic_set(&dup.callbacks, 0);
		res->dup_status = demo_submit(&dup);
	}
	if (!err && p->cancel_ms >= 0) {
		/* The request may end first: then cancel must lose. */
		wait_for_completion_timeout(&hs.done,
					    msecs_to_jiffies(p->cancel_ms));
		res->cancel = demo_cancel(sock);
		if (strcmp(res->cancel, "lost"))
			err = -ECANCELED;
	}
	if (!err)
		err = demo_handshake_wait(&hs);
	/*
	 * A second request on one socket must have been refused; if it was
	 * not (the first had ended already), its callback must come before
	 * @dup leaves the stack.
	 */
	if (p->dup && !res->dup_status)
		demo_handshake_wait(&dup);
	res->elapsed_us = ktime_us_delta(ktime_get(), start);
	res->callbacks = atomic_read(&hs.callbacks);
	if (err)
		goto out;
	res->version = hs.result.tls_version;
	res->cipher = hs.result.cipher;
	res->peerid = hs.result.num_peerids ? hs.result.peerids[0] : 0;

	snprintf(res->sent, sizeof(res->sent), "%s", p->message);
	snprintf(res->reply, sizeof(res->reply), "%s\n", p->message);
	err = demo_send_all(sock, res->reply, strlen(res->reply));
	res->reply[0] = '\0';
	if (err)
		goto out;
	err = demo_read_line(sock, res->reply, sizeof(res->reply));
	if (err < 0) {
		res->reply[0] = '\0';
		goto out;
	}
	err = 0;
	handshake_send_close_notify(sock);
out:
	fput(file);
	return err;
}
