// SPDX-License-Identifier: GPL-2.0
/*
 * monitor: one line per lifecycle event (HANDSHAKE_CMD_EVENT on group
 * "monitor") until SIGINT/SIGTERM. Also listens to nlctrl, because when the
 * module goes away the membership silently ends and we would wait forever.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/handshake.h>

#include "commands.h"
#include "format.h"
#include "json.h"

/* The kernel passes at most 5 identities (remote-auth in the spec). */
#define MAX_REMOTE_AUTH 5

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct monitor {
	const struct ctl *ctl;
	bool unloaded;
};

/* The remote-auth serials of a done event (several attributes). */
static unsigned int remote_auth(const struct nlmsghdr *nlh, int32_t *ids,
				unsigned int max)
{
	const struct nlattr *attr;
	unsigned int n = 0;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(attr) == HANDSHAKE_A_REMOTE_AUTH &&
		    mnl_attr_validate(attr, MNL_TYPE_U32) == 0 && n < max)
			ids[n++] = (int32_t)mnl_attr_get_u32(attr);
	return n;
}

static void print_event(const struct ctl *ctl, const struct nlmsghdr *nlh,
			const struct nlattr **tb)
{
	const struct nlattr *ev = tb[HANDSHAKE_A_EVENT], *st = tb[HANDSHAKE_A_STATUS];
	uint32_t event = ev && mnl_attr_validate(ev, MNL_TYPE_U32) == 0 ?
			 mnl_attr_get_u32(ev) : 0;
	uint32_t status = st && mnl_attr_validate(st, MNL_TYPE_U32) == 0 ?
			  mnl_attr_get_u32(st) : 0;
	uint64_t cookie = mnl_attr_get_u64(tb[HANDSHAKE_A_COOKIE]);
	const char *name = hs_name(HS_EVENT, event);
	char now[40], num[16], why[128], peer[80] = "";
	int32_t ids[MAX_REMOTE_AUTH];
	unsigned int n = remote_auth(nlh, ids, MAX_REMOTE_AUTH);
	size_t len = 0;

	fmt_now(now, sizeof(now));
	if (!name) {
		snprintf(num, sizeof(num), "%" PRIu32, event);
		name = num;
	}
	if (ctl->json) {
		json_object_begin(NULL);
		json_string("timestamp", now);
		json_uint("cookie", cookie);
		if (hs_name(HS_EVENT, event))
			json_string("event", name);
		else
			json_uint("event", event);
		json_uint("status", status);
		if (n) {
			json_array_begin("remote_auth");
			for (unsigned int i = 0; i < n; i++)
				json_uint(NULL, (uint32_t)ids[i]);
			json_array_end();
		}
		json_object_end();
	} else if (status) {
		fmt_status(why, sizeof(why), status);
		printf("[%s] cookie %" PRIu64 " %s: %s\n", now, cookie, name, why);
	} else {
		for (unsigned int i = 0; i < n; i++)
			len += (size_t)snprintf(peer + len, sizeof(peer) - len, "%s%" PRId32,
						i ? "," : " remote-auth ", ids[i]);
		printf("[%s] cookie %" PRIu64 " %s%s\n", now, cookie, name, peer);
	}
	fflush(stdout);	/* a pipe reader sees each event as it happens */
}

static int ctrl_event(struct monitor *m, const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];

	if (genl->cmd != CTRL_CMD_DELFAMILY)
		return MNL_CB_OK;
	hs_nl_parse(nlh, tb, CTRL_ATTR_MAX);
	if (tb[CTRL_ATTR_FAMILY_ID] &&
	    mnl_attr_validate(tb[CTRL_ATTR_FAMILY_ID], MNL_TYPE_U16) == 0 &&
	    mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]) == m->ctl->nl.family) {
		m->unloaded = true;
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[HANDSHAKE_A_MAX + 1];
	struct monitor *m = data;
	const struct genlmsghdr *genl;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*genl)))
		return MNL_CB_OK;
	if (nlh->nlmsg_type == GENL_ID_CTRL)
		return ctrl_event(m, nlh);
	genl = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_type != m->ctl->nl.family || genl->cmd != HANDSHAKE_CMD_EVENT)
		return MNL_CB_OK;
	hs_nl_parse(nlh, tb, HANDSHAKE_A_MAX);
	if (tb[HANDSHAKE_A_COOKIE] &&
	    mnl_attr_validate(tb[HANDSHAKE_A_COOKIE], MNL_TYPE_U64) == 0)
		print_event(m->ctl, nlh, tb);
	return MNL_CB_OK;
}

static int join(struct ctl *ctl, uint32_t group)
{
	return mnl_socket_setsockopt(ctl->nl.sock, NETLINK_ADD_MEMBERSHIP,
				     &group, sizeof(group));
}

int cmd_monitor(struct ctl *ctl)
{
	static char buf[HS_NL_RXBUF];
	struct monitor m = { .ctl = ctl };
	struct sigaction sa;
	sigset_t block, orig;
	struct pollfd pfd;
	ssize_t n;

	if (!ctl->nl.grp_monitor) {
		fprintf(stderr, "handshakectl: the kernel's handshake family has no \"monitor\" group\n");
		return 1;
	}
	if (join(ctl, ctl->nl.grp_monitor) < 0)
		return ctl_fail(ctl, "monitor", errno);
	if (ctl->nl.grp_ctrl)
		join(ctl, ctl->nl.grp_ctrl);	/* best effort: only for the unload */

	/*
	 * The signals stay blocked except inside ppoll(), so one that comes
	 * between the test of stop and the wait is not lost: ppoll() returns
	 * EINTR at once. The receive only runs when there is something to read.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pfd.fd = mnl_socket_get_fd(ctl->nl.sock);
	pfd.events = POLLIN;

	while (!stop && !m.unloaded) {
		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			return ctl_fail(ctl, "monitor", errno);
		}
		n = mnl_socket_recvfrom(ctl->nl.sock, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && errno == ENOBUFS) {
			/* We were too slow; say so rather than pretend. */
			fprintf(stderr, "handshakectl: events were lost (receive queue full)\n");
			continue;
		}
		if (n < 0)
			return ctl_fail(ctl, "monitor", errno);
		/* Notifications carry sequence 0 and port 0: no checks. */
		if (mnl_cb_run(buf, n, 0, 0, event_cb, &m) == MNL_CB_ERROR)
			return ctl_fail(ctl, "monitor", errno ? errno : EPROTO);
	}
	if (m.unloaded) {
		fprintf(stderr, "handshakectl: the handshake module was unloaded\n");
		return 1;
	}
	return 0;
}
