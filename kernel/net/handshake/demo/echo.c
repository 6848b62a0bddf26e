// SPDX-License-Identifier: GPL-2.0
/*
 * handshake_demo: the TLS echo server (module parameter echo_port=N). One
 * listener thread, one work item per connection: a server-role x509
 * handshake, then every byte received goes back over kTLS.
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/in.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/time64.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "demo.h"

static struct socket *echo_listener;
static struct task_struct *echo_acceptor;
static struct workqueue_struct *echo_wq;
static LIST_HEAD(echo_conns);
static DEFINE_MUTEX(echo_lock);
static bool echo_stopping;

struct echo_conn {
	struct list_head node;
	struct work_struct work;
	struct socket *sock;
	struct file *file;
	struct demo_handshake hs;
};

static bool demo_is_close_notify(const u8 *alert, int len)
{
	return len == 2 && alert[1] == HANDSHAKE_ALERT_CLOSE_NOTIFY;
}

static void echo_serve(struct socket *sock)
{
	u8 *buf, type;
	int ret;

	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return;
	while ((ret = demo_recv(sock, buf, PAGE_SIZE, &type)) > 0) {
		if (type == HANDSHAKE_RECORD_ALERT) {
			if (demo_is_close_notify(buf, ret))
				handshake_send_close_notify(sock);
			break;
		}
		if (type != HANDSHAKE_RECORD_DATA)
			continue;
		if (demo_send_all(sock, buf, ret))
			break;
	}
	kfree(buf);
}

static void echo_conn_work(struct work_struct *work)
{
	struct echo_conn *conn = container_of(work, struct echo_conn, work);

	demo_handshake_init(&conn->hs, conn->sock, HANDSHAKE_ROLE_SERVER,
			    HANDSHAKE_AUTH_X509, NULL, 0, 0);
	if (!demo_submit(&conn->hs) &&
	    !demo_handshake_wait(&conn->hs))
		echo_serve(conn->sock);

	mutex_lock(&echo_lock);
	list_del(&conn->node);
	mutex_unlock(&echo_lock);
	fput(conn->file);
	kfree(conn);
}

static int echo_add(struct socket *sock)
{
	struct echo_conn *conn;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn) {
		sock_release(sock);
		return -ENOMEM;
	}
	conn->file = sock_alloc_file(sock, 0, NULL);
	if (IS_ERR(conn->file)) {
		kfree(conn);
		return -ENOMEM;
	}
	conn->sock = sock;
	INIT_WORK(&conn->work, echo_conn_work);

	mutex_lock(&echo_lock);
	if (echo_stopping) {
		mutex_unlock(&echo_lock);
		fput(conn->file);
		kfree(conn);
		return -ESHUTDOWN;
	}
	list_add(&conn->node, &echo_conns);
	queue_work(echo_wq, &conn->work);
	mutex_unlock(&echo_lock);
	return 0;
}

static int echo_accept_loop(void *unused)
{
	struct socket *sock;

	while (!kthread_should_stop()) {
		if (kernel_accept(echo_listener, &sock, 0)) {
			/* Shut down by module exit, or a transient failure. */
			schedule_timeout_interruptible(HZ / 10);
			continue;
		}
		demo_set_timeouts(sock, 60 * MSEC_PER_SEC);
		echo_add(sock);
	}
	return 0;
}

/**
 * echo_start - starts the echo server
 * @port: TCP port, on all IPv4 addresses of the initial namespace
 *
 * Return: 0, or a negative errno.
 */
int echo_start(int port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_ANY),
		.sin_port = htons(port),
	};
	int err;

	if (port <= 0 || port > 65535)
		return -EINVAL;
	echo_wq = alloc_workqueue("handshake_demo_echo", WQ_UNBOUND, 0);
	if (!echo_wq)
		return -ENOMEM;
	err = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			       &echo_listener);
	if (err)
		goto out_wq;
	sock_set_reuseaddr(echo_listener->sk);
	err = kernel_bind(echo_listener, (struct sockaddr *)&sin, sizeof(sin));
	if (!err)
		err = kernel_listen(echo_listener, 128);
	if (err)
		goto out_sock;
	echo_acceptor = kthread_run(echo_accept_loop, NULL, "handshake_echo");
	if (IS_ERR(echo_acceptor)) {
		err = PTR_ERR(echo_acceptor);
		goto out_sock;
	}
	return 0;

out_sock:
	sock_release(echo_listener);
out_wq:
	destroy_workqueue(echo_wq);
	return err;
}

/* Ends every connection and waits for them: module exit. */
void echo_stop(void)
{
	struct echo_conn *conn;

	kernel_sock_shutdown(echo_listener, SHUT_RDWR);
	kthread_stop(echo_acceptor);
	sock_release(echo_listener);

	mutex_lock(&echo_lock);
	echo_stopping = true;
	list_for_each_entry(conn, &echo_conns, node) {
		kernel_sock_shutdown(conn->sock, SHUT_RDWR);
		if (demo_try_cancel(conn->sock)) {
			conn->hs.result.status = -ECANCELED;
			complete_all(&conn->hs.done);
		}
	}
	mutex_unlock(&echo_lock);
	/* Waits for every connection's work to end. */
	destroy_workqueue(echo_wq);
}
