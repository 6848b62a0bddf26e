// SPDX-License-Identifier: GPL-2.0-only
/*
 * Generic netlink with libnl-genl-3: two sockets.
 *
 * Two protocols: ours (version 2, handshake.ko on 6.1) and mainline's
 * (version 1, a kernel with its own net/handshake; proto_v1.h). The
 * family's version says which; the rest of the agent sees one interface.
 *
 * The event socket is in the "tls" group, non-blocking, watched by the
 * event loop. The command socket sends accept and done synchronously (a
 * round trip to the kernel, no peer to wait for); it is the claimant, so
 * it lives as long as the agent: if it closes, the kernel fails every
 * request it claimed at once.
 *
 * The event socket is also in nlctrl's "notify" group: when handshake.ko
 * is unloaded and loaded again, the family and its groups are registered
 * anew (the id may change, the kernel dropped our membership), so we
 * resolve them again, rejoin and list what is pending, without a restart.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <linux/netlink.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "linux/handshake.h"
#include "log.h"
#include "netlink.h"
#include "proto_v1.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct hsnl {
	struct nl_sock *cmd, *ev;
	int family;			/* 0: not registered now */
	unsigned int version;		/* 2: ours, 1: mainline's */
	sd_event_source *src;
	bool rejoin;			/* the family came (back) */
	hsnl_request_fn fn;
	void *userdata;
};

static int join(struct hsnl *nl);

/* One synchronous request/reply exchange on the command socket. */
struct txn {
	int err;			/* negative errno from the kernel */
	bool done;
	int (*parse)(struct nl_msg *msg, void *arg);
	void *arg;
};

static int txn_valid(struct nl_msg *msg, void *arg)
{
	struct txn *t = arg;

	return t->parse ? t->parse(msg, t->arg) : NL_OK;
}

static int txn_end(struct nl_msg *msg, void *arg)
{
	struct txn *t = arg;

	(void)msg;
	t->done = true;
	return NL_STOP;
}

/* The kernel's extended ack message, if any: it says what it rejected. */
static const char *extack_msg(struct nlmsgerr *e)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = sizeof(*e);
	int len;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)off;
	if (len <= 0 || nla_parse(tb, NLMSGERR_ATTR_MAX,
				  (struct nlattr *)((char *)e + off), len, NULL) < 0 ||
	    !tb[NLMSGERR_ATTR_MSG])
		return NULL;
	return nla_get_string(tb[NLMSGERR_ATTR_MSG]);
}

static int txn_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct txn *t = arg;
	const char *msg = extack_msg(e);

	(void)who;
	t->err = e->error;
	t->done = true;
	/* ENOENT is a lost race for a claim (another agent or worker won). */
	if (msg)
		log_msg(e->error == -ENOENT ? LOG_DEBUG : LOG_WARNING, "kernel: %s (%s)",
			msg, errno_name(-e->error));
	return NL_STOP;
}

static int transact(struct hsnl *nl, struct nl_msg *msg,
		    int (*parse)(struct nl_msg *, void *), void *arg)
{
	struct txn t = { .parse = parse, .arg = arg };
	struct nl_cb *orig, *cb;
	int r;

	orig = nl_socket_get_cb(nl->cmd);
	cb = nl_cb_clone(orig);
	nl_cb_put(orig);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, txn_valid, &t);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, txn_end, &t);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, txn_end, &t);
	nl_cb_err(cb, NL_CB_CUSTOM, txn_error, &t);

	r = nl_send_auto(nl->cmd, msg);
	while (r >= 0 && !t.done)
		r = nl_recvmsgs(nl->cmd, cb);
	nl_cb_put(cb);
	if (t.done)
		return t.err;
	log_err("netlink: %s", nl_geterror(r));
	return -EIO;
}

static struct nl_msg *new_msg(struct hsnl *nl, int flags, uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
				flags, cmd, nl->version)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

static bool get_u32(const struct nlattr *a, uint32_t *v)
{
	if (nla_len(a) < (int)sizeof(uint32_t))
		return false;
	*v = nla_get_u32((struct nlattr *)a);
	return true;
}

