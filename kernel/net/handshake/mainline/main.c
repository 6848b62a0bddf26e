// SPDX-License-Identifier: GPL-2.0
/*
 * handshake_mainline: a small in-kernel TLS consumer written only against
 * mainline Linux's consumer API (<net/handshake.h> and <net/tls_prot.h>),
 * so that what it does here it would do on a mainline kernel.
 *
 * Write one line of key=value tokens to
 * /sys/kernel/debug/handshake_mainline/run:
 *
 *   hello=client-anon|client-x509|client-psk|server-x509|server-psk
 *   host=ADDR port=N [peername=NAME] [psk=SERIAL[,SERIAL...]]
 *   [cert=SERIAL privkey=SERIAL] [keyring=SERIAL] [timeout=MS]
 *   [cancel=before-claim|after-claim [cancel_delay=MS]] [rtype=N]
 *   [close=1] [message=TEXT]
 *
 * A client connects to ADDR:N; a server listens there, accepts one
 * connection and runs the server hello on it. cancel=before-claim calls
 * tls_handshake_cancel() right after the submit; cancel=after-claim waits
 * cancel_delay ms (default 2000: time for the agent to claim it) first.
 * message= (the rest of the line) is sent over kTLS with a newline, as a
 * record of type rtype (default application data), and one line is read
 * back, records of other types skipped (an alert ends the read, a
 * KeyUpdate fails it with -EKEYEXPIRED). close=1 calls
 * tls_handshake_close() before the socket is released.
 *
 * The write returns once all is over. /sys/kernel/debug/handshake_mainline/
 * result then holds key=value lines: status (ta_done's, or -ECANCELED),
 * peerid, cancel (none, won, lost), callbacks (ta_done calls of this run),
 * io (0 or the message exchange's -errno), reply, records (the record
 * types read, comma-separated), alert_level and alert_desc (-1: none).
 * The counters file counts every submit, ta_done call and won cancel.
 */
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/inet.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/nsproxy.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/handshake.h>
#include <net/tls_prot.h>
#include <uapi/linux/tls.h>

#define HM_LINE_MAX	512
#define HM_REPLY_MAX	256

/* TLS 1.3 HandshakeType key_update (RFC 8446, section 4). */
#define HM_HANDSHAKE_KEY_UPDATE	24

enum hm_hello {
	HM_CLIENT_ANON, HM_CLIENT_X509, HM_CLIENT_PSK,
	HM_SERVER_X509, HM_SERVER_PSK,
};

static const char * const hm_hellos[] = {
	[HM_CLIENT_ANON] = "client-anon",
	[HM_CLIENT_X509] = "client-x509",
	[HM_CLIENT_PSK] = "client-psk",
	[HM_SERVER_X509] = "server-x509",
	[HM_SERVER_PSK] = "server-psk",
};

enum hm_cancel { HM_CANCEL_NONE, HM_CANCEL_BEFORE, HM_CANCEL_AFTER };

struct hm_params {
	struct sockaddr_storage addr;
	int addrlen;
	int hello;
	struct tls_handshake_args args;
	enum hm_cancel cancel;
	unsigned int cancel_delay_ms;
	unsigned int rtype;
	bool close;
	const char *message;
};

/* One run at a time (hm_lock); ta_done writes here, the files read it. */
static DEFINE_MUTEX(hm_lock);
static struct {
	struct completion done;
	int status;
	key_serial_t peerid;
	atomic_t callbacks;
} hm_hs;
static char hm_result[HM_LINE_MAX + HM_REPLY_MAX] = "status=-61\n";
static atomic_t hm_submitted, hm_callbacks, hm_cancelled;

static void hm_done(void *data, int status, key_serial_t peerid)
{
	hm_hs.status = status;
	hm_hs.peerid = peerid;
	atomic_inc(&hm_hs.callbacks);
	atomic_inc(&hm_callbacks);
	/* Stays done: the run may wait for it twice (cancel=after-claim). */
	complete_all(&hm_hs.done);
}

