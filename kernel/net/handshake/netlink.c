// SPDX-License-Identifier: GPL-2.0
/*
 * Handshake upcall: the generic netlink family "handshake", version 2.
 *
 * specs/handshake.yaml describes the protocol. accept hands the caller a
 * file for a kernel socket, which does not pin its network namespace: the
 * commands that claim, complete or cancel a request need CAP_NET_ADMIN in
 * the initial user namespace. get (which changes nothing) and the groups
 * need CAP_NET_ADMIN over the network namespace.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/jiffies.h>
#include <linux/key.h>
#include <linux/pid.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <uapi/linux/keyctl.h>

#include "handshake.h"
#include "trace.h"

/* Lengths depend on the cipher: ktls.c checks them (failing the request). */
static const struct nla_policy
handshake_crypto_policy[HANDSHAKE_A_CRYPTO_MAX + 1] = {
	[HANDSHAKE_A_CRYPTO_KEY] = { .type = NLA_BINARY },
	[HANDSHAKE_A_CRYPTO_IV] = { .type = NLA_BINARY },
	[HANDSHAKE_A_CRYPTO_SALT] = { .type = NLA_BINARY },
	[HANDSHAKE_A_CRYPTO_REC_SEQ] = { .type = NLA_BINARY },
};

static const struct nla_policy
handshake_session_policy[HANDSHAKE_A_SESSION_MAX + 1] = {
	[HANDSHAKE_A_SESSION_TLS_VERSION] = { .type = NLA_U16 },
	[HANDSHAKE_A_SESSION_CIPHER] = { .type = NLA_U16 },
	[HANDSHAKE_A_SESSION_TX] = NLA_POLICY_NESTED(handshake_crypto_policy),
	[HANDSHAKE_A_SESSION_RX] = NLA_POLICY_NESTED(handshake_crypto_policy),
};

static const struct nla_policy
handshake_cookie_policy[HANDSHAKE_A_COOKIE + 1] = {
	[HANDSHAKE_A_COOKIE] = { .type = NLA_U64 },
};

/*
 * Applied by handshake_nl_done_doit() itself, not by the genetlink core:
 * a message the core refuses is echoed in the error ack, session keys and
 * all, before any handler could wipe them. done has no policy for the core
 * (on 6.1 only commands below the family's resv_start_op may go without
 * one; that also spares them the check of the header's reserved field,
 * which no user of this family sets), so the core neither parses nor
 * refuses its attributes.
 */
static const struct nla_policy
handshake_done_policy[HANDSHAKE_A_REMOTE_AUTH + 1] = {
	[HANDSHAKE_A_COOKIE] = { .type = NLA_U64 },
	[HANDSHAKE_A_STATUS] = { .type = NLA_U32 },
	[HANDSHAKE_A_SESSION] = NLA_POLICY_NESTED(handshake_session_policy),
	[HANDSHAKE_A_REMOTE_AUTH] = { .type = NLA_S32 },
};

static int handshake_put_addr(struct sk_buff *msg, int type,
			      const struct sockaddr_storage *addr, int len)
{
	if (len <= 0)
		return 0;
	return nla_put(msg, type, len, addr);
}

static u32 handshake_ms_left(const struct handshake_req *req)
{
	long left = (long)(req->deadline - jiffies);

	return left > 0 ? jiffies_to_msecs(left) : 0;
}

/*
 * A group only CAP_NET_ADMIN may join needs GENL_MCAST_CAP_NET_ADMIN, which
 * 6.1 has had since a stable update of late 2023. On an older 6.1 kernel
 * anyone may join: the request multicast then names the request (cookie
 * and class) and nothing else; the agent learns the rest from accept.
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define HANDSHAKE_MCGRP_FLAGS	GENL_MCAST_CAP_NET_ADMIN
#else
#define HANDSHAKE_MCGRP_FLAGS	0
#endif

static int handshake_put_cookie(struct sk_buff *msg,
				const struct handshake_req *req)
{
	return nla_put_u64_64bit(msg, HANDSHAKE_A_COOKIE, req->cookie,
				 HANDSHAKE_A_PAD);
}

static int handshake_put_name(struct sk_buff *msg,
			      const struct handshake_req *req)
{
	if (handshake_put_cookie(msg, req) ||
	    nla_put_u32(msg, HANDSHAKE_A_CLASS, HANDSHAKE_CLASS_TLS))
		return -EMSGSIZE;
	return 0;
}

/* What every message about a request carries. Never sleeps. */
static int handshake_put_req(struct sk_buff *msg,
			     const struct handshake_req *req)
{
	if (handshake_put_name(msg, req) ||
	    nla_put_u32(msg, HANDSHAKE_A_ROLE, req->args.role) ||
	    nla_put_u32(msg, HANDSHAKE_A_AUTH, req->args.auth) ||
	    nla_put_u32(msg, HANDSHAKE_A_TIMEOUT_MS, handshake_ms_left(req)))
		return -EMSGSIZE;
	if (req->peername &&
	    nla_put_string(msg, HANDSHAKE_A_PEERNAME, req->peername))
		return -EMSGSIZE;
	if (handshake_put_addr(msg, HANDSHAKE_A_LOCAL_ADDR, &req->local_addr,
			       req->local_addr_len) ||
	    handshake_put_addr(msg, HANDSHAKE_A_PEER_ADDR, &req->peer_addr,
			       req->peer_addr_len))
		return -EMSGSIZE;
	return 0;
}

