// SPDX-License-Identifier: GPL-2.0
/*
 * Handshake upcall: the request lifecycle.
 *
 *   submit --> pending --claim--> claimed --take--> (kTLS) --finish-->
 *                 ^                  |                          callback
 *                 +-----unclaim------+
 *
 *   pending or claimed --timeout, cancel by cookie, claimant lost,
 *                        namespace exit, failed claim--> callback
 *   pending or claimed --the consumer's handshake_req_cancel()--> no callback
 *
 * Every transition is a function of this file, under the namespace's lock;
 * handshake_count_locked() keeps the counters for all of them. The
 * consumer's callback and the release of a request run from
 * handshake_wq: a WQ_MEM_RECLAIM workqueue, so that a storage consumer's
 * reconnect makes progress under memory pressure.
 */
#include <linux/file.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sock_diag.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "handshake.h"

static unsigned int handshake_net_id;
static struct workqueue_struct *handshake_wq;
/* Requests allocated and not yet freed, in every namespace: 0 at unload. */
static atomic_t handshake_reqs_alive = ATOMIC_INIT(0);

struct handshake_net *handshake_pernet(struct net *net)
{
	return net_generic(net, handshake_net_id);
}

/**
 * handshake_sock_cookie - the socket cookie that names a request
 * @sock: the consumer's socket
 *
 * The same number identifies the request in netlink messages, the monitor
 * group, tracepoints and handshakectl's output.
 *
 * Return: the cookie of @sock's sock (assigned on first use).
 */
u64 handshake_sock_cookie(struct socket *sock)
{
	u32 cookie[2];

	/* The only exported way to the socket cookie on 6.1. */
	sock_diag_save_cookie(sock->sk, cookie);
	return (u64)cookie[1] << 32 | cookie[0];
}
EXPORT_SYMBOL_GPL(handshake_sock_cookie);

/* For readers of the table (GET); changes go through the functions below. */
struct handshake_req *handshake_req_lookup(struct handshake_net *hn,
					   u64 cookie)
{
	struct handshake_req *req;

	lockdep_assert_held(&hn->lock);
	hash_for_each_possible(hn->table, req, hnode, cookie)
		if (req->cookie == cookie)
			return req;
	return NULL;
}

static void handshake_req_release(struct work_struct *work)
{
	struct handshake_req *req = container_of(work, struct handshake_req,
						 release_work);
	struct handshake_net *hn = handshake_pernet(req->net);
	unsigned int noio = memalloc_noio_save();

	/* The timer may still be queued or running; it must be gone first. */
	del_timer_sync(&req->timer);
	/*
	 * If the consumer has let go of its socket, this is the last
	 * reference: close it now, in this kthread, rather than from
	 * fput()'s delayed work, which may run after the namespace is gone.
	 */
	__fput_sync(req->file);
	memalloc_noio_restore(noio);
	put_pid(req->claimant_pid);
	kfree(req->peername);
	kfree(req);
	atomic_dec(&handshake_reqs_alive);
	if (atomic_dec_and_test(&hn->unreleased))
		wake_up_var(&hn->unreleased);
}

/**
 * handshake_req_put - drop a reference to a request
 * @req: the request
 *
 * Context: any context; the release runs from the workqueue.
 */
void handshake_req_put(struct handshake_req *req)
{
	if (refcount_dec_and_test(&req->ref))
		queue_work(handshake_wq, &req->release_work);
}

/* The counters, for every transition (@n is -1 for an undone claim). */
static void handshake_count_locked(struct handshake_net *hn,
				   enum handshake_event event, int n)
{
	struct handshake_stats *st = &hn->stats;

	lockdep_assert_held(&hn->lock);
	switch (event) {
	case HANDSHAKE_EVENT_SUBMITTED:
		st->submitted += n;
		break;
	case HANDSHAKE_EVENT_ACCEPTED:
		st->accepted += n;
		break;
	case HANDSHAKE_EVENT_DONE:
		st->succeeded += n;
		break;
	case HANDSHAKE_EVENT_TIMED_OUT:
		st->timed_out += n;
		break;
	case HANDSHAKE_EVENT_CANCELLED:
		st->cancelled += n;
		break;
	case HANDSHAKE_EVENT_CLAIMANT_LOST:
		st->claimant_lost += n;
		break;
	case HANDSHAKE_EVENT_FAILED:
		st->failed += n;
		break;
	}
}