static int hm_parse_psk(char *val, struct tls_handshake_args *args)
{
	char *s;
	int err;

	while ((s = strsep(&val, ","))) {
		if (args->ta_num_peerids == ARRAY_SIZE(args->ta_my_peerids))
			return -E2BIG;
		err = kstrtos32(s, 0,
				&args->ta_my_peerids[args->ta_num_peerids++]);
		if (err)
			return err;
	}
	return 0;
}

static int hm_parse_addr(const char *host, unsigned int port,
			 struct hm_params *p)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&p->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&p->addr;

	if (!host || !port || port > 65535)
		return -EINVAL;
	if (in4_pton(host, -1, (u8 *)&sin->sin_addr, -1, NULL)) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		p->addrlen = sizeof(*sin);
	} else if (in6_pton(host, -1, (u8 *)&sin6->sin6_addr, -1, NULL)) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		p->addrlen = sizeof(*sin6);
	} else {
		return -EINVAL;
	}
	return 0;
}

/**
 * hm_parse - reads a run line
 * @line: the line, NUL-terminated; cut up in place, @p points into it
 * @p: zeroed by the caller; filled in, defaults included
 *
 * Return: 0, or a negative errno for a line that is not one.
 */
static int hm_parse(char *line, struct hm_params *p)
{
	struct tls_handshake_args *a = &p->args;
	char *tok, *val, *host = NULL;
	unsigned int port = 0, close = 0;
	int err = 0;

	p->hello = -1;
	p->cancel_delay_ms = 2000;
	p->rtype = TLS_RECORD_TYPE_DATA;
	a->ta_timeout_ms = 20000;
	line = strim(line);
	while (!err && (tok = strsep(&line, " \t"))) {
		if (!*tok)
			continue;
		val = strchr(tok, '=');
		if (!val)
			return -EINVAL;
		*val++ = '\0';
		if (!strcmp(tok, "message")) {
			/* The rest of the line, spaces included. */
			if (line)
				val[strlen(val)] = ' ';
			p->message = val;
			break;
		} else if (!strcmp(tok, "hello")) {
			p->hello = match_string(hm_hellos,
						ARRAY_SIZE(hm_hellos), val);
		} else if (!strcmp(tok, "host")) {
			host = val;
		} else if (!strcmp(tok, "port")) {
			err = kstrtouint(val, 10, &port);
		} else if (!strcmp(tok, "peername")) {
			a->ta_peername = val;
		} else if (!strcmp(tok, "psk")) {
			err = hm_parse_psk(val, a);
		} else if (!strcmp(tok, "cert")) {
			err = kstrtos32(val, 0, &a->ta_my_cert);
		} else if (!strcmp(tok, "privkey")) {
			err = kstrtos32(val, 0, &a->ta_my_privkey);
		} else if (!strcmp(tok, "keyring")) {
			err = kstrtos32(val, 0, &a->ta_keyring);
		} else if (!strcmp(tok, "timeout")) {
			err = kstrtouint(val, 10, &a->ta_timeout_ms);
		} else if (!strcmp(tok, "cancel_delay")) {
			err = kstrtouint(val, 10, &p->cancel_delay_ms);
		} else if (!strcmp(tok, "rtype")) {
			err = kstrtouint(val, 10, &p->rtype);
		} else if (!strcmp(tok, "close")) {
			err = kstrtouint(val, 10, &close);
		} else if (!strcmp(tok, "cancel")) {
			if (!strcmp(val, "before-claim"))
				p->cancel = HM_CANCEL_BEFORE;
			else if (!strcmp(val, "after-claim"))
				p->cancel = HM_CANCEL_AFTER;
			else
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	}
	if (err)
		return err;
	if (p->hello < 0 || p->rtype > 255 || !a->ta_timeout_ms)
		return -EINVAL;
	p->close = close;
	return hm_parse_addr(host, port, p);
}

/* The connected socket: a client's, or the one a server accepted. */
static int hm_socket(const struct hm_params *p, struct socket **res)
{
	bool server = p->hello >= HM_SERVER_X509;
	long timeo = msecs_to_jiffies(p->args.ta_timeout_ms);
	struct socket *sock;
	int err;

	err = sock_create_kern(current->nsproxy->net_ns, p->addr.ss_family,
			       SOCK_STREAM, IPPROTO_TCP, &sock);
	if (err)
		return err;
	sock->sk->sk_rcvtimeo = timeo;
	sock->sk->sk_sndtimeo = timeo;
	if (!server) {
		err = kernel_connect(sock, (struct sockaddr *)&p->addr,
				     p->addrlen, 0);
		goto out;
	}
	sock->sk->sk_reuse = SK_CAN_REUSE;
	err = kernel_bind(sock, (struct sockaddr *)&p->addr, p->addrlen);
	if (!err)
		err = kernel_listen(sock, 1);
	if (!err)
		err = kernel_accept(sock, res, 0);
	sock_release(sock);
	if (err)
		return err;
	sock = *res;
	sock->sk->sk_rcvtimeo = timeo;
	sock->sk->sk_sndtimeo = timeo;
out:
	if (err)
		sock_release(sock);
	else
		*res = sock;
	return err;
}

static int hm_submit(const struct hm_params *p)
{
	const struct tls_handshake_args *a = &p->args;

	switch (p->hello) {
	case HM_CLIENT_ANON:
		return tls_client_hello_anon(a, GFP_KERNEL);
	case HM_CLIENT_X509:
		return tls_client_hello_x509(a, GFP_KERNEL);
	case HM_CLIENT_PSK:
		return tls_client_hello_psk(a, GFP_KERNEL);
	case HM_SERVER_X509:
		return tls_server_hello_x509(a, GFP_KERNEL);
	default:
		return tls_server_hello_psk(a, GFP_KERNEL);
	}
}

static bool hm_cancel(struct socket *sock)
{
	bool won = tls_handshake_cancel(sock->sk);

	if (won)
		atomic_inc(&hm_cancelled);
	return won;
}

/* What the message exchange found, for the result file. */
struct hm_io {
	char reply[HM_REPLY_MAX];
	char records[64];
	int level;
	int desc;
};

static int hm_send(struct socket *sock, const char *text, u8 rtype)
{
	union {
		struct cmsghdr cmsg;
		u8 buf[CMSG_SPACE(sizeof(u8))];
	} ctl = {};
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	struct kvec iov[2] = {
		{ .iov_base = (void *)text, .iov_len = strlen(text) },
		{ .iov_base = "\n", .iov_len = 1 },
	};
	size_t len = iov[0].iov_len + 1;
	int ret;

	if (rtype != TLS_RECORD_TYPE_DATA) {
		ctl.cmsg.cmsg_level = SOL_TLS;
		ctl.cmsg.cmsg_type = TLS_SET_RECORD_TYPE;
		ctl.cmsg.cmsg_len = CMSG_LEN(sizeof(u8));
		*(u8 *)CMSG_DATA(&ctl.cmsg) = rtype;
		msg.msg_control = &ctl;
		msg.msg_controllen = sizeof(ctl);
	}
	ret = kernel_sendmsg(sock, &msg, iov, 2, len);
	if (ret < 0)
		return ret;
	return ret == len ? 0 : -EIO;
}

/*
 * Whether a handshake record holds a KeyUpdate: kTLS on 6.1 cannot take
 * the peer's new keys, so every later record would fail to decrypt.
 * mainline's tls_get_record_type() sees only the record type; the
 * messages (type, 24-bit length, body) are the consumer's to read.
 */
static bool hm_is_key_update(const u8 *msg, size_t len)
{
	size_t off = 0;

	while (off + 4 <= len) {
		if (msg[off] == HM_HANDSHAKE_KEY_UPDATE)
			return true;
		off += 4 + ((msg[off + 1] << 16) | (msg[off + 2] << 8) |
			    msg[off + 3]);
	}
	return false;
}

/**
 * hm_read_line - reads one line of application data from a kTLS socket
 * @sock: the socket
 * @io: its reply (without the newline), the record types seen, and the
 *	level and description of an alert that ended the read
 *
 * Return: 0, or a negative errno (-ECONNRESET after an alert,
 * -EKEYEXPIRED after a KeyUpdate).
 */
static int hm_read_line(struct socket *sock, struct hm_io *io)
{
	union {
		struct cmsghdr cmsg;
		u8 buf[CMSG_SPACE(sizeof(u8))];
	} ctl;
	size_t used = 0, size = sizeof(io->reply) - 1;
	struct msghdr msg;
	struct kvec iov;
	u8 type, level, desc;
	char *nl;
	int ret;

	while (used < size) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_control = &ctl;
		msg.msg_controllen = sizeof(ctl);
		iov.iov_base = io->reply + used;
		iov.iov_len = size - used;
		ret = kernel_recvmsg(sock, &msg, &iov, 1, iov.iov_len, 0);
		if (ret < 0)
			return ret == -EAGAIN ? -ETIMEDOUT : ret;
		if (ret == 0)
			return -ECONNRESET;
		/* kTLS fills the control message in and moves past it. */
		type = TLS_RECORD_TYPE_DATA;
		if (msg.msg_controllen < sizeof(ctl))
			type = tls_get_record_type(sock->sk, &ctl.cmsg);
		scnprintf(io->records + strlen(io->records),
			  sizeof(io->records) - strlen(io->records), "%s%u",
			  io->records[0] ? "," : "", type);
		if (type == TLS_RECORD_TYPE_ALERT) {
			tls_alert_recv(sock->sk, &msg, &level, &desc);
			io->level = level;
			io->desc = desc;
			io->reply[used] = '\0';
			return -ECONNRESET;
		}
		if (type == TLS_RECORD_TYPE_HANDSHAKE &&
		    hm_is_key_update(io->reply + used, ret)) {
			pr_warn_ratelimited("handshake_mainline: the peer sent KeyUpdate, which kTLS on this kernel cannot follow\n");
			io->reply[used] = '\0';
			return -EKEYEXPIRED;
		}
		if (type != TLS_RECORD_TYPE_DATA)
			continue;	/* e.g. a TLS 1.3 NewSessionTicket */
		nl = memchr(io->reply + used, '\n', ret);
		used += ret;
		if (nl) {
			*nl = '\0';
			return 0;
		}
	}
	io->reply[used] = '\0';
	return -EMSGSIZE;
}