/* The credentials the agent needs to run the handshake. */
static int handshake_put_auth(struct sk_buff *msg,
			      const struct handshake_req *req)
{
	const struct handshake_args *args = &req->args;
	struct nlattr *nest;
	unsigned int i;

	if (args->keyring &&
	    nla_put_s32(msg, HANDSHAKE_A_KEYRING, args->keyring))
		return -EMSGSIZE;
	if (args->auth == HANDSHAKE_AUTH_X509 &&
	    (args->cert || args->privkey)) {
		nest = nla_nest_start(msg, HANDSHAKE_A_X509);
		if (!nest ||
		    nla_put_s32(msg, HANDSHAKE_A_X509_CERT, args->cert) ||
		    nla_put_s32(msg, HANDSHAKE_A_X509_PRIVKEY, args->privkey))
			return -EMSGSIZE;
		nla_nest_end(msg, nest);
	}
	if (args->auth == HANDSHAKE_AUTH_PSK)
		for (i = 0; i < args->num_psk; i++)
			if (nla_put_s32(msg, HANDSHAKE_A_PEER_IDENTITY,
					args->psk[i]))
				return -EMSGSIZE;
	return 0;
}

static int handshake_put_state(struct sk_buff *msg,
			       const struct handshake_req *req)
{
	u32 state = req->state == HANDSHAKE_REQ_PENDING ?
		HANDSHAKE_STATE_PENDING : HANDSHAKE_STATE_CLAIMED;

	if (nla_put_u32(msg, HANDSHAKE_A_STATE, state) ||
	    nla_put_u32(msg, HANDSHAKE_A_AGE_MS,
			jiffies_to_msecs(jiffies - req->submitted)))
		return -EMSGSIZE;
	if (req->claimant_pid &&
	    nla_put_u32(msg, HANDSHAKE_A_CLAIMANT_PID,
			pid_vnr(req->claimant_pid)))
		return -EMSGSIZE;
	return 0;
}

static int handshake_multicast(struct net *net, struct sk_buff *msg,
			       unsigned int group, gfp_t gfp)
{
	return genlmsg_multicast_netns(&handshake_genl_family, net, msg, 0,
				       group, gfp);
}

/* Return: 0, or -ESRCH if no socket of the request's namespace got it. */
int handshake_notify_request(struct handshake_req *req, gfp_t gfp)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, gfp);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put(msg, 0, 0, &handshake_genl_family, 0,
			  HANDSHAKE_CMD_REQUEST);
	if (!hdr || (HANDSHAKE_MCGRP_FLAGS ? handshake_put_req(msg, req) :
		     handshake_put_name(msg, req))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return handshake_multicast(req->net, msg, HANDSHAKE_MCGRP_TLS_ID, gfp);
}

void handshake_trace_event(struct handshake_req *req,
			   enum handshake_event event, int status)
{
	switch (event) {
	case HANDSHAKE_EVENT_SUBMITTED:
		trace_handshake_submit(req->net, req->cookie, status);
		break;
	case HANDSHAKE_EVENT_ACCEPTED:
		trace_handshake_accept(req->net, req->cookie, status);
		break;
	case HANDSHAKE_EVENT_DONE:
		trace_handshake_done(req->net, req->cookie, status);
		break;
	case HANDSHAKE_EVENT_FAILED:
		trace_handshake_failed(req->net, req->cookie, status);
		break;
	case HANDSHAKE_EVENT_TIMED_OUT:
		trace_handshake_timeout(req->net, req->cookie, status);
		break;
	case HANDSHAKE_EVENT_CANCELLED:
		trace_handshake_cancel(req->net, req->cookie, status);
		break;
	case HANDSHAKE_EVENT_CLAIMANT_LOST:
		trace_handshake_claimant_lost(req->net, req->cookie, status);
		break;
	}
}

