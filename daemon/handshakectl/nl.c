// SPDX-License-Identifier: GPL-2.0
/*
 * Talking to the kernel: socket setup, family resolution through nlctrl,
 * request/reply loops and the kernel's error messages (extack).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <linux/genetlink.h>
#include <linux/handshake.h>
#include <linux/netlink.h>

#include "nl.h"

static char rxbuf[HS_NL_RXBUF];

struct talk {
	struct hs_nl *nl;
	mnl_cb_t cb;
	void *data;
	int err;		/* positive errno, 0 while all is well */
};

/* The extack TLVs follow the error code (and the echoed request, unless
 * the kernel capped it: we ask for NETLINK_CAP_ACK, older kernels may not). */
static int extack_attr(const struct nlattr *attr, void *data)
{
	struct hs_nl *nl = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
		strncpy(nl->extack, mnl_attr_get_str(attr), sizeof(nl->extack) - 1);
		nl->extack[sizeof(nl->extack) - 1] = '\0';
	}
	return MNL_CB_OK;
}

static int on_error(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		t->err = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    mnl_nlmsg_size(off) <= nlh->nlmsg_len)
		mnl_attr_parse(nlh, off, extack_attr, t->nl);

	if (e->error == 0)
		return MNL_CB_STOP;	/* the ack of a do request */
	t->err = -e->error;
	return MNL_CB_ERROR;
}

/* A dump's end carries the dump's own error code, which libmnl ignores. */
static int on_done(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int err = 0;

	if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(err)))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    mnl_nlmsg_size(sizeof(err)) <= nlh->nlmsg_len)
		mnl_attr_parse(nlh, sizeof(err), extack_attr, t->nl);
	if (err >= 0)
		return MNL_CB_STOP;
	t->err = -err;
	return MNL_CB_ERROR;
}

static int on_data(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int ret = t->cb ? t->cb(nlh, t->data) : MNL_CB_OK;

	if (ret == MNL_CB_ERROR && !t->err)
		t->err = errno ? errno : EPROTO;
	return ret;
}

int hs_nl_talk(struct hs_nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = on_error,
		[NLMSG_DONE] = on_done,
	};
	struct talk t = { .nl = nl, .cb = cb, .data = data };
	ssize_t n;
	int ret;

	nl->extack[0] = '\0';
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl->sock, rxbuf, sizeof(rxbuf));
		if (n < 0)
			return -errno;
		errno = 0;
		ret = mnl_cb_run2(rxbuf, n, req->nlmsg_seq, nl->portid,
				  on_data, &t, ctl, MNL_ARRAY_SIZE(ctl));
		if (ret == MNL_CB_ERROR)
			return -(t.err ? t.err : errno ? errno : EPROTO);
	} while (ret != MNL_CB_STOP);
	return 0;
}

static struct nlmsghdr *put_request(struct hs_nl *nl, void *buf, uint16_t type,
				    uint8_t cmd, uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	/*
	 * libmnl before 1.0.5 leaves an attribute's alignment padding as it
	 * was ("handshake\0" is 10 bytes, padded to 12): zero the whole
	 * buffer so no stack bytes go to the kernel.
	 */
	memset(buf, 0, MNL_SOCKET_BUFFER_SIZE);
	nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	/* Always ask for an ack: it is what ends the wait for a do reply. */
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

struct nlmsghdr *hs_nl_request(struct hs_nl *nl, void *buf, uint8_t cmd,
			       uint16_t flags)
{
	return put_request(nl, buf, nl->family, cmd, HANDSHAKE_FAMILY_VERSION,
			   flags);
}

struct table {
	const struct nlattr **tb;
	int max;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	struct table *t = data;
	int type = mnl_attr_get_type(attr);

	/* Attributes newer than this tool are skipped, not an error. */
	if (type > 0 && type <= t->max)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

int hs_nl_parse(const struct nlmsghdr *nlh, const struct nlattr **tb, int max)
{
	struct table t = { tb, max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), attr_cb, &t);
}

int hs_nl_parse_nested(const struct nlattr *nest, const struct nlattr **tb,
		       int max)
{
	struct table t = { tb, max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	return mnl_attr_parse_nested(nest, attr_cb, &t);
}

struct family {
	const char *name;
	uint16_t id;
	uint32_t version;
	const char *group;	/* the one multicast group we care about */
	uint32_t group_id;
};

static int family_group(const struct nlattr *nest, struct family *f)
{
	const struct nlattr *tb[CTRL_ATTR_MCAST_GRP_MAX + 1];

	hs_nl_parse_nested(nest, tb, CTRL_ATTR_MCAST_GRP_MAX);
	if (tb[CTRL_ATTR_MCAST_GRP_NAME] && tb[CTRL_ATTR_MCAST_GRP_ID] &&
	    mnl_attr_validate(tb[CTRL_ATTR_MCAST_GRP_NAME], MNL_TYPE_NUL_STRING) == 0 &&
	    mnl_attr_validate(tb[CTRL_ATTR_MCAST_GRP_ID], MNL_TYPE_U32) == 0 &&
	    strcmp(mnl_attr_get_str(tb[CTRL_ATTR_MCAST_GRP_NAME]), f->group) == 0)
		f->group_id = mnl_attr_get_u32(tb[CTRL_ATTR_MCAST_GRP_ID]);
	return 0;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1], *grp;
	struct family *f = data;

	hs_nl_parse(nlh, tb, CTRL_ATTR_MAX);
	if (!tb[CTRL_ATTR_FAMILY_ID] ||
	    mnl_attr_validate(tb[CTRL_ATTR_FAMILY_ID], MNL_TYPE_U16) < 0) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	f->id = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_VERSION] &&
	    mnl_attr_validate(tb[CTRL_ATTR_VERSION], MNL_TYPE_U32) == 0)
		f->version = mnl_attr_get_u32(tb[CTRL_ATTR_VERSION]);
	if (tb[CTRL_ATTR_MCAST_GROUPS])
		mnl_attr_for_each_nested(grp, tb[CTRL_ATTR_MCAST_GROUPS])
			family_group(grp, f);
	return MNL_CB_OK;
}

static int resolve(struct hs_nl *nl, struct family *f)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = put_request(nl, buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, f->name);
	return hs_nl_talk(nl, nlh, family_cb, f);
}

int hs_nl_open(struct hs_nl *nl)
{
	struct family hs = { .name = HANDSHAKE_FAMILY_NAME,
			     .group = HANDSHAKE_MCGRP_MONITOR };
	struct family ctrl = { .name = "nlctrl", .group = "notify" };
	int on = 1, ret;

	memset(nl, 0, sizeof(*nl));
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock)
		return -errno;
	/* Ask for the kernel's error messages, without our request echoed. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &on, sizeof(on));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &on, sizeof(on));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);

	ret = resolve(nl, &hs);
	if (ret < 0)
		return ret;
	nl->family = hs.id;
	nl->version = hs.version;
	nl->grp_monitor = hs.group_id;
	/* Mainline's net/handshake has the same name and speaks version 1. */
	if (hs.version != HANDSHAKE_FAMILY_VERSION)
		return -EPROTO;
	if (resolve(nl, &ctrl) == 0)
		nl->grp_ctrl = ctrl.group_id;
	return 0;
}

void hs_nl_close(struct hs_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}