/* One run, as the line asked; its outcome goes to hm_result. */
static void hm_run(struct hm_params *p)
{
	struct hm_io io = { .level = -1, .desc = -1 };
	const char *cancel = "none";
	struct socket *sock;
	struct file *file;
	int status, io_err = 0;
	bool won;

	reinit_completion(&hm_hs.done);
	atomic_set(&hm_hs.callbacks, 0);
	hm_hs.peerid = TLS_NO_PEERID;
	status = hm_socket(p, &sock);
	if (status)
		goto out;
	/* The agent gets the socket as an fd: it needs a file. */
	file = sock_alloc_file(sock, 0, NULL);
	if (IS_ERR(file)) {
		status = PTR_ERR(file);
		goto out;
	}
	p->args.ta_sock = sock;
	p->args.ta_done = hm_done;
	status = hm_submit(p);
	if (status)
		goto out_put;
	atomic_inc(&hm_submitted);

	/* After the claim: give the agent time; the handshake may end first. */
	if (p->cancel == HM_CANCEL_AFTER) {
		unsigned long delay = msecs_to_jiffies(p->cancel_delay_ms);

		wait_for_completion_timeout(&hm_hs.done, delay);
	}
	won = p->cancel != HM_CANCEL_NONE && hm_cancel(sock);
	if (p->cancel != HM_CANCEL_NONE)
		cancel = won ? "won" : "lost";
	if (won) {
		status = -ECANCELED;
		goto out_put;
	}
	if (wait_for_completion_killable(&hm_hs.done)) {
		if (hm_cancel(sock)) {
			status = -EINTR;
			goto out_put;
		}
		wait_for_completion(&hm_hs.done);
	}
	status = hm_hs.status;
	if (!status && p->message) {
		io_err = hm_send(sock, p->message, p->rtype);
		if (!io_err)
			io_err = hm_read_line(sock, &io);
	}
	if (!status && p->close)
		tls_handshake_close(sock);
out_put:
	fput(file);
out:
	scnprintf(hm_result, sizeof(hm_result),
		  "status=%d\npeerid=%d\ncancel=%s\ncallbacks=%d\nio=%d\n"
		  "reply=%s\nrecords=%s\nalert_level=%d\nalert_desc=%d\n",
		  status, status ? TLS_NO_PEERID : hm_hs.peerid, cancel,
		  atomic_read(&hm_hs.callbacks), io_err, io.reply, io.records,
		  io.level, io.desc);
}