/* The first sockfd is the request's; a second one is closed, not leaked. */
static void take_sockfd(struct hsnl_accept *acc, int32_t fd)
{
	if (acc->fd < 0) {
		acc->fd = fd;
	} else if (fd != acc->fd) {
		close(fd);
		acc->malformed = true;
	}
}

/*
 * The reply is parsed by hand, attribute by attribute, not with a policy:
 * one malformed attribute must not make us lose the fd the kernel already
 * installed in our table.
 */
static int parse_accept(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *g = genlmsg_hdr(nlmsg_hdr(msg));
	struct hsnl_accept *acc = arg;
	struct nlattr *a;
	uint32_t v;
	int rem;

	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
		int len = nla_len(a);

		switch (nla_type(a)) {
		case HANDSHAKE_A_COOKIE:
			if (len >= 8)
				acc->cookie = nla_get_u64(a);
			break;
		case HANDSHAKE_A_SOCKFD:
			if (get_u32(a, &v))
				take_sockfd(acc, (int32_t)v);
			break;
		case HANDSHAKE_A_ROLE:
			get_u32(a, &acc->role);
			break;
		case HANDSHAKE_A_AUTH:
			get_u32(a, &acc->auth);
			break;
		case HANDSHAKE_A_TIMEOUT_MS:
			acc->has_timeout = get_u32(a, &acc->timeout_ms);
			break;
		case HANDSHAKE_A_KEYRING:
			if (get_u32(a, &v))
				acc->keyring = (int32_t)v;
			break;
		case HANDSHAKE_A_PEERNAME:
			if (len > 0 && !acc->peername)
				acc->peername = strndup(nla_data(a), len);
			break;
		case HANDSHAKE_A_X509: {
			struct nlattr *n;
			int r2;

			nla_for_each_nested(n, a, r2) {
				if (!get_u32(n, &v))
					continue;
				if (nla_type(n) == HANDSHAKE_A_X509_CERT)
					acc->x509_cert = (int32_t)v;
				else if (nla_type(n) == HANDSHAKE_A_X509_PRIVKEY)
					acc->x509_privkey = (int32_t)v;
			}
			break;
		}
		case HANDSHAKE_A_PEER_IDENTITY:
			if (get_u32(a, &v) && acc->n_peer_ids < HSNL_MAX_PEER_IDS)
				acc->peer_ids[acc->n_peer_ids++] = (int32_t)v;
			break;
		case HANDSHAKE_A_LOCAL_ADDR:
			if (len > 0 && (size_t)len <= sizeof(acc->local)) {
				memcpy(&acc->local, nla_data(a), len);
				acc->has_local = true;
			}
			break;
		case HANDSHAKE_A_PEER_ADDR:
			if (len > 0 && (size_t)len <= sizeof(acc->peer)) {
				memcpy(&acc->peer, nla_data(a), len);
				acc->has_peer = true;
			}
			break;
		}
	}
	return NL_OK;
}

