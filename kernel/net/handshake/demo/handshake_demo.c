// SPDX-License-Identifier: GPL-2.0
/*
 * handshake_demo: a real in-kernel consumer of the handshake upcall, used
 * by the demo, the tests and the benchmarks.
 *
 * Client. Write one line of key=value tokens to
 * /sys/kernel/debug/handshake_demo/connect:
 *
 *   host=ADDR port=N [peername=NAME] [auth=x509|psk|unauth] [psk=SERIAL]
 *   [timeout=MS] [cancel=MS] [dup=1] [keyring=SERIAL] [async=1 [release=1]]
 *   [count=N [concurrency=C] [pause=MS]] [message=TEXT]
 *
 * ADDR is IPv4 or IPv6; auth defaults to x509, timeout (the handshake's
 * and each later read's limit) to 10000 ms, message to "hello". message=
 * comes last: it takes the rest of the line, spaces included. The write
 * connects from the writer's network namespace, runs a client handshake,
 * sends TEXT and a newline over kTLS and reads one line back (skipping
 * records that are not application data, such as TLS 1.3 session
 * tickets). It returns when all of that is over: the length written on
 * success, a negative errno otherwise. For the tests of the consumer API:
 * cancel=MS calls handshake_req_cancel() MS ms after the submit (or as
 * soon as the handshake ended, if that is sooner), twice: result cancel=
 * says won, lost, or won-twice (a bug); dup=1 submits a second
 * request for the same socket right after the first; keyring=SERIAL
 * passes a keyring for the agent; async=1 returns
 * as soon as the request is queued (no message is exchanged; the result
 * file shows the handshake's outcome once its callback ran), and with it
 * release=1 drops the consumer's own reference to the socket right after
 * the submit, as a consumer closing its socket early would.
 *
 * For the benchmarks, count=N runs a batch of N handshakes, C at a time
 * (concurrency, default 1, at most 512): each connects, runs the
 * handshake, sends close_notify and closes; no message is exchanged;
 * pause=MS sleeps that long before each one, so that a handshake starts
 * on a client side that is done with the one before. A
 * handshake's latency runs from its submit to its callback (the TCP
 * connect before is not part of the handshake). With async=1, count=N instead submits N requests one after
 * the other and returns; the latencies are then those of the
 * handshake_req_submit() calls alone.
 *
 * Reading /sys/kernel/debug/handshake_demo/result then gives the last
 * connect's outcome as key=value lines: status (0 or -errno), cookie
 * (the socket's SO_COOKIE), version, cipher, sent, reply, elapsed_us
 * (submit to handshake callback), cancel (none, won or lost), callbacks
 * (how often the done callback ran) and dup_status (what the second
 * submit returned; 0 without dup=1). After a batch (count=N) status is 0
 * if every handshake succeeded, else the first error, and count, ok,
 * failed, p50_us, p99_us (latency percentiles, to the nanosecond) and
 * total_us (the whole batch) say how it went;
 * /sys/kernel/debug/handshake_demo/latencies lists the batch's latencies
 * (ns), one per line, failed handshakes left out.
 *
 * /sys/kernel/debug/handshake_demo/counters counts, over every request of
 * the module, the successful submits, the callbacks and the cancels that
 * won: once all is over, submitted == callbacks + cancelled.
 *
 * Server. Module parameter echo_port=N starts a TLS echo server on TCP
 * port N of the initial network namespace (all IPv4 addresses): each
 * connection gets a server-role x509 handshake (the agent's certificate)
 * and then every byte received is sent back over kTLS. A close_notify
 * from the peer is answered with close_notify.
 */
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/inet.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/nsproxy.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sock_diag.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <net/handshake.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <uapi/linux/tls.h>

#define DEMO_LINE_MAX		1024
#define DEMO_DEFAULT_TIMEOUT_MS	10000
#define DEMO_BATCH_MAX		1000000

static int echo_port;
module_param(echo_port, int, 0444);
MODULE_PARM_DESC(echo_port, "Run a TLS echo server on this TCP port (0: none)");

/* A handshake the caller waits for. */
struct demo_handshake {
	struct handshake_args args;
	struct completion done;
	struct handshake_result result;
	atomic_t callbacks;		/* the API promises exactly one */
};

/*
 * What the consumer API promises, counted over every request of this
 * module: each successful submit ends in exactly one callback or one
 * cancel that won, so submitted == callbacks + cancelled once all is over.
 */