/**
 * handshake_event_msg - a lifecycle event for the "monitor" group
 * @req: the request
 * @event: what happened
 * @status: 0 or a negative errno
 * @gfp: allocation flags
 *
 * Return: the message, to send with handshake_event_send(), or NULL if
 * nobody listens (or no memory: the monitor is best effort).
 */
struct sk_buff *handshake_event_msg(struct handshake_req *req,
				    enum handshake_event event, int status,
				    gfp_t gfp)
{
	const struct handshake_result *res = &req->result;
	struct sk_buff *msg;
	unsigned int i;
	void *hdr;

	if (!genl_has_listeners(&handshake_genl_family, req->net,
				HANDSHAKE_MCGRP_MONITOR_ID))
		return NULL;
	msg = genlmsg_new(NLMSG_GOODSIZE, gfp);
	if (!msg)
		return NULL;
	hdr = genlmsg_put(msg, 0, 0, &handshake_genl_family, 0,
			  HANDSHAKE_CMD_EVENT);
	if (!hdr || handshake_put_cookie(msg, req) ||
	    nla_put_u32(msg, HANDSHAKE_A_EVENT, event) ||
	    nla_put_u32(msg, HANDSHAKE_A_STATUS, -status))
		goto err;
	/* Who the peer proved to be, as the consumer learns it. */
	for (i = 0; event == HANDSHAKE_EVENT_DONE && i < res->num_peerids; i++)
		if (nla_put_s32(msg, HANDSHAKE_A_REMOTE_AUTH, res->peerids[i]))
			goto err;
	genlmsg_end(msg, hdr);
	return msg;
err:
	nlmsg_free(msg);
	return NULL;
}

/* Sends (and consumes) a message from handshake_event_msg(), if any. */
void handshake_event_send(struct handshake_req *req, struct sk_buff *msg,
			  gfp_t gfp)
{
	if (msg)
		handshake_multicast(req->net, msg, HANDSHAKE_MCGRP_MONITOR_ID,
				    gfp);
}

/* Every lifecycle event goes to its tracepoint and the "monitor" group. */
void handshake_notify_event(struct handshake_req *req,
			    enum handshake_event event, int status, gfp_t gfp)
{
	handshake_trace_event(req, event, status);
	handshake_event_send(req, handshake_event_msg(req, event, status, gfp),
			     gfp);
}

/*
 * The consumer's keyring, if it gave one, is linked into the claimant's
 * process keyring so that the agent can read the keys it names.
 */
static int handshake_link_keyring(key_serial_t keyring)
{
	key_ref_t process, ring;
	int err;

	if (!keyring)
		return 0;
	process = lookup_user_key(KEY_SPEC_PROCESS_KEYRING, KEY_LOOKUP_CREATE,
				  KEY_NEED_WRITE);
	if (IS_ERR(process))
		return PTR_ERR(process);
	ring = lookup_user_key(keyring, 0, KEY_NEED_LINK);
	if (IS_ERR(ring)) {
		key_ref_put(process);
		return PTR_ERR(ring);
	}
	err = key_link(key_ref_to_ptr(process), key_ref_to_ptr(ring));
	key_ref_put(ring);
	key_ref_put(process);
	return err;
}