/* Mainline's accept reply, in the same terms. */
static int parse_accept_v1(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *g = genlmsg_hdr(nlmsg_hdr(msg));
	struct hsnl_accept *acc = arg;
	struct nlattr *a, *n;
	uint32_t v;
	int rem, r2;

	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
		int len = nla_len(a);

		switch (nla_type(a)) {
		case HSV1_A_ACCEPT_SOCKFD:
			if (get_u32(a, &v))
				take_sockfd(acc, (int32_t)v);
			break;
		case HSV1_A_ACCEPT_MESSAGE_TYPE:
			if (get_u32(a, &v))
				acc->role = v == HSV1_MSG_TYPE_CLIENTHELLO ? HANDSHAKE_ROLE_CLIENT :
					    v == HSV1_MSG_TYPE_SERVERHELLO ? HANDSHAKE_ROLE_SERVER : 0;
			break;
		case HSV1_A_ACCEPT_AUTH_MODE:
			if (get_u32(a, &v))
				acc->auth = v == HSV1_AUTH_UNAUTH ? HANDSHAKE_AUTH_UNAUTH :
					    v == HSV1_AUTH_PSK ? HANDSHAKE_AUTH_PSK :
					    v == HSV1_AUTH_X509 ? HANDSHAKE_AUTH_X509 : 0;
			break;
		case HSV1_A_ACCEPT_TIMEOUT:
			acc->has_timeout = get_u32(a, &acc->timeout_ms);
			break;
		case HSV1_A_ACCEPT_KEYRING:
			if (get_u32(a, &v))
				acc->keyring = (int32_t)v;
			break;
		case HSV1_A_ACCEPT_PEERNAME:
			if (len > 0 && !acc->peername)
				acc->peername = strndup(nla_data(a), len);
			break;
		case HSV1_A_ACCEPT_CERTIFICATE:
			nla_for_each_nested(n, a, r2) {
				if (!get_u32(n, &v))
					continue;
				if (nla_type(n) == HSV1_A_X509_CERT)
					acc->x509_cert = (int32_t)v;
				else if (nla_type(n) == HSV1_A_X509_PRIVKEY)
					acc->x509_privkey = (int32_t)v;
			}
			break;
		case HSV1_A_ACCEPT_PEER_IDENTITY:
			/*
			 * A server request carries the consumer's first
			 * serial even when it gave none (0): not a key.
			 */
			if (get_u32(a, &v) && (int32_t)v > 0 &&
			    acc->n_peer_ids < HSNL_MAX_PEER_IDS)
				acc->peer_ids[acc->n_peer_ids++] = (int32_t)v;
			break;
		}
	}
	/* mainline's "no certificate": key serials are positive. */
	if (acc->x509_cert < 0)
		acc->x509_cert = 0;
	if (acc->x509_privkey < 0)
		acc->x509_privkey = 0;
	return NL_OK;
}

void hsnl_parse_accept(struct nl_msg *msg, struct hsnl_accept *acc)
{
	memset(acc, 0, sizeof(*acc));
	acc->fd = -1;
	parse_accept(msg, acc);
}

bool hsnl_agent_installs(const struct hsnl *nl)
{
	return nl->version == HSV1_FAMILY_VERSION;
}

/*
 * Mainline's accept hands over the oldest pending request, if any. It
 * has no cookie: the socket's own (SO_COOKIE) names it in our logs.
 */
static int accept_v1(struct hsnl *nl, struct hsnl_accept *acc)
{
	socklen_t len = sizeof(acc->cookie);
	struct nl_msg *msg;
	int r;

	msg = new_msg(nl, 0, HSV1_CMD_ACCEPT);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, HSV1_A_ACCEPT_HANDLER_CLASS, HSV1_HANDLER_CLASS_TLSHD) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	r = transact(nl, msg, parse_accept_v1, acc);
	nlmsg_free(msg);
	/* Nothing pending (EAGAIN): as ours says when the claim is lost. */
	if (r == -EAGAIN)
		r = -ENOENT;
	/* Without the fd there is no done to send: the consumer's timer ends it. */
	if (r == 0 && acc->fd < 0) {
		log_err("accept: reply without a socket");
		r = -EPROTO;
	} else if (r == 0 && acc->malformed) {
		log_err("accept: reply with a second sockfd; failing the request");
		hsnl_done(nl, acc, EPROTO, NULL, NULL, 0);
		r = -EPROTO;
	}
	if (r == 0 && getsockopt(acc->fd, SOL_SOCKET, SO_COOKIE, &acc->cookie, &len) < 0) {
		r = -errno;
		hsnl_done(nl, acc, EPROTO, NULL, NULL, 0);
	}
	if (r < 0)
		hsnl_accept_clear(acc);
	return r;
}

int hsnl_accept(struct hsnl *nl, uint64_t cookie, struct hsnl_accept *acc)
{
	struct nl_msg *msg;
	int r;

	memset(acc, 0, sizeof(*acc));
	acc->fd = -1;
	if (!nl->family)
		return -ENOENT;
	if (nl->version == HSV1_FAMILY_VERSION)
		return accept_v1(nl, acc);
	msg = new_msg(nl, 0, HANDSHAKE_CMD_ACCEPT);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, HANDSHAKE_A_COOKIE, cookie) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	r = transact(nl, msg, parse_accept, acc);
	nlmsg_free(msg);
	if (r == 0 && (acc->fd < 0 || acc->cookie != cookie || acc->malformed)) {
		/*
		 * The kernel made us the claimant of @cookie, whatever the
		 * reply says: end the claim now rather than leave the
		 * consumer waiting for the timer.
		 */
		log_err("accept %llu: malformed reply (fd %d, cookie %llu%s); failing the request",
			(unsigned long long)cookie, acc->fd,
			(unsigned long long)acc->cookie,
			acc->malformed ? ", a second sockfd" : "");
		hsnl_accept_clear(acc);
		acc->cookie = cookie;
		hsnl_done(nl, acc, EPROTO, NULL, NULL, 0);
		r = -EPROTO;
	}
	if (r < 0)
		hsnl_accept_clear(acc);
	return r;
}