static void handshake_set_state_locked(struct handshake_net *hn,
				       struct handshake_req *req,
				       enum handshake_req_state state)
{
	lockdep_assert_held(&hn->lock);
	if (req->state == HANDSHAKE_REQ_PENDING)
		hn->pending--;
	if (state == HANDSHAKE_REQ_PENDING)
		hn->pending++;
	req->state = state;
}

/* Takes @req out of the table; the caller now owns its ending. */
static void handshake_unlink_locked(struct handshake_net *hn,
				    struct handshake_req *req)
{
	hash_del(&req->hnode);
	list_del(&req->node);
	handshake_set_state_locked(hn, req, HANDSHAKE_REQ_DONE);
}

/* The consumer may sleep in its callback: it always runs from the wq. */
static void handshake_call_back(struct handshake_req *req, int status,
				enum handshake_event event)
{
	req->result.status = status;
	req->event = event;
	queue_work(handshake_wq, &req->done_work);
}

/* Ends a live request with a callback; consumes the table's reference. */
static void handshake_end_locked(struct handshake_net *hn,
				 struct handshake_req *req, int status,
				 enum handshake_event event)
{
	handshake_unlink_locked(hn, req);
	handshake_count_locked(hn, event, 1);
	handshake_call_back(req, status, event);
}

static void handshake_req_done_work(struct work_struct *work)
{
	struct handshake_req *req = container_of(work, struct handshake_req,
						 done_work);

	const struct handshake_result *res = &req->result;
	unsigned int noio = memalloc_noio_save();

	/*
	 * No allocation here may wait for I/O: the consumer may be the
	 * block device that reclaim would write to (see "Callback context"
	 * in docs/DESIGN.md).
	 */
	handshake_notify_event(req, req->event, res->status, GFP_KERNEL);
	if (req->ta_done)
		req->ta_done(req->args.data, res->status,
			     !res->status && res->num_peerids ?
			     res->peerids[0] : TLS_NO_PEERID);
	else
		req->args.done(req->args.data, res);
	memalloc_noio_restore(noio);
	handshake_req_put(req);
}

static void handshake_req_timeout(struct timer_list *t)
{
	struct handshake_req *req = from_timer(req, t, timer);
	struct handshake_net *hn = handshake_pernet(req->net);

	spin_lock(&hn->lock);
	if (req->state != HANDSHAKE_REQ_DONE)
		handshake_end_locked(hn, req, -ETIMEDOUT,
				     HANDSHAKE_EVENT_TIMED_OUT);
	spin_unlock(&hn->lock);
}

/**
 * handshake_req_claim - an agent claims a pending request
 * @net: the agent's network namespace
 * @cookie: the request's cookie
 * @portid: the agent's netlink port, which alone may complete it
 *
 * Context: process context (the agent's); records it as the claimant.
 * Return: the request with a reference the caller puts, or
 * ERR_PTR(-ENOENT) if no request with @cookie is pending.
 */
struct handshake_req *handshake_req_claim(struct net *net, u64 cookie,
					  u32 portid)
{
	struct handshake_net *hn = handshake_pernet(net);
	struct pid *pid = get_pid(task_tgid(current));
	struct handshake_req *req;

	spin_lock_bh(&hn->lock);
	req = handshake_req_lookup(hn, cookie);
	if (!req || req->state != HANDSHAKE_REQ_PENDING) {
		spin_unlock_bh(&hn->lock);
		put_pid(pid);
		return ERR_PTR(-ENOENT);
	}
	handshake_set_state_locked(hn, req, HANDSHAKE_REQ_CLAIMED);
	handshake_count_locked(hn, HANDSHAKE_EVENT_ACCEPTED, 1);
	req->claimant_portid = portid;
	swap(req->claimant_pid, pid);
	refcount_inc(&req->ref);
	spin_unlock_bh(&hn->lock);
	put_pid(pid);
	return req;
}