static int handshake_nl_accept_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *cookie = info->attrs[HANDSHAKE_A_COOKIE];
	u32 portid = info->snd_portid;
	struct handshake_req *req;
	struct sk_buff *msg;
	void *hdr;
	int fd, err;

	if (GENL_REQ_ATTR_CHECK(info, HANDSHAKE_A_COOKIE))
		return -EINVAL;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		GENL_SET_ERR_MSG(info,
				 "no free file descriptor for the socket");
		return fd;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		put_unused_fd(fd);
		return -ENOMEM;
	}
	req = handshake_req_claim(genl_info_net(info), nla_get_u64(cookie),
				  portid);
	if (IS_ERR(req)) {
		nlmsg_free(msg);
		put_unused_fd(fd);
		NL_SET_ERR_MSG_ATTR(info->extack, cookie,
				    "no pending request with this cookie");
		return PTR_ERR(req);
	}

	hdr = genlmsg_put_reply(msg, info, &handshake_genl_family, 0,
				HANDSHAKE_CMD_ACCEPT);
	if (!hdr || handshake_put_req(msg, req) ||
	    handshake_put_auth(msg, req) ||
	    nla_put_s32(msg, HANDSHAKE_A_SOCKFD, fd)) {
		nlmsg_free(msg);
		err = -EMSGSIZE;
		goto out_unclaim;
	}
	genlmsg_end(msg, hdr);
	err = genlmsg_reply(msg, info);
	if (err)
		goto out_unclaim;

	/*
	 * The reply is queued: from here on the claim stands, and the fd it
	 * names is installed whatever happens. The agent reads the reply
	 * only after this returns, so the keyring is linked in time; linked
	 * only now, an undone claim leaves no link behind.
	 */
	err = handshake_link_keyring(req->args.keyring);
	fd_install(fd, get_file(req->file));
	if (err)
		handshake_req_fail_claimed(req, portid, err);
	else
		handshake_notify_event(req, HANDSHAKE_EVENT_ACCEPTED, 0,
				       GFP_KERNEL);
	handshake_req_put(req);
	return 0;

out_unclaim:
	handshake_req_unclaim(req, portid);
	handshake_req_put(req);
	put_unused_fd(fd);
	return err;
}

/*
 * The identities the peer proved, as key serials: at most
 * HANDSHAKE_MAX_PSK, each a serial (positive). Return: the attribute that
 * breaks that rule, or NULL.
 */
static const struct nlattr *
handshake_result_remote_auth(struct handshake_result *result,
			     const struct nlmsghdr *nlh)
{
	struct nlattr *attr;
	int rem;

	nlmsg_for_each_attr(attr, nlh, GENL_HDRLEN, rem) {
		if (nla_type(attr) != HANDSHAKE_A_REMOTE_AUTH)
			continue;
		if (result->num_peerids == ARRAY_SIZE(result->peerids) ||
		    nla_get_s32(attr) <= 0)
			return attr;
		result->peerids[result->num_peerids++] = nla_get_s32(attr);
	}
	return NULL;
}

/* Ends @req for a malformed done; the agent gets -EINVAL and the extack. */
static int handshake_done_invalid(struct handshake_req *req)
{
	handshake_req_finish(req, -EPROTO, HANDSHAKE_EVENT_FAILED);
	return -EINVAL;
}

static int handshake_done(struct genl_info *info)
{
	struct nlattr *tb[HANDSHAKE_A_REMOTE_AUTH + 1];
	struct netlink_ext_ack *extack = info->extack;
	struct handshake_session session;
	const struct nlattr *bad;
	struct handshake_req *req;
	u32 status;
	int err;

	err = nlmsg_parse(info->nlhdr, GENL_HDRLEN, tb, HANDSHAKE_A_REMOTE_AUTH,
			  handshake_done_policy, extack);
	if (err)
		return err;
	if (!tb[HANDSHAKE_A_COOKIE] || !tb[HANDSHAKE_A_STATUS]) {
		NL_SET_ERR_ATTR_MISS(extack, NULL, tb[HANDSHAKE_A_COOKIE] ?
				     HANDSHAKE_A_STATUS : HANDSHAKE_A_COOKIE);
		return -EINVAL;
	}

	req = handshake_req_take(genl_info_net(info),
				 nla_get_u64(tb[HANDSHAKE_A_COOKIE]),
				 info->snd_portid);
	if (IS_ERR(req)) {
		if (PTR_ERR(req) == -ENOENT)
			NL_SET_ERR_MSG_ATTR(extack, tb[HANDSHAKE_A_COOKIE],
					    "no live request with this cookie (ended, cancelled or timed out)");
		else
			NL_SET_ERR_MSG_ATTR(extack, tb[HANDSHAKE_A_COOKIE],
					    "request is not claimed by this socket");
		return PTR_ERR(req);
	}

	/* From here on this handler owns the request's ending. */
	status = nla_get_u32(tb[HANDSHAKE_A_STATUS]);
	if (status) {
		/* From ERESTARTSYS (512) up, errnos are the kernel's own. */
		if (status >= ERESTARTSYS) {
			NL_SET_ERR_MSG_ATTR(extack, tb[HANDSHAKE_A_STATUS],
					    "status is not an errno a consumer may be given");
			return handshake_done_invalid(req);
		}
		handshake_req_finish(req, -(int)status, HANDSHAKE_EVENT_FAILED);
		return 0;
	}

	if (!tb[HANDSHAKE_A_SESSION]) {
		NL_SET_ERR_MSG(extack, "status 0 needs a session attribute");
		return handshake_done_invalid(req);
	}
	bad = handshake_result_remote_auth(&req->result, info->nlhdr);
	if (bad) {
		NL_SET_ERR_MSG_ATTR(extack, bad,
				    "remote-auth: more than 5, or not a key serial");
		return handshake_done_invalid(req);
	}
	err = handshake_session_parse(tb[HANDSHAKE_A_SESSION], extack,
				      &session);
	if (err) {
		handshake_session_wipe(&session);
		return handshake_done_invalid(req);
	}
	req->result.tls_version = session.tx.info.version;
	req->result.cipher = session.tx.info.cipher_type;
	err = handshake_ktls_install(req->args.sock, &session);
	handshake_session_wipe(&session);
	if (err) {
		/* Never hand the consumer a half-configured socket. */
		kernel_sock_shutdown(req->args.sock, SHUT_RDWR);
		NL_SET_ERR_MSG(extack, "installing kTLS on the socket failed");
		handshake_req_finish(req, err, HANDSHAKE_EVENT_FAILED);
		return err;
	}
	handshake_req_finish(req, 0, HANDSHAKE_EVENT_DONE);
	return 0;
}

