// SPDX-License-Identifier: GPL-2.0
/*
 * handshake_demo: the batch runner (count=N), for the benchmarks. C work
 * items each take the next handshake of the batch until all N are taken;
 * with async=1, N requests are instead submitted one after the other.
 */
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/math.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/workqueue.h>

#include "demo.h"

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
	struct demo_batch_worker *w =
		container_of(work, struct demo_batch_worker, work);
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
 * the handshakes that succeeded, and hands the array on to the latencies
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
	demo_set_latencies(lat_ns, n);
}

/**
 * demo_batch - count=N: N handshakes, concurrency=C at a time
 * @p: what the connect line asked for
 * @res: filled in with the batch's counts and latencies
 *
 * Return: 0 if every handshake succeeded, else the first error.
 */
int demo_batch(const struct demo_params *p, struct demo_result *res)
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
	wq = alloc_workqueue("handshake_demo_batch", WQ_UNBOUND,
			     p->concurrency);
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

/**
 * demo_batch_async - async=1 count=N: N requests submitted in a row
 * @p: what the connect line asked for
 * @res: filled in with the batch's counts and the submit calls' latencies
 *
 * Stops at the first submit that fails.
 *
 * Return: 0, or the error of the submit that failed.
 */
int demo_batch_async(const struct demo_params *p, struct demo_result *res)
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