static atomic_t demo_submitted, demo_callbacks, demo_cancelled;

static int demo_submit(struct demo_handshake *hs)
{
	int err = handshake_req_submit(&hs->args, GFP_KERNEL);

	if (!err)
		atomic_inc(&demo_submitted);
	return err;
}

static bool demo_try_cancel(struct socket *sock)
{
	bool won = handshake_req_cancel(sock);

	if (won)
		atomic_inc(&demo_cancelled);
	return won;
}

static void demo_handshake_done(void *data, const struct handshake_result *result)
{
	struct demo_handshake *hs = data;

	hs->result = *result;
	atomic_inc(&hs->callbacks);
	atomic_inc(&demo_callbacks);
	/* Stays done: the client may wait for it more than once. */
	complete_all(&hs->done);
}

static void demo_handshake_init(struct demo_handshake *hs, struct socket *sock,
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
static int demo_handshake_wait(struct demo_handshake *hs)
{
	if (wait_for_completion_killable(&hs->done)) {
		if (demo_try_cancel(hs->args.sock))
			return -EINTR;
		wait_for_completion(&hs->done);
	}
	return hs->result.status;
}

/* Receives one record's worth of bytes and says what type of record. */
static int demo_recv(struct socket *sock, void *buf, size_t len, u8 *type)
{
	union {
		struct cmsghdr cmsg;
		u8 buf[CMSG_SPACE(sizeof(u8))];
	} ctl;
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

static int demo_send_all(struct socket *sock, const void *buf, size_t len)
{
	struct msghdr msg = {};
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };
	int ret;

	ret = kernel_sendmsg(sock, &msg, &iov, 1, len);
	if (ret < 0)
		return ret;
	return ret == len ? 0 : -EIO;
}

static bool demo_is_close_notify(const u8 *alert, int len)
{
	return len == 2 && alert[1] == HANDSHAKE_ALERT_CLOSE_NOTIFY;
}

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

struct demo_params {
	struct sockaddr_storage addr;
	int addrlen;
	char *peername;
	enum handshake_auth auth;
	key_serial_t psk;
	unsigned int timeout_ms;
	int cancel_ms;		/* -1: no cancel */
	bool dup;
	bool async;
	bool release;
	key_serial_t keyring;
	unsigned int count;		/* 0: one connect, not a batch */
	unsigned int concurrency;
	unsigned int pause_ms;
	char *message;
};

struct demo_result {
	int status;
	u64 cookie;
	const char *cancel;
	int dup_status;
	int callbacks;
	u16 version;
	u16 cipher;
	s64 elapsed_us;
	/* A batch's outcome. */
	unsigned int count, ok, failed;
	u64 p50_ns, p99_ns, total_ns;
	char sent[DEMO_LINE_MAX];
	char reply[DEMO_LINE_MAX];
};

static DEFINE_MUTEX(demo_result_lock);
static struct demo_result demo_last = { .status = -ENODATA };
/* The last batch's latencies (ns) of the handshakes that succeeded. */
static u64 *demo_latencies;
static unsigned int demo_num_latencies;

static int demo_parse_addr(const char *host, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	if (in4_pton(host, -1, (u8 *)&sin->sin_addr, -1, NULL)) {
		sin->sin_family = AF_INET;
		return sizeof(*sin);
	}
	if (in6_pton(host, -1, (u8 *)&sin6->sin6_addr, -1, NULL)) {
		sin6->sin6_family = AF_INET6;
		return sizeof(*sin6);
	}
	return -EINVAL;
}

static int demo_parse(char *line, struct demo_params *p)
{
	char *tok, *val, *host = NULL;
	unsigned int port = 0;
	int err = 0;

	p->auth = HANDSHAKE_AUTH_X509;
	p->timeout_ms = DEMO_DEFAULT_TIMEOUT_MS;
	p->cancel_ms = -1;
	p->concurrency = 1;
	p->message = "hello";
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
		} else if (!strcmp(tok, "host")) {
			host = val;
		} else if (!strcmp(tok, "port")) {
			err = kstrtouint(val, 10, &port);
		} else if (!strcmp(tok, "peername")) {
			p->peername = val;
		} else if (!strcmp(tok, "auth")) {
			if (!strcmp(val, "x509"))
				p->auth = HANDSHAKE_AUTH_X509;
			else if (!strcmp(val, "psk"))
				p->auth = HANDSHAKE_AUTH_PSK;
			else if (!strcmp(val, "unauth"))
				p->auth = HANDSHAKE_AUTH_UNAUTH;
			else
				err = -EINVAL;
		} else if (!strcmp(tok, "psk")) {
			err = kstrtos32(val, 0, &p->psk);
		} else if (!strcmp(tok, "timeout")) {
			err = kstrtouint(val, 10, &p->timeout_ms);
		} else if (!strcmp(tok, "cancel")) {
			err = kstrtoint(val, 10, &p->cancel_ms);
			if (!err && p->cancel_ms < 0)
				err = -EINVAL;
		} else if (!strcmp(tok, "dup")) {
			err = kstrtobool(val, &p->dup);
		} else if (!strcmp(tok, "async")) {
			err = kstrtobool(val, &p->async);
		} else if (!strcmp(tok, "release")) {
			err = kstrtobool(val, &p->release);
		} else if (!strcmp(tok, "keyring")) {
			err = kstrtos32(val, 0, &p->keyring);
		} else if (!strcmp(tok, "count")) {
			err = kstrtouint(val, 10, &p->count);
		} else if (!strcmp(tok, "concurrency")) {
			err = kstrtouint(val, 10, &p->concurrency);
		} else if (!strcmp(tok, "pause")) {
			err = kstrtouint(val, 10, &p->pause_ms);
		} else {
			err = -EINVAL;
		}
	}
	if (err)
		return err;
	if (!host || !port || port > 65535 || !p->timeout_ms)
		return -EINVAL;
	if (p->auth == HANDSHAKE_AUTH_PSK && !p->psk)
		return -EINVAL;
	if (p->count > DEMO_BATCH_MAX || !p->concurrency ||
	    p->concurrency > WQ_MAX_ACTIVE)
		return -EINVAL;
	/* A batch only measures handshakes. */
	if (p->count && (p->dup || p->cancel_ms >= 0 || p->release))
		return -EINVAL;
	if (p->pause_ms && (!p->count || p->async || p->pause_ms > MSEC_PER_SEC))
		return -EINVAL;
	if (strlen(p->message) + 2 > DEMO_LINE_MAX)
		return -EINVAL;
	p->addrlen = demo_parse_addr(host, &p->addr);
	if (p->addrlen < 0)
		return p->addrlen;
	/* sin_port and sin6_port are at the same place. */
	((struct sockaddr_in *)&p->addr)->sin_port = htons(port);
	return 0;
}

