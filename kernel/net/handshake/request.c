// SPDX-License-Identifier: GPL-2.0
/*
 * Handshake upcall: the request lifecycle.
 *
 * pending --accept--> claimed --done--> (kTLS installed) --> consumer called
 *    \                   \
 *     +-- timeout, cancel, claimant lost, netns exit --> consumer called
 *
 * Whoever moves a request to HANDSHAKE_REQ_DONE (under the lock) owns its
 * ending: either it calls handshake_req_end(), which runs the consumer's
 * callback from a work item, or it is the consumer's own cancel, which
 * ends it with no callback.
 */
#include <linux/file.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/net.h>
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

static unsigned int handshake_default_timeout_ms = 10000;
module_param_named(default_timeout_ms, handshake_default_timeout_ms, uint, 0644);
MODULE_PARM_DESC(default_timeout_ms,
		 "Time limit of a handshake whose consumer gave none (ms)");

/* Upper bound so that a consumer cannot pin a socket and a slot forever. */
#define HANDSHAKE_MAX_TIMEOUT_MS	(10 * 60 * 1000)

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

static void handshake_req_release(struct handshake_req *req)
{
	/* The timer may still be queued or running; it must be gone first. */
	del_timer_sync(&req->timer);
	fput(req->file);
	put_pid(req->claimant_pid);
	kfree(req->peername);
	kfree(req);
	atomic_dec(&handshake_reqs_alive);
}

/* Context: process; the last put waits for the timer. */
void handshake_req_put(struct handshake_req *req)
{
	if (refcount_dec_and_test(&req->ref))
		handshake_req_release(req);
}

/* Takes @req out of the table; its caller now owns its ending. */
void handshake_req_unlink(struct handshake_net *hn, struct handshake_req *req)
{
	lockdep_assert_held(&hn->lock);
	hash_del(&req->hnode);
	list_del(&req->node);
	if (req->state == HANDSHAKE_REQ_PENDING)
		hn->pending--;
	req->state = HANDSHAKE_REQ_DONE;
}

static void handshake_count_locked(struct handshake_net *hn,
				   enum handshake_event event)
{
	switch (event) {
	case HANDSHAKE_EVENT_DONE:
		hn->stats.succeeded++;
		break;
	case HANDSHAKE_EVENT_TIMED_OUT:
		hn->stats.timed_out++;
		break;
	case HANDSHAKE_EVENT_CANCELLED:
		hn->stats.cancelled++;
		break;
	case HANDSHAKE_EVENT_CLAIMANT_LOST:
		hn->stats.claimant_lost++;
		break;
	default:
		hn->stats.failed++;
		break;
	}
}

static void handshake_req_end_locked(struct handshake_net *hn,
				     struct handshake_req *req, int status,
				     enum handshake_event event)
{
	handshake_count_locked(hn, event);
	req->result.status = status;
	req->event = event;
	/* The consumer may sleep in its callback: never call it from here. */
	queue_work(handshake_wq, &req->done_work);
}

/**
 * handshake_req_end - report the end of a request taken out of the table
 * @req: the request, unlinked by the caller
 * @status: 0 or a negative errno for the consumer
 * @event: how it ended, for the counters and the monitor group
 *
 * Consumes the table's reference.
 */
void handshake_req_end(struct handshake_req *req, int status,
		       enum handshake_event event)
{
	struct handshake_net *hn = handshake_pernet(req->net);

	spin_lock_bh(&hn->lock);
	handshake_req_end_locked(hn, req, status, event);
	spin_unlock_bh(&hn->lock);
}

void handshake_req_fail_locked(struct handshake_net *hn,
			       struct handshake_req *req, int status,
			       enum handshake_event event)
{
	handshake_req_unlink(hn, req);
	handshake_req_end_locked(hn, req, status, event);
}

static void handshake_req_done_work(struct work_struct *work)
{
	struct handshake_req *req = container_of(work, struct handshake_req,
						 done_work);

	handshake_notify_event(req, req->event, req->result.status, GFP_KERNEL);
	req->args.done(req->args.data, &req->result);
	handshake_req_put(req);
}

static void handshake_req_timeout(struct timer_list *t)
{
	struct handshake_req *req = from_timer(req, t, timer);
	struct handshake_net *hn = handshake_pernet(req->net);

	spin_lock(&hn->lock);
	if (req->state != HANDSHAKE_REQ_DONE)
		handshake_req_fail_locked(hn, req, -ETIMEDOUT,
					  HANDSHAKE_EVENT_TIMED_OUT);
	spin_unlock(&hn->lock);
}

static int handshake_args_check(const struct handshake_args *args)
{
	struct socket *sock = args->sock;

	if (!sock || !sock->sk || !sock->file || !args->done)
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

static struct handshake_req *handshake_req_alloc(const struct handshake_args *args,
						 gfp_t gfp)
{
	unsigned int timeout_ms = args->timeout_ms ?: handshake_default_timeout_ms;
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
	atomic_inc(&handshake_reqs_alive);
	req->args = *args;
	req->args.peername = req->peername;
	req->args.timeout_ms = timeout_ms;
	req->net = sock_net(args->sock->sk);
	req->cookie = handshake_sock_cookie(args->sock);
	req->file = args->sock->file;
	/* Kept for GET dumps, which cannot sleep in getname(). */
	req->local_addr_len = kernel_getsockname(args->sock,
						 (struct sockaddr *)&req->local_addr);
	req->peer_addr_len = kernel_getpeername(args->sock,
						(struct sockaddr *)&req->peer_addr);
	req->submitted = jiffies;
	req->deadline = req->submitted + msecs_to_jiffies(timeout_ms);
	req->state = HANDSHAKE_REQ_PENDING;
	/* One reference for the table, one for handshake_req_submit(). */
	refcount_set(&req->ref, 2);
	timer_setup(&req->timer, handshake_req_timeout, 0);
	INIT_WORK(&req->done_work, handshake_req_done_work);
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
		handshake_req_unlink(hn, req);
		hn->stats.failed++;
	}
	spin_unlock_bh(&hn->lock);
	return pending;
}