static ssize_t hm_run_write(struct file *f, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct hm_params *p;
	char *line;
	int err;

	if (count >= HM_LINE_MAX)
		return -EINVAL;
	line = memdup_user_nul(ubuf, count);
	if (IS_ERR(line))
		return PTR_ERR(line);
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	err = p ? hm_parse(line, p) : -ENOMEM;
	if (!err)
		err = mutex_lock_interruptible(&hm_lock);
	if (!err) {
		hm_run(p);
		mutex_unlock(&hm_lock);
	}
	kfree(p);
	kfree(line);
	return err ?: count;
}

static ssize_t hm_result_read(struct file *f, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	ssize_t ret;

	if (mutex_lock_interruptible(&hm_lock))
		return -EINTR;
	ret = simple_read_from_buffer(ubuf, count, ppos, hm_result,
				      strlen(hm_result));
	mutex_unlock(&hm_lock);
	return ret;
}

static ssize_t hm_counters_read(struct file *f, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	char buf[96];
	int len;

	len = scnprintf(buf, sizeof(buf),
			"submitted=%d\ncallbacks=%d\ncancelled=%d\n",
			atomic_read(&hm_submitted), atomic_read(&hm_callbacks),
			atomic_read(&hm_cancelled));
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations hm_run_fops = {
	.owner = THIS_MODULE,
	.write = hm_run_write,
	.llseek = noop_llseek,
};

static const struct file_operations hm_result_fops = {
	.owner = THIS_MODULE,
	.read = hm_result_read,
	.llseek = default_llseek,
};

static const struct file_operations hm_counters_fops = {
	.owner = THIS_MODULE,
	.read = hm_counters_read,
	.llseek = default_llseek,
};

static struct dentry *hm_dir;

static int __init handshake_mainline_init(void)
{
	init_completion(&hm_hs.done);
	hm_dir = debugfs_create_dir("handshake_mainline", NULL);
	debugfs_create_file("run", 0200, hm_dir, NULL, &hm_run_fops);
	debugfs_create_file("result", 0400, hm_dir, NULL, &hm_result_fops);
	debugfs_create_file("counters", 0400, hm_dir, NULL,
			    &hm_counters_fops);
	return 0;
}

static void __exit handshake_mainline_exit(void)
{
	debugfs_remove_recursive(hm_dir);
}

module_init(handshake_mainline_init);
module_exit(handshake_mainline_exit);
MODULE_DESCRIPTION("A TLS consumer of mainline's handshake API");
MODULE_LICENSE("GPL");
