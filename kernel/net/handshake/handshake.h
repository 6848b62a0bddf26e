/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Handshake upcall: what the files of handshake.ko share.
 *
 * Locking: each network namespace has one spinlock (handshake_net.lock,
 * taken with _bh because the request timer takes it in softirq). It guards
 * the request table, the list of live requests, every request's @state and
 * @claimant_portid, and the counters.
 *
 * Lifetime: a request is referenced by the table while it is live (pending
 * or claimed) and by whoever looked it up. The transition to
 * HANDSHAKE_REQ_DONE happens once, under the lock, and the winner owns the
 * table's reference. The last reference is only ever dropped in process
 * context, because releasing a request waits for its timer and puts the
 * socket's file.
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
	struct work_struct done_work;
	enum handshake_event event;	/* how it ended */
	struct handshake_result result;
};

extern struct genl_family handshake_genl_family;
extern unsigned int handshake_pending_limit;

enum handshake_mcgrp {
	HANDSHAKE_MCGRP_TLS_ID,
	HANDSHAKE_MCGRP_MONITOR_ID,
};

/* request.c */
int handshake_requests_init(void);
void handshake_requests_exit(void);
struct handshake_net *handshake_pernet(struct net *net);
struct handshake_req *handshake_req_lookup(struct handshake_net *hn,
					   u64 cookie);
void handshake_req_put(struct handshake_req *req);
void handshake_req_unlink(struct handshake_net *hn, struct handshake_req *req);
void handshake_req_end(struct handshake_req *req, int status,
		       enum handshake_event event);
void handshake_req_fail_locked(struct handshake_net *hn,
			       struct handshake_req *req, int status,
			       enum handshake_event event);
void handshake_claimant_lost(struct net *net, u32 portid);

/* netlink.c */
int handshake_genl_register(void);
void handshake_genl_unregister(void);
int handshake_notify_request(struct handshake_req *req, gfp_t gfp);
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

#endif /* _HANDSHAKE_INTERNAL_H */
