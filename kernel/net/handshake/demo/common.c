// SPDX-License-Identifier: GPL-2.0
/*
 * handshake_demo: what the client, the batch runner and the echo server
 * share. A handshake the caller waits for, the counters of what the
 * consumer API promises, and kTLS reads and writes.
 */
#include <linux/jiffies.h>
#include <linux/net.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "demo.h"

atomic_t demo_submitted, demo_callbacks, demo_cancelled;

int demo_submit(struct demo_handshake *hs)
{
	int err = handshake_req_submit(&hs->args, GFP_KERNEL);

	if (!err)
		atomic_inc(&demo_submitted);
	return err;
}

bool demo_try_cancel(struct socket *sock)
{
	bool won = handshake_req_cancel(sock);

	if (won)
		atomic_inc(&demo_cancelled);
	return won;
}

static void demo_handshake_done(void *data,
				const struct handshake_result *result)
{
	struct demo_handshake *hs = data;

	hs->result = *result;
	atomic_inc(&hs->callbacks);
	atomic_inc(&demo_callbacks);
	/* Stays done: the client may wait for it more than once. */
	complete_all(&hs->done);
}

void demo_handshake_init(struct demo_handshake *hs, struct socket *sock,
			 enum handshake_role role, enum handshake_auth auth,
			 const char *peername, key_serial_t psk,
			 unsigned int timeout_ms)
{
	memset(hs, 0, sizeof(*hs));
	hs->args.sock = sock;
	hs->args.role = role;
	hs->args.auth = auth;
	hs->args.peername = peername;
	hs->args.timeout_ms = timeout_ms;
	hs->args.done = demo_handshake_done;
	hs->args.data = hs;
	if (auth == HANDSHAKE_AUTH_PSK) {
		hs->args.psk[0] = psk;
		hs->args.num_psk = 1;
	}
	init_completion(&hs->done);
}

/*
 * Waits for a submitted handshake. A fatal signal withdraws the request
 * if that still can be done; otherwise its end is awaited, which the
 * kernel's time limit bounds.
 */
int demo_handshake_wait(struct demo_handshake *hs)
{
	if (wait_for_completion_killable(&hs->done)) {
		if (demo_try_cancel(hs->args.sock))
			return -EINTR;
		wait_for_completion(&hs->done);
	}
	return hs->result.status;
}

/* Bounds the connect, and each read and write after it, by @timeout_ms. */
void demo_set_timeouts(struct socket *sock, unsigned int timeout_ms)
{
	sock->sk->sk_rcvtimeo = msecs_to_jiffies(timeout_ms);
	sock->sk->sk_sndtimeo = msecs_to_jiffies(timeout_ms);
}

/* Receives one record's worth of bytes and says what type of record. */
int demo_recv(struct socket *sock, void *buf, size_t len, u8 *type)
{
	union handshake_record_cmsg ctl;
	struct msghdr msg = {
		.msg_control = &ctl,
		.msg_controllen = sizeof(ctl),
	};
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	int ret;

	ret = kernel_recvmsg(sock, &msg, &iov, 1, len, 0);
	*type = HANDSHAKE_RECORD_DATA;
	/* kTLS fills the control message in and moves msg_control on. */
	if (ret >= 0 && msg.msg_controllen < sizeof(ctl))
		*type = handshake_record_type(&ctl.cmsg);
	return ret;
}

int demo_send_all(struct socket *sock, const void *buf, size_t len)
{
	struct msghdr msg = {};
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };
	int ret;

	ret = kernel_sendmsg(sock, &msg, &iov, 1, len);
	if (ret < 0)
		return ret;
	return ret == len ? 0 : -EIO;
}
