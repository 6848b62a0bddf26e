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

#include "demo.h"

/* Reads application data up to and without the first newline. */
static int demo_read_line(struct socket *sock, char *line, size_t size)
{
	size_t used = 0;
	char *nl;
	u8 type;
	int ret;

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
	struct demo_handshake hs;
	struct socket *sock;
	struct file *file;
	ktime_t start;
	int err;

	file = demo_client_prepare(p, &hs);
	if (IS_ERR(file))
		return PTR_ERR(file);
	sock = file->private_data;

	res->cookie = handshake_sock_cookie(sock);
	start = ktime_get();
	err = demo_submit(&hs);
	if (!err && p->dup)
		res->dup_status = demo_submit(&hs);
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
	/* A second request on one socket must have been refused. */
	if (p->dup && !res->dup_status)
		demo_handshake_wait(&hs);
	res->elapsed_us = ktime_us_delta(ktime_get(), start);
	res->callbacks = atomic_read(&hs.callbacks);
	if (err)
		goto out;
	res->version = hs.result.tls_version;
	res->cipher = hs.result.cipher;

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