void hsnl_accept_clear(struct hsnl_accept *acc)
{
	if (acc->fd >= 0)
		close(acc->fd);
	free(acc->peername);
	memset(acc, 0, sizeof(*acc));
	acc->fd = -1;
}

static int put_crypto(struct nl_msg *msg, int type, const struct ktls_crypto *c)
{
	struct nlattr *n = nla_nest_start(msg, type | NLA_F_NESTED);

	if (!n ||
	    nla_put(msg, HANDSHAKE_A_CRYPTO_KEY, c->key_len, c->key) < 0 ||
	    nla_put(msg, HANDSHAKE_A_CRYPTO_IV, c->iv_len, c->iv) < 0 ||
	    (c->salt_len &&
	     nla_put(msg, HANDSHAKE_A_CRYPTO_SALT, c->salt_len, c->salt) < 0) ||
	    nla_put(msg, HANDSHAKE_A_CRYPTO_REC_SEQ, sizeof(c->rec_seq), c->rec_seq) < 0)
		return -ENOMEM;
	nla_nest_end(msg, n);
	return 0;
}

int hsnl_put_done(struct nl_msg *msg, uint64_t cookie, uint32_t status,
		  const struct ktls_session *ks, const int32_t *peerids,
		  unsigned int n_peerids)
{
	struct nlattr *n;

	if (nla_put_u64(msg, HANDSHAKE_A_COOKIE, cookie) < 0 ||
	    nla_put_u32(msg, HANDSHAKE_A_STATUS, status) < 0)
		return -ENOMEM;
	if (status || !ks)
		return 0;
	/* The kernel parses strictly: nests must carry NLA_F_NESTED. */
	n = nla_nest_start(msg, HANDSHAKE_A_SESSION | NLA_F_NESTED);
	if (!n ||
	    nla_put_u16(msg, HANDSHAKE_A_SESSION_TLS_VERSION, ks->version) < 0 ||
	    nla_put_u16(msg, HANDSHAKE_A_SESSION_CIPHER, ks->cipher) < 0 ||
	    put_crypto(msg, HANDSHAKE_A_SESSION_TX, &ks->tx) < 0 ||
	    put_crypto(msg, HANDSHAKE_A_SESSION_RX, &ks->rx) < 0)
		return -ENOMEM;
	nla_nest_end(msg, n);
	for (unsigned int i = 0; i < n_peerids; i++)
		if (nla_put_s32(msg, HANDSHAKE_A_REMOTE_AUTH, peerids[i]) < 0)
			return -ENOMEM;
	return 0;
}

int hsnl_put_done_v1(struct nl_msg *msg, int fd, uint32_t status,
		     const int32_t *peerids, unsigned int n_peerids)
{
	if (nla_put_u32(msg, HSV1_A_DONE_STATUS, status) < 0 ||
	    nla_put_s32(msg, HSV1_A_DONE_SOCKFD, fd) < 0)
		return -ENOMEM;
	for (unsigned int i = 0; !status && i < n_peerids; i++)
		if (nla_put_u32(msg, HSV1_A_DONE_REMOTE_AUTH, (uint32_t)peerids[i]) < 0)
			return -ENOMEM;
	return 0;
}