/*
 * Whatever the outcome, no key stays in the message: an error ack echoes
 * it whole unless the agent set NETLINK_CAP_ACK. So all of its attributes
 * are wiped, malformed ones too.
 */
static int handshake_nl_done_doit(struct sk_buff *skb, struct genl_info *info)
{
	int err = handshake_done(info);

	memzero_explicit(nlmsg_data(info->nlhdr) + GENL_HDRLEN,
			 nlmsg_len(info->nlhdr) - GENL_HDRLEN);
	return err;
}

static int handshake_fill_get(struct sk_buff *msg,
			      const struct handshake_req *req,
			      u32 portid, u32 seq, int flags)
{
	void *hdr;

	hdr = genlmsg_put(msg, portid, seq, &handshake_genl_family, flags,
			  HANDSHAKE_CMD_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (handshake_put_req(msg, req) || handshake_put_state(msg, req)) {
		genlmsg_cancel(msg, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return 0;
}

static int handshake_nl_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct handshake_net *hn = handshake_pernet(genl_info_net(info));
	struct nlattr *cookie = info->attrs[HANDSHAKE_A_COOKIE];
	struct handshake_req *req;
	struct sk_buff *msg;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, HANDSHAKE_A_COOKIE))
		return -EINVAL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	spin_lock_bh(&hn->lock);
	req = handshake_req_lookup(hn, nla_get_u64(cookie));
	err = req ? handshake_fill_get(msg, req, info->snd_portid,
				       info->snd_seq, 0) : -ENOENT;
	spin_unlock_bh(&hn->lock);
	if (err) {
		nlmsg_free(msg);
		if (err == -ENOENT)
			NL_SET_ERR_MSG_ATTR(info->extack, cookie,
					    "no request with this cookie");
		return err;
	}
	return genlmsg_reply(msg, info);
}

/*
 * Requests end while a dump is under way: it resumes after the last
 * request it gave (by submission number), not at an index that shifts.
 */
static int handshake_nl_get_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	struct handshake_net *hn = handshake_pernet(sock_net(skb->sk));
	u64 *last = (u64 *)cb->ctx;
	struct handshake_req *req;

	BUILD_BUG_ON(sizeof(*last) > sizeof(cb->ctx));
	spin_lock_bh(&hn->lock);
	list_for_each_entry(req, &hn->requests, node) {
		if (req->seq <= *last)
			continue;
		if (handshake_fill_get(skb, req, NETLINK_CB(cb->skb).portid,
				       cb->nlh->nlmsg_seq, NLM_F_MULTI))
			break;
		*last = req->seq;
	}
	spin_unlock_bh(&hn->lock);
	return skb->len;
}

static int handshake_nl_cancel_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *cookie = info->attrs[HANDSHAKE_A_COOKIE];
	int err;

	if (GENL_REQ_ATTR_CHECK(info, HANDSHAKE_A_COOKIE))
		return -EINVAL;
	err = handshake_req_cancel_cookie(genl_info_net(info),
					  nla_get_u64(cookie));
	if (err)
		NL_SET_ERR_MSG_ATTR(info->extack, cookie,
				    "no live request with this cookie");
	return err;
}

