// SPDX-License-Identifier: GPL-2.0
/*
 * handshake_demo: the asynchronous client (async=1). The write returns
 * once the request is queued; the callback records the result and closes
 * the socket. Such a consumer does not keep its network namespace alive,
 * which is how the tests reach netns exit.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>

#include "demo.h"

/*
 * One request. @ref counts its two owners: the submitter, until
 * demo_client_async() returns, and the request itself, from just before
 * the submit to its end (its callback, a failed submit, or a cancel won
 * at module exit), where it leaves demo_async_list. @file is the
 * consumer's reference to the socket: whoever finds it set under
 * demo_async_lock puts it and clears it, so it is put exactly once.
 */
struct demo_async {
	struct list_head node;
	struct kref ref;
	struct demo_handshake hs;
	struct file *file;
	u64 cookie;
	bool in_batch;		/* a batch's callbacks leave the result alone */
};

/* The requests not ended yet, for module exit. */
static LIST_HEAD(demo_async_list);
static DEFINE_MUTEX(demo_async_lock);
static DECLARE_WAIT_QUEUE_HEAD(demo_async_wait);
static unsigned int demo_async_count;

static void demo_async_release(struct kref *ref)
{
	kfree(container_of(ref, struct demo_async, ref));
}

/* The request is over: its callback runs, its submit failed or a cancel won. */
static void demo_async_end(struct demo_async *a)
{
	lockdep_assert_held(&demo_async_lock);
	list_del(&a->node);
	demo_async_count--;
	if (a->file)
		fput(a->file);
	a->file = NULL;
	kref_put(&a->ref, demo_async_release);
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
	demo_async_end(a);
	mutex_unlock(&demo_async_lock);
}

/**
 * demo_client_async - submits one request and does not wait for it
 * @p: what the connect line asked for
 * @submit_ns: set to how long the submit call took
 *
 * Return: what the submit returned; 0 means the callback will run.
 */
int demo_client_async(const struct demo_params *p, u64 *submit_ns)
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
	kref_init(&a->ref);		/* the submitter's */
	sock = a->file->private_data;
	a->cookie = handshake_sock_cookie(sock);
	a->hs.args.done = demo_async_done;
	a->hs.args.data = a;
	a->in_batch = p->count > 0;

	/* Listed first: the callback may run before submit returns. */
	mutex_lock(&demo_async_lock);
	kref_get(&a->ref);		/* the request's */
	list_add(&a->node, &demo_async_list);
	demo_async_count++;
	mutex_unlock(&demo_async_lock);
	start = ktime_get();
	err = demo_submit(&a->hs);
	*submit_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	/*
	 * After a successful submit the request may be over already: its
	 * callback runs from a work item, which a short timeout, a quick
	 * agent or the namespace's exit can queue before the submit even
	 * returns, and it puts the file. Only our own reference keeps @a
	 * here, and only the lock tells whether the file is still ours to
	 * put: a second fput() would drop the request's reference instead,
	 * or touch a freed file.
	 */
	mutex_lock(&demo_async_lock);
	if (err) {
		demo_async_end(a);	/* no callback will come */
	} else if (p->release && a->file) {
		/* The request's own reference keeps the socket alive. */
		fput(a->file);
		a->file = NULL;
	}
	mutex_unlock(&demo_async_lock);
	kref_put(&a->ref, demo_async_release);
	return err;
}

/* Module exit: withdraw what can be, wait for the callbacks of the rest. */
void demo_async_stop(void)
{
	struct demo_async *a, *tmp;

	mutex_lock(&demo_async_lock);
	list_for_each_entry_safe(a, tmp, &demo_async_list, node)
		if (demo_try_cancel(a->hs.args.sock))
			demo_async_end(a);
	mutex_unlock(&demo_async_lock);
	wait_event(demo_async_wait, !READ_ONCE(demo_async_count));
}