/**
 * handshake_req_unclaim - give back a claim the agent never heard of
 * @req: the request, from handshake_req_claim()
 * @portid: the claimant's port
 *
 * The request is pending again, as if the claim had not happened: no
 * claimant, and the accepted counter taken back. Nothing if it has moved on.
 */
void handshake_req_unclaim(struct handshake_req *req, u32 portid)
{
	struct handshake_net *hn = handshake_pernet(req->net);
	struct pid *pid = NULL;

	spin_lock_bh(&hn->lock);
	if (req->state == HANDSHAKE_REQ_CLAIMED &&
	    req->claimant_portid == portid) {
		handshake_set_state_locked(hn, req, HANDSHAKE_REQ_PENDING);
		handshake_count_locked(hn, HANDSHAKE_EVENT_ACCEPTED, -1);
		req->claimant_portid = 0;
		swap(req->claimant_pid, pid);
	}
	spin_unlock_bh(&hn->lock);
	put_pid(pid);
}

/**
 * handshake_req_fail_claimed - end a claim that cannot be served
 * @req: the request, from handshake_req_claim()
 * @portid: the claimant's port
 * @status: negative errno for the consumer
 *
 * Nothing if the request has ended or changed hands meanwhile.
 */
void handshake_req_fail_claimed(struct handshake_req *req, u32 portid,
				int status)
{
	struct handshake_net *hn = handshake_pernet(req->net);

	spin_lock_bh(&hn->lock);
	if (req->state == HANDSHAKE_REQ_CLAIMED &&
	    req->claimant_portid == portid)
		handshake_end_locked(hn, req, status, HANDSHAKE_EVENT_FAILED);
	spin_unlock_bh(&hn->lock);
}

/**
 * handshake_req_take - the claimant takes its request out of the table
 * @net: the claimant's network namespace
 * @cookie: the request's cookie
 * @portid: the claimant's port
 *
 * The caller owns the request's ending from here on and must end it with
 * handshake_req_finish().
 *
 * Return: the request; ERR_PTR(-ENOENT) if no request with @cookie is live,
 * ERR_PTR(-EPERM) if it is not claimed by @portid.
 */
struct handshake_req *handshake_req_take(struct net *net, u64 cookie,
					 u32 portid)
{
	struct handshake_net *hn = handshake_pernet(net);
	struct handshake_req *req;

	spin_lock_bh(&hn->lock);
	req = handshake_req_lookup(hn, cookie);
	if (!req) {
		req = ERR_PTR(-ENOENT);
	} else if (req->state != HANDSHAKE_REQ_CLAIMED ||
		   req->claimant_portid != portid) {
		req = ERR_PTR(-EPERM);
	} else {
		handshake_unlink_locked(hn, req);
	}
	spin_unlock_bh(&hn->lock);
	return req;
}

/**
 * handshake_req_finish - end a request taken with handshake_req_take()
 * @req: the request
 * @status: 0 or a negative errno for the consumer
 * @event: %HANDSHAKE_EVENT_DONE or %HANDSHAKE_EVENT_FAILED
 *
 * Consumes the table's reference.
 */
void handshake_req_finish(struct handshake_req *req, int status,
			  enum handshake_event event)
{
	struct handshake_net *hn = handshake_pernet(req->net);

	spin_lock_bh(&hn->lock);
	handshake_count_locked(hn, event, 1);
	spin_unlock_bh(&hn->lock);
	handshake_call_back(req, status, event);
}

/**
 * handshake_req_cancel_cookie - an administrator cancels a request
 * @net: the network namespace
 * @cookie: the request's cookie
 *
 * The consumer is called back with -ECANCELED.
 *
 * Return: 0, or -ENOENT if no request with @cookie is live.
 */
int handshake_req_cancel_cookie(struct net *net, u64 cookie)
{
	struct handshake_net *hn = handshake_pernet(net);
	struct handshake_req *req;

	spin_lock_bh(&hn->lock);
	req = handshake_req_lookup(hn, cookie);
	if (req)
		handshake_end_locked(hn, req, -ECANCELED,
				     HANDSHAKE_EVENT_CANCELLED);
	spin_unlock_bh(&hn->lock);
	return req ? 0 : -ENOENT;
}

/*
 * The netlink socket that claimed requests is gone: fail them now rather
 * than leave their consumers waiting for the timeout.
 */