int hsnl_done(struct hsnl *nl, const struct hsnl_accept *acc, uint32_t status,
	      const struct ktls_session *ks, const int32_t *peerids,
	      unsigned int n_peerids)
{
	struct nl_msg *msg;
	int r;

	/* The module went away: so did the request. */
	if (!nl->family)
		return -ENOENT;
	msg = new_msg(nl, 0, nl->version == HSV1_FAMILY_VERSION ? HSV1_CMD_DONE
								 : HANDSHAKE_CMD_DONE);
	if (!msg)
		return -ENOMEM;
	/* Mainline's done names the request by our fd for its socket. */
	if (nl->version == HSV1_FAMILY_VERSION)
		r = hsnl_put_done_v1(msg, acc->fd, status, peerids, n_peerids);
	else
		r = hsnl_put_done(msg, acc->cookie, status, ks, peerids, n_peerids);
	if (r == 0)
		r = transact(nl, msg, NULL, NULL);
	/* The message holds keys: wipe it before it goes back to malloc. */
	gnutls_memset(nlmsg_hdr(msg), 0, nlmsg_hdr(msg)->nlmsg_len);
	nlmsg_free(msg);
	return r;
}

struct pending {
	uint64_t *cookies;
	size_t n, cap;
};

static int parse_get(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *g = genlmsg_hdr(nlmsg_hdr(msg));
	struct pending *p = arg;
	uint32_t state = 0, class = HANDSHAKE_CLASS_TLS;
	uint64_t cookie = 0;
	struct nlattr *a;
	int rem;

	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
		if (nla_type(a) == HANDSHAKE_A_COOKIE && nla_len(a) >= 8)
			cookie = nla_get_u64(a);
		else if (nla_type(a) == HANDSHAKE_A_STATE)
			get_u32(a, &state);
		else if (nla_type(a) == HANDSHAKE_A_CLASS)
			get_u32(a, &class);
	}
	if (!cookie || state != HANDSHAKE_STATE_PENDING || class != HANDSHAKE_CLASS_TLS)
		return NL_OK;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		uint64_t *c = realloc(p->cookies, cap * sizeof(*c));

		if (!c)
			return NL_OK;	/* the next event or resync catches it */
		p->cookies = c;
		p->cap = cap;
	}
	p->cookies[p->n++] = cookie;
	return NL_OK;
}

int hsnl_resync(struct hsnl *nl)
{
	struct pending p = { 0 };
	struct nl_msg *msg;
	int r;

	if (!nl->family)
		return -ENOENT;
	/* Mainline's family lists nothing: accept until none is left. */
	if (nl->version == HSV1_FAMILY_VERSION) {
		nl->fn(0, nl->userdata);
		return 0;
	}
	msg = new_msg(nl, NLM_F_DUMP, HANDSHAKE_CMD_GET);
	if (!msg)
		return -ENOMEM;
	r = transact(nl, msg, parse_get, &p);
	nlmsg_free(msg);
	if (r < 0)
		log_warn("cannot list pending requests: %s", errno_name(-r));
	/* Claim after the dump is over: the command socket is free again. */
	for (size_t i = 0; i < p.n; i++)
		nl->fn(p.cookies[i], nl->userdata);
	free(p.cookies);
	return r;
}

/* nlctrl: our family was unregistered (module unload) or registered. */
static int parse_ctrl(struct hsnl *nl, struct genlmsghdr *g)
{
	struct nlattr *a;
	bool ours = false;
	int rem;

	if (g->cmd != CTRL_CMD_NEWFAMILY && g->cmd != CTRL_CMD_DELFAMILY)
		return NL_OK;
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem)
		if (nla_type(a) == CTRL_ATTR_FAMILY_NAME && nla_len(a) > 0 &&
		    !strncmp(nla_data(a), HANDSHAKE_FAMILY_NAME, nla_len(a)))
			ours = true;
	if (!ours)
		return NL_OK;
	if (g->cmd == CTRL_CMD_DELFAMILY) {
		log_warn("generic netlink family \"%s\" is gone (module unloaded); waiting for it",
			 HANDSHAKE_FAMILY_NAME);
		nl->family = 0;
		nl->rejoin = false;
	} else {
		nl->rejoin = true;	/* after the drain: it uses the command socket */
	}
	return NL_OK;
}

