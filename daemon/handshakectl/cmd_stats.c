// SPDX-License-Identifier: GPL-2.0
/* stats: the network namespace's counters (HANDSHAKE_CMD_STATS). */
#include <inttypes.h>
#include <stdio.h>

#include <linux/handshake.h>

#include "commands.h"
#include "json.h"

static const struct {
	int type;
	enum mnl_attr_data_type kind;
	const char *text;
	const char *json;
} counters[] = {
	{ HANDSHAKE_A_STATS_SUBMITTED, MNL_TYPE_U64, "submitted", "submitted" },
	{ HANDSHAKE_A_STATS_ACCEPTED, MNL_TYPE_U64, "accepted", "accepted" },
	{ HANDSHAKE_A_STATS_SUCCEEDED, MNL_TYPE_U64, "succeeded", "succeeded" },
	{ HANDSHAKE_A_STATS_FAILED, MNL_TYPE_U64, "failed", "failed" },
	{ HANDSHAKE_A_STATS_TIMED_OUT, MNL_TYPE_U64, "timed out", "timed_out" },
	{ HANDSHAKE_A_STATS_CANCELLED, MNL_TYPE_U64, "cancelled", "cancelled" },
	{ HANDSHAKE_A_STATS_CLAIMANT_LOST, MNL_TYPE_U64, "claimant lost", "claimant_lost" },
	{ HANDSHAKE_A_STATS_PENDING, MNL_TYPE_U32, "pending", "pending" },
	{ HANDSHAKE_A_STATS_PENDING_LIMIT, MNL_TYPE_U32, "pending limit", "pending_limit" },
};

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[HANDSHAKE_A_MAX + 1];
	const struct nlattr *st[HANDSHAKE_A_STATS_MAX + 1];
	const struct ctl *ctl = data;
	size_t i;

	hs_nl_parse(nlh, tb, HANDSHAKE_A_MAX);
	if (!tb[HANDSHAKE_A_STATS] ||
	    mnl_attr_validate(tb[HANDSHAKE_A_STATS], MNL_TYPE_NESTED) < 0)
		return MNL_CB_OK;
	hs_nl_parse_nested(tb[HANDSHAKE_A_STATS], st, HANDSHAKE_A_STATS_MAX);

	if (ctl->json)
		json_object_begin(NULL);
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		const struct nlattr *a = st[counters[i].type];
		uint64_t v;

		/* A counter the kernel leaves out is omitted, not shown as 0. */
		if (!a || mnl_attr_validate(a, counters[i].kind) < 0)
			continue;
		v = counters[i].kind == MNL_TYPE_U64 ? mnl_attr_get_u64(a) :
						       mnl_attr_get_u32(a);
		if (ctl->json)
			json_uint(counters[i].json, v);
		else
			printf("%s: %" PRIu64 "\n", counters[i].text, v);
	}
	if (ctl->json)
		json_object_end();
	return MNL_CB_OK;
}

int cmd_stats(struct ctl *ctl)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	nlh = hs_nl_request(&ctl->nl, buf, HANDSHAKE_CMD_STATS, 0);
	ret = hs_nl_talk(&ctl->nl, nlh, stats_cb, ctl);
	return ret < 0 ? ctl_fail(ctl, "stats", -ret) : 0;
}
