// SPDX-License-Identifier: GPL-2.0
/*
 * handshake_demo: a real in-kernel consumer of the handshake upcall, used
 * by the demo, the tests and the benchmarks.
 *
 * Client. Write one line of key=value tokens to
 * /sys/kernel/debug/handshake_demo/connect:
 *
 *   host=ADDR port=N [peername=NAME] [auth=x509|psk|unauth] [psk=SERIAL]
 *   [timeout=MS] [cancel=MS|close] [dup=1] [keyring=SERIAL] [locked=1]
 *   [async=1 [release=1]] [count=N [concurrency=C] [pause=MS]]
 *   [message=TEXT]
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
 * passes a keyring for the agent; cancel=close cancels from the socket's
 * sk_state_change callback (softirq) as soon as the peer closes; locked=1
 * submits with the socket lock held, which the API forbids (lockdep kernels
 * only: elsewhere the write fails with -EOPNOTSUPP); async=1 returns
 * as soon as the request is queued (no message is exchanged; the result
 * file shows the handshake's outcome once its callback ran), and with it
 * release=1 drops the consumer's own reference to the socket right after
 * the submit, as a consumer closing its socket early would.
 *
 * For the benchmarks, count=N runs a batch of N handshakes, C at a time
 * (concurrency, default 1, at most 512): each connects, runs the
 * handshake, sends close_notify and closes; no message is exchanged;
 * pause=MS sleeps that long before each one, so that a handshake starts
 * on a client side that is done with the one before. A handshake's
 * latency runs from its submit to its callback (the TCP connect before is
 * not part of the handshake). With async=1, count=N instead submits N
 * requests one after the other and returns; the latencies are then those
 * of the handshake_req_submit() calls alone.
 *
 * The line check=cmsg instead runs handshake_record_type() on a control
 * message too short to hold a record type, which it must refuse.
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
 *
 * This file has the module's init and exit, and the debugfs files; demo.h
 * says where the rest is.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <uapi/linux/tls.h>

#include "demo.h"

static int echo_port;
module_param(echo_port, int, 0444);
MODULE_PARM_DESC(echo_port, "Run a TLS echo server on this TCP port (0: none)");

/* Connects and callbacks write these, the files read them. */
DEFINE_MUTEX(demo_result_lock);
struct demo_result demo_last = { .status = -ENODATA };
/* The last batch's latencies (ns) of the handshakes that succeeded. */
static u64 *demo_latencies;
static unsigned int demo_num_latencies;

/**
 * demo_set_latencies - the latencies file's new contents
 * @lat_ns: the latencies (ns), kvmalloc()ed; the module owns them now
 * @n: how many
 */
void demo_set_latencies(u64 *lat_ns, unsigned int n)
{
	mutex_lock(&demo_result_lock);
	kvfree(demo_latencies);
	demo_latencies = lat_ns;
	demo_num_latencies = n;
	mutex_unlock(&demo_result_lock);
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
	if (!strcmp(strim(line), "check=cmsg")) {
		err = demo_check_cmsg();
		goto record;
	}
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
record:
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
	u32 frac;
	u64 us = div_u64_rem(ns, NSEC_PER_USEC, &frac);

	seq_printf(m, "%s=%llu.%03u\n", key, us, frac);
}

static int demo_result_show(struct seq_file *m, void *v)
{
	mutex_lock(&demo_result_lock);
	seq_printf(m, "status=%d\ncookie=%llu\nversion=%s\ncipher=%s\n"
		   "sent=%s\nreply=%s\nelapsed_us=%lld\n"
		   "cancel=%s\ncallbacks=%d\ndup_status=%d\n",
		   demo_last.status, demo_last.cookie,
		   demo_version_name(demo_last.version),
		   demo_cipher_name(demo_last.cipher), demo_last.sent,
		   demo_last.reply, demo_last.elapsed_us,
		   demo_last.cancel ?: "none", demo_last.callbacks,
		   demo_last.dup_status);
	seq_printf(m, "peerid=%d\n", demo_last.peerid);
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
	debugfs_create_file("connect", 0200, demo_dir, NULL,
			    &demo_connect_fops);
	debugfs_create_file("result", 0400, demo_dir, NULL, &demo_result_fops);
	debugfs_create_file("counters", 0400, demo_dir, NULL,
			    &demo_counters_fops);
	debugfs_create_file("latencies", 0400, demo_dir, NULL,
			    &demo_latencies_fops);
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