static int parse_event(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *g = genlmsg_hdr(nlh);
	struct hsnl *nl = arg;
	uint32_t class = HANDSHAKE_CLASS_TLS;
	uint64_t cookie = 0;
	struct nlattr *a;
	int rem;

	if (nlh->nlmsg_type == GENL_ID_CTRL)
		return parse_ctrl(nl, g);
	if (!nl->family || nlh->nlmsg_type != nl->family)
		return NL_OK;
	if (nl->version == HSV1_FAMILY_VERSION) {
		/* "ready": something is pending; accept says what. */
		if (g->cmd == HSV1_CMD_READY)
			nl->fn(0, nl->userdata);
		return NL_OK;
	}
	if (g->cmd != HANDSHAKE_CMD_REQUEST)
		return NL_OK;
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
		if (nla_type(a) == HANDSHAKE_A_COOKIE && nla_len(a) >= 8)
			cookie = nla_get_u64(a);
		else if (nla_type(a) == HANDSHAKE_A_CLASS)
			get_u32(a, &class);
	}
	if (cookie && class == HANDSHAKE_CLASS_TLS)
		nl->fn(cookie, nl->userdata);
	return NL_OK;
}

static int on_event(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct hsnl *nl = userdata;
	(void)s;
	(void)fd;
	(void)revents;
	bool lost = false;
	int r;

	/*
	 * Drain the socket: the kernel reports an overrun (ENOBUFS) once,
	 * then not again until the queue has been emptied. So empty it, and
	 * only then list what is pending: every event lost before the drain
	 * is in that list, every overrun after it is reported anew.
	 */
	do {
		r = nl_recvmsgs_default(nl->ev);
		/* libnl reports ENOBUFS (events dropped) as NLE_NOMEM. */
		if (r == -NLE_NOMEM)
			lost = true;
		else if (r < 0 && r != -NLE_AGAIN)
			log_debug("event socket: %s", nl_geterror(r));
	} while (r >= 0 || r == -NLE_NOMEM);
	if (nl->rejoin) {
		nl->rejoin = false;
		if (join(nl) < 0)
			return 0;
		log_info("generic netlink family \"%s\" is back (id %d); rejoined",
			 HANDSHAKE_FAMILY_NAME, nl->family);
		/* What was submitted before we rejoined got no event to us. */
		hsnl_resync(nl);
		return 0;
	}
	if (lost && nl->family) {
		log_warn("request events were lost; resyncing from the kernel");
		hsnl_resync(nl);
	}
	return 0;
}

static int resolve(struct hsnl *nl)
{
	struct nl_cache *cache = NULL;
	struct genl_family *fam;
	unsigned int version;

	if (genl_ctrl_alloc_cache(nl->cmd, &cache) < 0)
		return -EIO;
	fam = genl_ctrl_search_by_name(cache, HANDSHAKE_FAMILY_NAME);
	nl_cache_free(cache);
	if (!fam)
		return -ENOENT;
	nl->family = genl_family_get_id(fam);
	version = genl_family_get_version(fam);
	genl_family_put(fam);
	if (version != HANDSHAKE_FAMILY_VERSION && version != HSV1_FAMILY_VERSION) {
		log_err("generic netlink family \"%s\" is version %u, not %d (handshake.ko) or %d (mainline's)",
			HANDSHAKE_FAMILY_NAME, version, HANDSHAKE_FAMILY_VERSION,
			HSV1_FAMILY_VERSION);
		nl->family = 0;
		return -EPROTONOSUPPORT;
	}
	if (version != nl->version)
		log_info("kernel: %s", version == HSV1_FAMILY_VERSION ?
			 "mainline's net/handshake (protocol version 1): the agent installs kTLS" :
			 "handshake.ko (protocol version 2): the kernel installs kTLS");
	nl->version = version;
	return 0;
}

/* Resolve the family and its "tls" group, and join the group. */
static int join(struct hsnl *nl)
{
	const char *group;
	int grp, r;

	r = resolve(nl);
	if (r < 0)
		return r;
	group = nl->version == HSV1_FAMILY_VERSION ? HSV1_MCGRP_TLSHD : HANDSHAKE_MCGRP_TLS;
	grp = genl_ctrl_resolve_grp(nl->cmd, HANDSHAKE_FAMILY_NAME, group);
	if (grp < 0) {
		log_err("family \"%s\" has no group \"%s\"", HANDSHAKE_FAMILY_NAME, group);
		nl->family = 0;
		return -ENOENT;
	}
	r = nl_socket_add_membership(nl->ev, grp);
	if (r < 0) {
		log_err("cannot join group \"%s\": %s (CAP_NET_ADMIN needed)",
			group, nl_geterror(r));
		nl->family = 0;
		return -EPERM;
	}
	return 0;
}