/* The socket's SO_COOKIE: how the agent and handshakectl name the request. */
static u64 demo_cookie(struct socket *sock)
{
	u32 cookie[2];

	sock_diag_save_cookie(sock->sk, cookie);
	return (u64)cookie[1] << 32 | cookie[0];
}

static void demo_set_timeouts(struct socket *sock, unsigned int timeout_ms)
{
	sock->sk->sk_rcvtimeo = msecs_to_jiffies(timeout_ms);
	sock->sk->sk_sndtimeo = msecs_to_jiffies(timeout_ms);
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

/* A connected socket and a client handshake on it, as @p asks. */
static struct file *demo_client_prepare(const struct demo_params *p,
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

static int demo_client(const struct demo_params *p, struct demo_result *res)
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

	res->cookie = demo_cookie(sock);
	start = ktime_get();
	err = demo_submit(&hs);
	if (!err && p->dup)
		res->dup_status = demo_submit(&hs);
	if (!err && p->cancel_ms >= 0) {
		/* The request may end first: then cancel must lose. */
		wait_for_completion_timeout(&hs.done, msecs_to_jiffies(p->cancel_ms));
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

/*
 * async=1: the write returns once the request is queued; the callback
 * records the result and closes the socket. Such a consumer does not keep
 * its network namespace alive, which is how the tests reach netns exit.
 */
struct demo_async {
	struct list_head node;
	struct demo_handshake hs;
	struct file *file;
	u64 cookie;
	bool in_batch;		/* a batch's callbacks leave the result alone */
};

static LIST_HEAD(demo_async_list);
static DEFINE_MUTEX(demo_async_lock);
static DECLARE_WAIT_QUEUE_HEAD(demo_async_wait);
static unsigned int demo_async_count;

static void demo_async_free(struct demo_async *a)
{
	lockdep_assert_held(&demo_async_lock);
	list_del(&a->node);
	demo_async_count--;
	if (a->file)
		fput(a->file);
	kfree(a);
	wake_up(&demo_async_wait);
}

static void demo_async_done(void *data, const struct handshake_result *result)
{
	struct demo_async *a = data;

	atomic_inc(&demo_callbacks);
	if (!a->in_batch) {
		mutex_lock(&demo_result_lock);
		memset(&demo_last, 0, sizeof(demo_last));
		demo_last.status = result->status;
		demo_last.cookie = a->cookie;
		demo_last.version = result->tls_version;
		demo_last.cipher = result->cipher;
		demo_last.cancel = "none";
		demo_last.callbacks = 1;
		mutex_unlock(&demo_result_lock);
	}

	mutex_lock(&demo_async_lock);
	demo_async_free(a);
	mutex_unlock(&demo_async_lock);
}

/* Submits one request; *submit_ns says how long the submit call took. */
static int demo_client_async(const struct demo_params *p, u64 *submit_ns)
{
	struct demo_async *a;
	struct socket *sock;
	ktime_t start;
	int err;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	a->file = demo_client_prepare(p, &a->hs);
	if (IS_ERR(a->file)) {
		err = PTR_ERR(a->file);
		kfree(a);
		return err;
	}
	sock = a->file->private_data;
	a->cookie = demo_cookie(sock);
	a->hs.args.done = demo_async_done;
	a->hs.args.data = a;
	a->in_batch = p->count > 0;

	/* Listed first: the callback may run before submit returns. */
	mutex_lock(&demo_async_lock);
	list_add(&a->node, &demo_async_list);
	demo_async_count++;
	mutex_unlock(&demo_async_lock);
	start = ktime_get();
	err = demo_submit(&a->hs);
	*submit_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	mutex_lock(&demo_async_lock);
	if (err) {
		demo_async_free(a);
	} else if (p->release) {
		/* The request's own reference keeps the socket alive. */
		fput(a->file);
		a->file = NULL;
	}
	mutex_unlock(&demo_async_lock);
	return err;
}

/*
 * count=N: a batch of handshakes for the benchmarks. C work items each take
 * the next handshake of the batch until all N are taken.
 */
struct demo_batch {
	const struct demo_params *p;
	atomic_t next, ok, failed, first_err;
	u64 *lat_ns;			/* per handshake; 0: it failed */
	u16 version, cipher;		/* of a handshake that succeeded */
};

struct demo_batch_worker {
	struct work_struct work;
	struct demo_batch *batch;
};

static int demo_batch_one(struct demo_batch *b, u64 *lat_ns)
{
	const struct demo_params *p = b->p;
	struct demo_handshake hs;
	struct file *file;
	ktime_t start;
	int err;

	file = demo_client_prepare(p, &hs);
	if (IS_ERR(file))
		return PTR_ERR(file);
	start = ktime_get();
	err = demo_submit(&hs);
	if (!err)
		err = demo_handshake_wait(&hs);
	if (!err) {
		*lat_ns = ktime_to_ns(ktime_sub(ktime_get(), start)) ?: 1;
		WRITE_ONCE(b->version, hs.result.tls_version);
		WRITE_ONCE(b->cipher, hs.result.cipher);
		handshake_send_close_notify(file->private_data);
	}
	/*
	 * Closed here and now, as close(2) would in user space: fput() from
	 * a kernel thread defers the close to a work item, which would then
	 * run during the next handshake and be counted in its latency.
	 */
	__fput_sync(file);
	return err;
}

static void demo_batch_work(struct work_struct *work)
{
	struct demo_batch_worker *w = container_of(work, struct demo_batch_worker, work);
	struct demo_batch *b = w->batch;
	unsigned int i;
	int err;

	while ((i = atomic_inc_return(&b->next) - 1) < b->p->count) {
		if (b->p->pause_ms)
			msleep(b->p->pause_ms);
		err = demo_batch_one(b, &b->lat_ns[i]);
		if (err) {
			atomic_inc(&b->failed);
			atomic_cmpxchg(&b->first_err, 0, err);
		} else {
			atomic_inc(&b->ok);
		}
	}
}

static int demo_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Fills the result's percentiles (nearest rank) in from the latencies of
 * the handshakes that succeeded, and keeps the array for the latencies
 * file.
 */
static void demo_batch_publish(struct demo_result *res, u64 *lat_ns,
			       unsigned int count)
{
	unsigned int i, n = 0;

	for (i = 0; i < count; i++)
		if (lat_ns[i])
			lat_ns[n++] = lat_ns[i];
	sort(lat_ns, n, sizeof(*lat_ns), demo_cmp_u64, NULL);
	if (n) {
		res->p50_ns = lat_ns[DIV_ROUND_UP(n * 50, 100) - 1];
		res->p99_ns = lat_ns[DIV_ROUND_UP(n * 99, 100) - 1];
	}
	mutex_lock(&demo_result_lock);
	kvfree(demo_latencies);
	demo_latencies = lat_ns;
	demo_num_latencies = n;
	mutex_unlock(&demo_result_lock);
}

static int demo_batch(const struct demo_params *p, struct demo_result *res)
{
	struct demo_batch b = { .p = p };
	struct demo_batch_worker *workers;
	struct workqueue_struct *wq;
	unsigned int i;
	ktime_t start;
	int err = -ENOMEM;

	b.lat_ns = kvcalloc(p->count, sizeof(*b.lat_ns), GFP_KERNEL);
	workers = kcalloc(p->concurrency, sizeof(*workers), GFP_KERNEL);
	/* Unbound: every work item may sleep in its handshake at once. */
	wq = alloc_workqueue("handshake_demo_batch", WQ_UNBOUND, p->concurrency);
	if (!b.lat_ns || !workers || !wq)
		goto out;
	start = ktime_get();
	for (i = 0; i < p->concurrency; i++) {
		workers[i].batch = &b;
		INIT_WORK(&workers[i].work, demo_batch_work);
		queue_work(wq, &workers[i].work);
	}
	flush_workqueue(wq);
	res->total_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	res->count = p->count;
	res->ok = atomic_read(&b.ok);
	res->failed = atomic_read(&b.failed);
	res->version = b.version;
	res->cipher = b.cipher;
	demo_batch_publish(res, b.lat_ns, p->count);
	b.lat_ns = NULL;
	err = atomic_read(&b.first_err);
out:
	if (wq)
		destroy_workqueue(wq);
	kfree(workers);
	kvfree(b.lat_ns);
	return err;
}

/* async=1 count=N: N requests submitted one after the other. */
static int demo_batch_async(const struct demo_params *p, struct demo_result *res)
{
	ktime_t start = ktime_get();
	u64 *lat_ns;
	int err = 0;

	lat_ns = kvcalloc(p->count, sizeof(*lat_ns), GFP_KERNEL);
	if (!lat_ns)
		return -ENOMEM;
	for (res->count = 0; res->count < p->count && !err; res->count++) {
		err = demo_client_async(p, &lat_ns[res->count]);
		if (!err)
			lat_ns[res->count] = lat_ns[res->count] ?: 1;
	}
	res->total_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	res->failed = !!err;
	res->ok = res->count - res->failed;
	res->count = p->count;
	demo_batch_publish(res, lat_ns, p->count);
	return err;
}

/* Module exit: withdraw what can be, wait for the callbacks of the rest. */
static void demo_async_stop(void)
{
	struct demo_async *a, *tmp;

	mutex_lock(&demo_async_lock);
	list_for_each_entry_safe(a, tmp, &demo_async_list, node)
		if (demo_try_cancel(a->hs.args.sock))
			demo_async_free(a);
	mutex_unlock(&demo_async_lock);
	wait_event(demo_async_wait, !READ_ONCE(demo_async_count));
}

static ssize_t demo_connect_write(struct file *f, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct demo_params params = {};
	struct demo_result *res;
	char *line;
	int err;

	if (count >= DEMO_LINE_MAX)
		return -EINVAL;
	line = memdup_user_nul(ubuf, count);
	if (IS_ERR(line))
		return PTR_ERR(line);
	res = kzalloc(sizeof(*res), GFP_KERNEL);
	if (!res) {
		kfree(line);
		return -ENOMEM;
	}
	res->cancel = "none";
	err = demo_parse(line, &params);
	if (!err && params.async && params.count) {
		err = demo_batch_async(&params, res);
	} else if (!err && params.async) {
		u64 submit_ns;

		/* The callback records the result. */
		err = demo_client_async(&params, &submit_ns);
		if (!err)
			goto out;
	} else if (!err && params.count) {
		err = demo_batch(&params, res);
	} else if (!err) {
		err = demo_client(&params, res);
	}
	res->status = err;
	mutex_lock(&demo_result_lock);
	demo_last = *res;
	mutex_unlock(&demo_result_lock);
out:
	kfree(res);
	kfree(line);
	return err ?: count;
}

static const char *demo_version_name(u16 version)
{
	switch (version) {
	case TLS_1_2_VERSION:
		return "TLSv1.2";
	case TLS_1_3_VERSION:
		return "TLSv1.3";
	}
	return "";
}

static const char *demo_cipher_name(u16 cipher)
{
	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128:
		return "AES-128-GCM";
	case TLS_CIPHER_AES_GCM_256:
		return "AES-256-GCM";
	case TLS_CIPHER_CHACHA20_POLY1305:
		return "CHACHA20-POLY1305";
	}
	return "";
}

/* Microseconds, to the nanosecond. */
static void demo_show_us(struct seq_file *m, const char *key, u64 ns)
{
	seq_printf(m, "%s=%llu.%03llu\n", key, ns / NSEC_PER_USEC,
		   ns % NSEC_PER_USEC);
}

static int demo_result_show(struct seq_file *m, void *v)
{
	mutex_lock(&demo_result_lock);
	seq_printf(m, "status=%d\ncookie=%llu\nversion=%s\ncipher=%s\nsent=%s\nreply=%s\nelapsed_us=%lld\n"
		   "cancel=%s\ncallbacks=%d\ndup_status=%d\n",
		   demo_last.status, demo_last.cookie,
		   demo_version_name(demo_last.version),
		   demo_cipher_name(demo_last.cipher), demo_last.sent,
		   demo_last.reply, demo_last.elapsed_us,
		   demo_last.cancel ?: "none", demo_last.callbacks,
		   demo_last.dup_status);
	seq_printf(m, "count=%u\nok=%u\nfailed=%u\n", demo_last.count,
		   demo_last.ok, demo_last.failed);
	demo_show_us(m, "p50_us", demo_last.p50_ns);
	demo_show_us(m, "p99_us", demo_last.p99_ns);
	demo_show_us(m, "total_us", demo_last.total_ns);
	mutex_unlock(&demo_result_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(demo_result);

static int demo_latencies_show(struct seq_file *m, void *v)
{
	unsigned int i;

	mutex_lock(&demo_result_lock);
	for (i = 0; i < demo_num_latencies; i++)
		seq_printf(m, "%llu\n", demo_latencies[i]);
	mutex_unlock(&demo_result_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(demo_latencies);

static int demo_counters_show(struct seq_file *m, void *v)
{
	seq_printf(m, "submitted=%d\ncallbacks=%d\ncancelled=%d\n",
		   atomic_read(&demo_submitted), atomic_read(&demo_callbacks),
		   atomic_read(&demo_cancelled));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(demo_counters);

static const struct file_operations demo_connect_fops = {
	.owner = THIS_MODULE,
	.write = demo_connect_write,
	.llseek = noop_llseek,
};

/* The echo server: one listener thread, one work item per connection. */
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

static int echo_start(int port)
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

static void echo_stop(void)
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

static struct dentry *demo_dir;

static int __init handshake_demo_init(void)
{
	int err;

	if (echo_port) {
		err = echo_start(echo_port);
		if (err) {
			pr_err("handshake_demo: echo server on port %d: %d\n",
			       echo_port, err);
			return err;
		}
	}
	demo_dir = debugfs_create_dir("handshake_demo", NULL);
	debugfs_create_file("connect", 0200, demo_dir, NULL, &demo_connect_fops);
	debugfs_create_file("result", 0400, demo_dir, NULL, &demo_result_fops);
	debugfs_create_file("counters", 0400, demo_dir, NULL, &demo_counters_fops);
	debugfs_create_file("latencies", 0400, demo_dir, NULL, &demo_latencies_fops);
	return 0;
}

static void __exit handshake_demo_exit(void)
{
	/* Waits for connect writes in progress. */
	debugfs_remove_recursive(demo_dir);
	demo_async_stop();
	if (echo_port)
		echo_stop();
	kvfree(demo_latencies);
}

module_init(handshake_demo_init);
module_exit(handshake_demo_exit);

MODULE_DESCRIPTION("Handshake upcall demo: in-kernel TLS client and echo server");
MODULE_LICENSE("GPL");