static int handshake_nl_stats_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct handshake_net *hn = handshake_pernet(genl_info_net(info));
	struct handshake_stats stats;
	struct sk_buff *msg;
	struct nlattr *nest;
	unsigned int pending;
	void *hdr;

	spin_lock_bh(&hn->lock);
	stats = hn->stats;
	pending = hn->pending;
	spin_unlock_bh(&hn->lock);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &handshake_genl_family, 0,
				HANDSHAKE_CMD_STATS);
	if (!hdr)
		goto nospace;
	nest = nla_nest_start(msg, HANDSHAKE_A_STATS);
	if (!nest ||
	    nla_put_u64_64bit(msg, HANDSHAKE_A_STATS_SUBMITTED, stats.submitted,
			      HANDSHAKE_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, HANDSHAKE_A_STATS_ACCEPTED, stats.accepted,
			      HANDSHAKE_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, HANDSHAKE_A_STATS_SUCCEEDED, stats.succeeded,
			      HANDSHAKE_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, HANDSHAKE_A_STATS_FAILED, stats.failed,
			      HANDSHAKE_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, HANDSHAKE_A_STATS_TIMED_OUT, stats.timed_out,
			      HANDSHAKE_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, HANDSHAKE_A_STATS_CANCELLED, stats.cancelled,
			      HANDSHAKE_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, HANDSHAKE_A_STATS_CLAIMANT_LOST,
			      stats.claimant_lost, HANDSHAKE_A_STATS_PAD) ||
	    nla_put_u32(msg, HANDSHAKE_A_STATS_PENDING, pending) ||
	    nla_put_u32(msg, HANDSHAKE_A_STATS_PENDING_LIMIT,
			READ_ONCE(handshake_pending_limit)))
		goto nospace;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static const struct genl_ops handshake_nl_ops[] = {
	{
		.cmd = HANDSHAKE_CMD_ACCEPT,
		.doit = handshake_nl_accept_doit,
		.policy = handshake_cookie_policy,
		.maxattr = HANDSHAKE_A_COOKIE,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = HANDSHAKE_CMD_DONE,
		.doit = handshake_nl_done_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = HANDSHAKE_CMD_GET,
		.doit = handshake_nl_get_doit,
		.dumpit = handshake_nl_get_dumpit,
		.policy = handshake_cookie_policy,
		.maxattr = HANDSHAKE_A_COOKIE,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = HANDSHAKE_CMD_CANCEL,
		.doit = handshake_nl_cancel_doit,
		.policy = handshake_cookie_policy,
		.maxattr = HANDSHAKE_A_COOKIE,
		.flags = GENL_ADMIN_PERM,
	},
	{
		/* Counters say nothing about any one request. */
		.cmd = HANDSHAKE_CMD_STATS,
		.doit = handshake_nl_stats_doit,
	},
};

static const struct genl_multicast_group handshake_nl_mcgrps[] = {
	[HANDSHAKE_MCGRP_TLS_ID] = {
		.name = HANDSHAKE_MCGRP_TLS,
		.flags = HANDSHAKE_MCGRP_FLAGS,
	},
	[HANDSHAKE_MCGRP_MONITOR_ID] = {
		.name = HANDSHAKE_MCGRP_MONITOR,
		.flags = HANDSHAKE_MCGRP_FLAGS,
	},
};

struct genl_family handshake_genl_family __ro_after_init = {
	.name = HANDSHAKE_FAMILY_NAME,
	.version = HANDSHAKE_FAMILY_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.resv_start_op = HANDSHAKE_CMD_DONE + 1,
	.module = THIS_MODULE,
	.ops = handshake_nl_ops,
	.n_ops = ARRAY_SIZE(handshake_nl_ops),
	.mcgrps = handshake_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(handshake_nl_mcgrps),
};

static int handshake_netlink_notify(struct notifier_block *nb,
				    unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event == NETLINK_URELEASE && n->protocol == NETLINK_GENERIC)
		handshake_claimant_lost(n->net, n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block handshake_netlink_notifier = {
	.notifier_call = handshake_netlink_notify,
};

int handshake_genl_register(void)
{
	int err;

	err = genl_register_family(&handshake_genl_family);
	if (err)
		return err;
	err = netlink_register_notifier(&handshake_netlink_notifier);
	if (err)
		genl_unregister_family(&handshake_genl_family);
	return err;
}

void handshake_genl_unregister(void)
{
	netlink_unregister_notifier(&handshake_netlink_notifier);
	genl_unregister_family(&handshake_genl_family);
}