int hsnl_open(sd_event *e, int event_fd, hsnl_request_fn fn, void *userdata,
	      struct hsnl **out)
{
	struct hsnl *nl;
	int one = 1, r;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->fn = fn;
	nl->userdata = userdata;
	nl->cmd = nl_socket_alloc();
	nl->ev = nl_socket_alloc();
	if (!nl->cmd || !nl->ev) {
		r = -ENOMEM;
		goto fail;
	}
	if (genl_connect(nl->cmd) < 0) {
		r = -EIO;
		goto fail;
	}
	/* Ask for the kernel's reason on errors, without our message echoed. */
	setsockopt(nl_socket_get_fd(nl->cmd), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->cmd), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));

	if (event_fd >= 0)
		r = nl_socket_set_fd(nl->ev, NETLINK_GENERIC, event_fd);
	else
		r = genl_connect(nl->ev);
	if (r < 0) {
		log_err("event socket: %s", nl_geterror(r));
		r = -EIO;
		goto fail;
	}
	/*
	 * One recvmsg per message instead of libnl's peek-then-read: a dump
	 * message is at most 32 KiB (the kernel caps its dump buffers there),
	 * so a 64 KiB buffer always takes a whole one.
	 */
	nl_socket_disable_msg_peek(nl->cmd);
	nl_socket_disable_msg_peek(nl->ev);
	nl_socket_set_msg_buf_size(nl->cmd, 64 << 10);
	nl_socket_set_msg_buf_size(nl->ev, 64 << 10);
	nl_socket_disable_seq_check(nl->ev);
	nl_socket_modify_cb(nl->ev, NL_CB_VALID, NL_CB_CUSTOM, parse_event, nl);
	/*
	 * A burst of requests should not overflow the socket: 1 MiB. A
	 * passed socket keeps what the service manager gave it (its
	 * ReceiveBuffer=); SO_RCVBUF alone would cut ours to rmem_max, and
	 * we hold CAP_NET_ADMIN, which SO_RCVBUFFORCE needs.
	 */
	if (event_fd < 0 &&
	    setsockopt(nl_socket_get_fd(nl->ev), SOL_SOCKET, SO_RCVBUFFORCE,
		       &(int){ 1 << 20 }, sizeof(int)) < 0)
		nl_socket_set_buffer_size(nl->ev, 1 << 20, 0);
	/*
	 * The kernel takes "nobody got the request" for "no agent in this
	 * namespace" and fails the submit; an overrun of this socket must
	 * say ENOBUFS instead, so the request stays and the dump resync
	 * finds it.
	 */
	if (setsockopt(nl_socket_get_fd(nl->ev), SOL_NETLINK,
		       NETLINK_BROADCAST_ERROR, &(int){ 1 }, sizeof(int)) < 0) {
		log_err("event socket: NETLINK_BROADCAST_ERROR: %m");
		r = -EIO;
		goto fail;
	}
	/*
	 * nlctrl's notifications tell of a module reload. The passed socket
	 * of socket activation is in this group already (GENL_ID_CTRL is
	 * also nlctrl's fixed group id); joining twice does no harm.
	 */
	r = nl_socket_add_membership(nl->ev, GENL_ID_CTRL);
	if (r < 0)
		log_warn("cannot join nlctrl's notify group: %s; a module reload needs a restart",
			 nl_geterror(r));
	r = join(nl);
	if (r < 0)
		goto fail;
	nl_socket_set_nonblocking(nl->ev);
	r = sd_event_add_io(e, &nl->src, nl_socket_get_fd(nl->ev), EPOLLIN,
			    on_event, nl);
	if (r < 0)
		goto fail;
	*out = nl;
	return 0;
fail:
	hsnl_close(nl);
	return r;
}

void hsnl_pause(struct hsnl *nl)
{
	if (nl && nl->src)
		sd_event_source_set_enabled(nl->src, SD_EVENT_OFF);
}

void hsnl_close(struct hsnl *nl)
{
	if (!nl)
		return;
	sd_event_source_disable_unref(nl->src);
	if (nl->ev)
		nl_socket_free(nl->ev);
	if (nl->cmd)
		nl_socket_free(nl->cmd);
	free(nl);
}