void handshake_claimant_lost(struct net *net, u32 portid)
{
	struct handshake_net *hn = handshake_pernet(net);
	struct handshake_req *req, *tmp;

	spin_lock_bh(&hn->lock);
	list_for_each_entry_safe(req, tmp, &hn->requests, node)
		if (req->state == HANDSHAKE_REQ_CLAIMED &&
		    req->claimant_portid == portid)
			handshake_end_locked(hn, req, -ECONNABORTED,
					     HANDSHAKE_EVENT_CLAIMANT_LOST);
	spin_unlock_bh(&hn->lock);
}

static int handshake_args_check(const struct handshake_args *args,
				tls_done_func_t ta_done)
{
	struct socket *sock = args->sock;

	if (!sock || !sock->sk || !sock->file || !args->done == !ta_done)
		return -EINVAL;
	if (sock->type != SOCK_STREAM || sock->sk->sk_protocol != IPPROTO_TCP)
		return -EINVAL;
	/* kTLS takes only ESTABLISHED sockets; a peer that closed says so. */
	if (sock->sk->sk_state != TCP_ESTABLISHED)
		return -ENOTCONN;
	if (args->role != HANDSHAKE_ROLE_CLIENT &&
	    args->role != HANDSHAKE_ROLE_SERVER)
		return -EINVAL;
	switch (args->auth) {
	case HANDSHAKE_AUTH_UNAUTH:
	case HANDSHAKE_AUTH_X509:
		break;
	case HANDSHAKE_AUTH_PSK:
		if (args->num_psk < 1 || args->num_psk > HANDSHAKE_MAX_PSK)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (args->peername &&
	    strnlen(args->peername, HANDSHAKE_MAX_PEERNAME + 1) >
	    HANDSHAKE_MAX_PEERNAME)
		return -EINVAL;
	if (args->timeout_ms > HANDSHAKE_MAX_TIMEOUT_MS)
		return -EINVAL;
	return 0;
}

static struct handshake_req *
handshake_req_alloc(const struct handshake_args *args, tls_done_func_t ta_done,
		    gfp_t gfp)
{
	unsigned int timeout_ms = args->timeout_ms ?:
		READ_ONCE(handshake_default_timeout_ms);
	struct handshake_req *req;

	req = kzalloc(sizeof(*req), gfp);
	if (!req)
		return NULL;
	if (args->peername) {
		req->peername = kstrdup(args->peername, gfp);
		if (!req->peername) {
			kfree(req);
			return NULL;
		}
	}
	req->args = *args;
	req->ta_done = ta_done;
	req->args.peername = req->peername;
	req->args.timeout_ms = timeout_ms;
	req->net = sock_net(args->sock->sk);
	req->cookie = handshake_sock_cookie(args->sock);
	req->file = args->sock->file;
	/* Kept for GET dumps, which cannot sleep in getname(). */
	req->local_addr_len =
		kernel_getsockname(args->sock,
				   (struct sockaddr *)&req->local_addr);
	req->peer_addr_len =
		kernel_getpeername(args->sock,
				   (struct sockaddr *)&req->peer_addr);
	req->submitted = jiffies;
	req->deadline = req->submitted + msecs_to_jiffies(timeout_ms);
	req->state = HANDSHAKE_REQ_PENDING;
	/* One reference for the table, one for handshake_req_submit(). */
	refcount_set(&req->ref, 2);
	timer_setup(&req->timer, handshake_req_timeout, 0);
	INIT_WORK(&req->done_work, handshake_req_done_work);
	INIT_WORK(&req->release_work, handshake_req_release);
	return req;
}

/* Takes back a request no agent heard of; false if it has moved on. */
static bool handshake_req_withdraw(struct handshake_net *hn,
				   struct handshake_req *req)
{
	bool pending;

	spin_lock_bh(&hn->lock);
	pending = req->state == HANDSHAKE_REQ_PENDING;
	if (pending) {
		handshake_unlink_locked(hn, req);
		handshake_count_locked(hn, HANDSHAKE_EVENT_FAILED, 1);
	}
	spin_unlock_bh(&hn->lock);
	return pending;
}

/* Puts @req in the table, or says why not. */
static int handshake_req_insert(struct handshake_net *hn,
				struct handshake_req *req,
				struct sk_buff *event)
{
	spin_lock_bh(&hn->lock);
	if (hn->exiting) {
		spin_unlock_bh(&hn->lock);
		return -ENETDOWN;
	}
	if (handshake_req_lookup(hn, req->cookie)) {
		spin_unlock_bh(&hn->lock);
		return -EBUSY;
	}
	if (hn->pending >= READ_ONCE(handshake_pending_limit)) {
		spin_unlock_bh(&hn->lock);
		return -EAGAIN;
	}
	get_file(req->file);
	atomic_inc(&hn->unreleased);
	req->seq = ++hn->next_seq;
	hash_add(hn->table, &req->hnode, req->cookie);
	list_add_tail(&req->node, &hn->requests);
	hn->pending++;
	handshake_count_locked(hn, HANDSHAKE_EVENT_SUBMITTED, 1);
	mod_timer(&req->timer, req->deadline);
	/*
	 * Under the lock, so that no claim (which needs the lock to find the
	 * request) can be reported before it: observers see events in order.
	 */
	handshake_trace_event(req, HANDSHAKE_EVENT_SUBMITTED, 0);
	handshake_event_send(req, event, GFP_ATOMIC);
	spin_unlock_bh(&hn->lock);
	return 0;
}

/**
 * handshake_req_submit - ask user space for a TLS handshake on a socket
 * @args: what to do; copied, so it may live on the caller's stack
 * @gfp: allocation flags
 *
 * The socket's address is read with kernel_getsockname(), which takes the
 * socket lock: the caller must not hold it (lock_sock()). With lockdep,
 * a caller that does gets -EDEADLK instead of a deadlock.
 *
 * Context: process context; might sleep. Socket lock not held.
 *
 * Return: 0 if the request is queued (@args->done will run exactly once,
 * unless handshake_req_cancel() wins); -EINVAL for bad arguments or a socket
 * that is not a TCP socket with a file; -ENOTCONN if it is not ESTABLISHED
 * (not connected, or the peer has closed already); -EBUSY if a request
 * exists for this socket; -EAGAIN if the namespace's pending limit is
 * reached; -ESRCH if no agent listens in the socket's network namespace;
 * -ENOMEM; -ENETDOWN if the socket's network namespace is going away;
 * -EDEADLK if the caller holds the socket lock (lockdep kernels only).
 */
int handshake_req_submit(const struct handshake_args *args, gfp_t gfp)
{
	return __handshake_req_submit(args, NULL, gfp);
}
EXPORT_SYMBOL_GPL(handshake_req_submit);

/*
 * handshake_req_submit(), or for the mainline API (@ta_done set, and
 * @args->done NULL) with mainline's callback instead.
 */
int __handshake_req_submit(const struct handshake_args *args,
			   tls_done_func_t ta_done, gfp_t gfp)
{
	struct handshake_req *req;
	struct handshake_net *hn;
	struct sk_buff *event;
	struct net *net;
	int err;

	might_sleep();
	err = handshake_args_check(args, ta_done);
	if (err)
		return err;
	/* Lockdep knows only while it is on (debug_locks). */
	if (IS_ENABLED(CONFIG_LOCKDEP) && debug_locks &&
	    lockdep_sock_is_held(args->sock->sk))
		return -EDEADLK;
	net = sock_net(args->sock->sk);
	hn = handshake_pernet(net);
	if (!genl_has_listeners(&handshake_genl_family, net,
				HANDSHAKE_MCGRP_TLS_ID))
		return -ESRCH;
	req = handshake_req_alloc(args, ta_done, gfp);
	if (!req)
		return -ENOMEM;
	atomic_inc(&handshake_reqs_alive);
	event = handshake_event_msg(req, HANDSHAKE_EVENT_SUBMITTED, 0, gfp);
	err = handshake_req_insert(hn, req, event);
	if (err) {
		kfree_skb(event);
		kfree(req->peername);
		kfree(req);
		atomic_dec(&handshake_reqs_alive);
		return err;
	}

	/*
	 * genl_has_listeners() above counts the listeners of every namespace;
	 * only the multicast itself tells whether this one has an agent. A
	 * request nobody here heard of, and nobody claimed since, is taken
	 * back. (Agents set NETLINK_BROADCAST_ERROR, so that an overrun of
	 * theirs reads -ENOBUFS, not -ESRCH.) Any other lost event is not
	 * fatal: agents resync from the GET dump, and the timer bounds the
	 * wait either way.
	 */
	if (handshake_notify_request(req, gfp) == -ESRCH &&
	    handshake_req_withdraw(hn, req)) {
		handshake_notify_event(req, HANDSHAKE_EVENT_FAILED, -ESRCH,
				       gfp);
		handshake_req_put(req);
		handshake_req_put(req);
		return -ESRCH;
	}
	handshake_req_put(req);
	return 0;
}

/**
 * handshake_req_cancel - withdraw a handshake request
 * @sock: the socket the request was submitted for
 *
 * Context: process or softirq context (e.g. a consumer's sk_state_change
 * callback), with interrupts enabled.
 *
 * Return: true if the request was withdrawn before it ended: its callback
 * will not run. False if there is no live request for @sock: either none
 * was submitted, or it has ended and its callback runs or has run.
 */
bool handshake_req_cancel(struct socket *sock)
{
	struct handshake_net *hn = handshake_pernet(sock_net(sock->sk));
	u64 cookie = handshake_sock_cookie(sock);
	struct handshake_req *req;

	spin_lock_bh(&hn->lock);
	req = handshake_req_lookup(hn, cookie);
	if (!req || req->file != sock->file) {
		spin_unlock_bh(&hn->lock);
		return false;
	}
	handshake_unlink_locked(hn, req);
	handshake_count_locked(hn, HANDSHAKE_EVENT_CANCELLED, 1);
	spin_unlock_bh(&hn->lock);

	handshake_notify_event(req, HANDSHAKE_EVENT_CANCELLED, -ECANCELED,
			       GFP_ATOMIC);
	handshake_req_put(req);
	return true;
}
EXPORT_SYMBOL_GPL(handshake_req_cancel);

static int __net_init handshake_net_init(struct net *net)
{
	struct handshake_net *hn = handshake_pernet(net);

	spin_lock_init(&hn->lock);
	hash_init(hn->table);
	INIT_LIST_HEAD(&hn->requests);
	atomic_set(&hn->unreleased, 0);
	return 0;
}

/*
 * Namespaces exit in the reverse order of registration: this runs after
 * the exit of consumers loaded after handshake.ko, and before TCP's. Every
 * live request ends with -ENETDOWN, and this returns only once all the
 * namespace's requests are released: their callbacks have run, and the
 * sockets whose last reference they held are closed while TCP still works
 * in the namespace.
 */
static void __net_exit handshake_net_exit(struct net *net)
{
	struct handshake_net *hn = handshake_pernet(net);
	struct handshake_req *req, *tmp;

	spin_lock_bh(&hn->lock);
	hn->exiting = true;
	list_for_each_entry_safe(req, tmp, &hn->requests, node)
		handshake_end_locked(hn, req, -ENETDOWN,
				     HANDSHAKE_EVENT_FAILED);
	spin_unlock_bh(&hn->lock);
	wait_var_event(&hn->unreleased, !atomic_read(&hn->unreleased));
}

static struct pernet_operations handshake_net_ops = {
	.init = handshake_net_init,
	.exit = handshake_net_exit,
	.id = &handshake_net_id,
	.size = sizeof(struct handshake_net),
};

int handshake_requests_init(void)
{
	int err;

	handshake_wq = alloc_workqueue("handshake", WQ_UNBOUND | WQ_MEM_RECLAIM,
				       0);
	if (!handshake_wq)
		return -ENOMEM;
	err = register_pernet_subsys(&handshake_net_ops);
	if (err)
		destroy_workqueue(handshake_wq);
	return err;
}

void handshake_requests_exit(void)
{
	unregister_pernet_subsys(&handshake_net_ops);
	destroy_workqueue(handshake_wq);
	/* A leak shows in the kernel log, which the tests watch. */
	WARN(atomic_read(&handshake_reqs_alive),
	     "handshake: %d requests leaked\n",
	     atomic_read(&handshake_reqs_alive));
}