/**
 * handshake_req_submit - ask user space for a TLS handshake on a socket
 * @args: what to do; copied, so it may live on the caller's stack
 * @gfp: allocation flags
 *
 * Context: process context; might sleep.
 *
 * Return: 0 if the request is queued (@args->done will run exactly once,
 * unless handshake_req_cancel() wins); -EINVAL for bad arguments or a socket
 * that is not a TCP socket with a file; -ENOTCONN if it is not ESTABLISHED
 * (not connected, or the peer has closed already); -EBUSY if a request
 * exists for this socket; -EAGAIN if the namespace's pending limit is
 * reached; -ESRCH if no agent listens in the socket's network namespace;
 * -ENOMEM; -ENETDOWN if the socket's
 * network namespace is going away.
 */
int handshake_req_submit(const struct handshake_args *args, gfp_t gfp)
{
	struct handshake_req *req;
	struct handshake_net *hn;
	int err;

	might_sleep();
	err = handshake_args_check(args);
	if (err)
		return err;
	hn = handshake_pernet(sock_net(args->sock->sk));
	if (!genl_has_listeners(&handshake_genl_family, sock_net(args->sock->sk),
				HANDSHAKE_MCGRP_TLS_ID))
		return -ESRCH;
	req = handshake_req_alloc(args, gfp);
	if (!req)
		return -ENOMEM;

	spin_lock_bh(&hn->lock);
	if (hn->exiting)
		err = -ENETDOWN;
	else if (handshake_req_lookup(hn, req->cookie))
		err = -EBUSY;
	else if (hn->pending >= handshake_pending_limit)
		err = -EAGAIN;
	if (err) {
		spin_unlock_bh(&hn->lock);
		kfree(req->peername);
		kfree(req);
		atomic_dec(&handshake_reqs_alive);
		return err;
	}
	get_file(req->file);
	req->seq = ++hn->next_seq;
	hash_add(hn->table, &req->hnode, req->cookie);
	list_add_tail(&req->node, &hn->requests);
	hn->pending++;
	hn->stats.submitted++;
	mod_timer(&req->timer, req->deadline);
	/*
	 * Under the lock, so that no accept (which needs the lock to find the
	 * request) can report before this: observers see events in order.
	 */
	handshake_notify_event(req, HANDSHAKE_EVENT_SUBMITTED, 0, GFP_ATOMIC);
	spin_unlock_bh(&hn->lock);

	/*
	 * genl_has_listeners() above counts the listeners of every namespace;
	 * only the multicast itself tells whether this one has an agent. A
	 * request nobody here heard of, and nobody claimed since, is taken
	 * back. (Agents set NETLINK_BROADCAST_ERROR, so that an overrun of
	 * theirs reads -ENOBUFS, not -ESRCH.) Any other lost event is not fatal: agents resync from the GET
	 * dump, and the timer bounds the wait either way.
	 */
	if (handshake_notify_request(req, gfp) == -ESRCH &&
	    handshake_req_withdraw(hn, req)) {
		handshake_notify_event(req, HANDSHAKE_EVENT_FAILED, -ESRCH, gfp);
		handshake_req_put(req);
		handshake_req_put(req);
		return -ESRCH;
	}
	handshake_req_put(req);
	return 0;
}
EXPORT_SYMBOL_GPL(handshake_req_submit);

/**
 * handshake_req_cancel - withdraw a handshake request
 * @sock: the socket the request was submitted for
 *
 * Context: process context; might sleep.
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

	might_sleep();
	spin_lock_bh(&hn->lock);
	req = handshake_req_lookup(hn, cookie);
	if (!req || req->file != sock->file) {
		spin_unlock_bh(&hn->lock);
		return false;
	}
	handshake_req_unlink(hn, req);
	hn->stats.cancelled++;
	spin_unlock_bh(&hn->lock);

	handshake_notify_event(req, HANDSHAKE_EVENT_CANCELLED, -ECANCELED,
			       GFP_KERNEL);
	handshake_req_put(req);
	return true;
}
EXPORT_SYMBOL_GPL(handshake_req_cancel);

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
			handshake_req_fail_locked(hn, req, -ECONNABORTED,
						  HANDSHAKE_EVENT_CLAIMANT_LOST);
	spin_unlock_bh(&hn->lock);
}

static int __net_init handshake_net_init(struct net *net)
{
	struct handshake_net *hn = handshake_pernet(net);

	spin_lock_init(&hn->lock);
	hash_init(hn->table);
	INIT_LIST_HEAD(&hn->requests);
	return 0;
}

static void __net_exit handshake_net_exit(struct net *net)
{
	struct handshake_net *hn = handshake_pernet(net);
	struct handshake_req *req, *tmp;

	spin_lock_bh(&hn->lock);
	hn->exiting = true;
	list_for_each_entry_safe(req, tmp, &hn->requests, node)
		handshake_req_fail_locked(hn, req, -ENETDOWN,
					  HANDSHAKE_EVENT_FAILED);
	spin_unlock_bh(&hn->lock);
	/* The callbacks must be over before the namespace is freed. */
	flush_workqueue(handshake_wq);
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

	handshake_wq = alloc_workqueue("handshake", WQ_UNBOUND, 0);
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
	WARN(atomic_read(&handshake_reqs_alive), "handshake: %d requests leaked\n",
	     atomic_read(&handshake_reqs_alive));
}
