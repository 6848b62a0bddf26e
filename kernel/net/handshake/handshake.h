/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Handshake upcall: what the files of handshake.ko share.
 *
 * request.c owns the request lifecycle: every change of a request's state,
 * and every counter, happens there. netlink.c decodes messages, calls the
 * lifecycle functions below and encodes their results.
 *
 * Locking: each network namespace has one spinlock (handshake_net.lock,
 * taken with _bh because the request timer takes it in softirq). It guards
 * the request table, the list of live requests, every request's @state,
 * @claimant_portid and @claimant_pid, and the counters.
 *
 * Lifetime: a request is referenced by the table while it is live (pending
 * or claimed) and by whoever looked it up. It leaves the table once, under
 * the lock, and whoever takes it out owns its ending. The last reference may
 * be dropped in any context; the release itself (which waits for the timer
 * and closes the consumer's file if that was the last reference) runs from
 * the module's workqueue, and a namespace's exit waits for the release of
 * all its requests, so that no socket is closed after its namespace.
 */
#ifndef _HANDSHAKE_INTERNAL_H
#define _HANDSHAKE_INTERNAL_H

#include <linux/hashtable.h>
#include <linux/netlink.h>
#include <linux/refcount.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <uapi/linux/tls.h>
#include <net/genetlink.h>
#include <net/handshake.h>

enum handshake_req_state {
	HANDSHAKE_REQ_PENDING,
	HANDSHAKE_REQ_CLAIMED,
	HANDSHAKE_REQ_DONE,
};

struct handshake_stats {
	u64 submitted;
	u64 accepted;
	u64 succeeded;
	u64 failed;
	u64 timed_out;
	u64 cancelled;
	u64 claimant_lost;
};

struct handshake_net {
	spinlock_t lock;		/* see "Locking" above */
	DECLARE_HASHTABLE(table, 10);
	struct list_head requests;	/* live requests, oldest first */
	u64 next_seq;			/* numbers them in that order */
	unsigned int pending;
	bool exiting;
	struct handshake_stats stats;
	/* Submitted and not yet released; the namespace's exit waits for 0. */
	atomic_t unreleased;
};

struct handshake_req {
	struct hlist_node hnode;
	struct list_head node;
	refcount_t ref;
	enum handshake_req_state state;
	u64 cookie;
	u64 seq;			/* where a GET dump resumes */
	struct net *net;
	struct file *file;
	struct handshake_args args;
	tls_done_func_t ta_done;	/* instead of args.done: tls.c */
	char *peername;
	struct sockaddr_storage local_addr;
	struct sockaddr_storage peer_addr;
	int local_addr_len;
	int peer_addr_len;
	u32 claimant_portid;
	struct pid *claimant_pid;
	unsigned long submitted;	/* jiffies */
	unsigned long deadline;		/* jiffies */
	struct timer_list timer;
	struct work_struct done_work;	/* calls the consumer back */
	struct work_struct release_work;	/* frees, after the last put */
	enum handshake_event event;	/* how it ended */
	struct handshake_result result;
};

extern struct genl_family handshake_genl_family;

/* main.c: the module's parameters; read them with READ_ONCE(). */
extern unsigned int handshake_pending_limit;
extern unsigned int handshake_default_timeout_ms;
/* Bound for timeouts, so that nobody can pin a socket and a slot forever. */
#define HANDSHAKE_MAX_TIMEOUT_MS	(10 * 60 * 1000)

enum handshake_mcgrp {
	HANDSHAKE_MCGRP_TLS_ID,
	HANDSHAKE_MCGRP_MONITOR_ID,
};

/* request.c: the lifecycle. */
int handshake_requests_init(void);
void handshake_requests_exit(void);
struct handshake_net *handshake_pernet(struct net *net);
struct handshake_req *handshake_req_lookup(struct handshake_net *hn,
					   u64 cookie);
void handshake_req_put(struct handshake_req *req);
struct handshake_req *handshake_req_claim(struct net *net, u64 cookie,
					  u32 portid);
void handshake_req_unclaim(struct handshake_req *req, u32 portid);
void handshake_req_fail_claimed(struct handshake_req *req, u32 portid,
				int status);
struct handshake_req *handshake_req_take(struct net *net, u64 cookie,
					 u32 portid);
void handshake_req_finish(struct handshake_req *req, int status,
			  enum handshake_event event);
int handshake_req_cancel_cookie(struct net *net, u64 cookie);
void handshake_claimant_lost(struct net *net, u32 portid);
int __handshake_req_submit(const struct handshake_args *args,
			   tls_done_func_t ta_done, gfp_t gfp);

/* netlink.c */
int handshake_genl_register(void);
void handshake_genl_unregister(void);
int handshake_notify_request(struct handshake_req *req, gfp_t gfp);
struct sk_buff *handshake_event_msg(struct handshake_req *req,
				    enum handshake_event event, int status,
				    gfp_t gfp);
void handshake_event_send(struct handshake_req *req, struct sk_buff *msg,
			  gfp_t gfp);
void handshake_trace_event(struct handshake_req *req,
			   enum handshake_event event, int status);
void handshake_notify_event(struct handshake_req *req,
			    enum handshake_event event, int status, gfp_t gfp);

/* ktls.c */
union handshake_crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes_gcm_128;
	struct tls12_crypto_info_aes_gcm_256 aes_gcm_256;
	struct tls12_crypto_info_chacha20_poly1305 chacha20_poly1305;
};

/* A validated session, ready to be installed; holds keys: wipe it. */
struct handshake_session {
	unsigned int info_len;
	union handshake_crypto_info tx;
	union handshake_crypto_info rx;
};

int handshake_session_parse(const struct nlattr *attr,
			    struct netlink_ext_ack *extack,
			    struct handshake_session *session);
int handshake_ktls_install(struct socket *sock,
			   struct handshake_session *session);
void handshake_session_wipe(struct handshake_session *session);
bool handshake_ktls_tx_installed(struct sock *sk);

#endif /* _HANDSHAKE_INTERNAL_H */
