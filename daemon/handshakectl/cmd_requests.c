// SPDX-License-Identifier: GPL-2.0
/* list, show and cancel: the requests the kernel holds. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <net/if.h>
#include <stdio.h>

#include <linux/handshake.h>

#include "commands.h"
#include "format.h"
#include "json.h"

struct show {
	struct ctl *ctl;
	bool detail;		/* show: one request in full; list: a row */
	unsigned int count;
};

static const struct nlattr *u32_attr(const struct nlattr **tb, int type)
{
	return tb[type] && mnl_attr_validate(tb[type], MNL_TYPE_U32) == 0 ?
	       tb[type] : NULL;
}

/* Enum attributes print by name; a value newer than this tool as a number. */
static void json_enum(const struct nlattr **tb, int type, const char *key,
		      enum hs_enum which)
{
	const struct nlattr *a = u32_attr(tb, type);
	const char *name;

	if (!a)
		return;
	name = hs_name(which, mnl_attr_get_u32(a));
	if (name)
		json_string(key, name);
	else
		json_uint(key, mnl_attr_get_u32(a));
}

static void json_u32(const struct nlattr **tb, int type, const char *key)
{
	if (u32_attr(tb, type))
		json_uint(key, mnl_attr_get_u32(tb[type]));
}

static void json_addr(const struct nlattr **tb, int type, const char *key_addr,
		      const char *key_port)
{
	char addr[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	uint16_t port;

	if (tb[type] && fmt_sockaddr(mnl_attr_get_payload(tb[type]),
				     mnl_attr_get_payload_len(tb[type]),
				     addr, sizeof(addr), &port) == 0) {
		json_string(key_addr, addr);
		json_uint(key_port, port);
	}
}

static void print_json(const struct nlattr **tb, uint64_t cookie)
{
	json_object_begin(NULL);
	json_uint("cookie", cookie);
	json_enum(tb, HANDSHAKE_A_CLASS, "class", HS_CLASS);
	json_enum(tb, HANDSHAKE_A_STATE, "state", HS_STATE);
	json_enum(tb, HANDSHAKE_A_ROLE, "role", HS_ROLE);
	json_enum(tb, HANDSHAKE_A_AUTH, "auth", HS_AUTH);
	json_addr(tb, HANDSHAKE_A_LOCAL_ADDR, "local_addr", "local_port");
	json_addr(tb, HANDSHAKE_A_PEER_ADDR, "peer_addr", "peer_port");
	if (tb[HANDSHAKE_A_PEERNAME] &&
	    mnl_attr_validate(tb[HANDSHAKE_A_PEERNAME], MNL_TYPE_NUL_STRING) == 0)
		json_string("peername", mnl_attr_get_str(tb[HANDSHAKE_A_PEERNAME]));
	json_u32(tb, HANDSHAKE_A_AGE_MS, "age_ms");
	json_u32(tb, HANDSHAKE_A_TIMEOUT_MS, "timeout_ms");
	json_u32(tb, HANDSHAKE_A_CLAIMANT_PID, "claimant_pid");
	json_object_end();
}

/* The spec's max-len of peername, in bytes. */
#define PEERNAME_MAX 255

/* The text forms of one request's fields; "-" for an absent one. */
struct fields {
	char class[16], state[16], role[16], auth[16];
	char local[80], peer[80], age[16], left[16], pid[16];
	char peername[4 * PEERNAME_MAX + 1];	/* escaped: fmt_escape() */
};

static void text_enum(const struct nlattr **tb, int type, enum hs_enum which,
		      char *buf, size_t len)
{
	const struct nlattr *a = u32_attr(tb, type);
	const char *name = a ? hs_name(which, mnl_attr_get_u32(a)) : "-";

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%" PRIu32, mnl_attr_get_u32(a));
}

static void text_fields(const struct nlattr **tb, struct fields *f)
{
	const struct nlattr *a;

	text_enum(tb, HANDSHAKE_A_CLASS, HS_CLASS, f->class, sizeof(f->class));
	text_enum(tb, HANDSHAKE_A_STATE, HS_STATE, f->state, sizeof(f->state));
	text_enum(tb, HANDSHAKE_A_ROLE, HS_ROLE, f->role, sizeof(f->role));
	text_enum(tb, HANDSHAKE_A_AUTH, HS_AUTH, f->auth, sizeof(f->auth));
	snprintf(f->local, sizeof(f->local), "-");
	snprintf(f->peer, sizeof(f->peer), "-");
	if (tb[HANDSHAKE_A_LOCAL_ADDR])
		fmt_endpoint(mnl_attr_get_payload(tb[HANDSHAKE_A_LOCAL_ADDR]),
			     mnl_attr_get_payload_len(tb[HANDSHAKE_A_LOCAL_ADDR]),
			     f->local, sizeof(f->local));
	if (tb[HANDSHAKE_A_PEER_ADDR])
		fmt_endpoint(mnl_attr_get_payload(tb[HANDSHAKE_A_PEER_ADDR]),
			     mnl_attr_get_payload_len(tb[HANDSHAKE_A_PEER_ADDR]),
			     f->peer, sizeof(f->peer));
	snprintf(f->age, sizeof(f->age), "-");
	if ((a = u32_attr(tb, HANDSHAKE_A_AGE_MS)))
		fmt_duration(f->age, sizeof(f->age), mnl_attr_get_u32(a));
	snprintf(f->left, sizeof(f->left), "-");
	if ((a = u32_attr(tb, HANDSHAKE_A_TIMEOUT_MS)))
		fmt_duration(f->left, sizeof(f->left), mnl_attr_get_u32(a));
	snprintf(f->pid, sizeof(f->pid), "-");
	if ((a = u32_attr(tb, HANDSHAKE_A_CLAIMANT_PID)))
		snprintf(f->pid, sizeof(f->pid), "%" PRIu32, mnl_attr_get_u32(a));
	snprintf(f->peername, sizeof(f->peername), "-");
	a = tb[HANDSHAKE_A_PEERNAME];
	if (a && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 &&
	    *mnl_attr_get_str(a))
		fmt_escape(f->peername, sizeof(f->peername), mnl_attr_get_str(a));
}

#define ROW "%-10s %-8s %-7s %-7s %-40s %-20s %8s %8s %s\n"

static void print_row(const struct nlattr **tb, uint64_t cookie)
{
	struct fields f;
	char id[24];

	text_fields(tb, &f);
	snprintf(id, sizeof(id), "%" PRIu64, cookie);
	printf(ROW, id, f.state, f.role, f.auth, f.peer, f.peername, f.age,
	       f.left, f.pid);
}

/* wg-style: the request, then its fields indented, one per line. */
static void print_detail(const struct nlattr **tb, uint64_t cookie)
{
	struct fields f;

	text_fields(tb, &f);
	printf("request %" PRIu64 "\n", cookie);
	printf("  state: %s\n", f.state);
	printf("  class: %s\n", f.class);
	printf("  role: %s\n", f.role);
	printf("  auth: %s\n", f.auth);
	printf("  peer: %s\n", f.peer);
	printf("  local: %s\n", f.local);
	printf("  peername: %s\n", f.peername);
	printf("  age: %s\n", f.age);
	printf("  time left: %s\n", f.left);
	printf("  claimant pid: %s\n", f.pid);
}

static int request_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[HANDSHAKE_A_MAX + 1];
	struct show *s = data;
	uint64_t cookie;

	hs_nl_parse(nlh, tb, HANDSHAKE_A_MAX);
	/* A request without its key is useless to print. */
	if (!tb[HANDSHAKE_A_COOKIE] ||
	    mnl_attr_validate(tb[HANDSHAKE_A_COOKIE], MNL_TYPE_U64) < 0)
		return MNL_CB_OK;
	cookie = mnl_attr_get_u64(tb[HANDSHAKE_A_COOKIE]);
	s->count++;
	if (s->ctl->json)
		print_json(tb, cookie);
	else if (s->detail)
		print_detail(tb, cookie);
	else
		print_row(tb, cookie);
	return MNL_CB_OK;
}

int cmd_list(struct ctl *ctl)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct show s = { .ctl = ctl };
	struct nlmsghdr *nlh;
	int ret;

	nlh = hs_nl_request(&ctl->nl, buf, HANDSHAKE_CMD_GET, NLM_F_DUMP);
	if (ctl->json)
		json_array_begin(NULL);
	else
		printf(ROW, "Cookie", "State", "Role", "Auth", "Peer",
		       "Peername", "Age", "Left", "Pid");
	ret = hs_nl_talk(&ctl->nl, nlh, request_cb, &s);
	if (ctl->json)
		json_array_end();	/* valid JSON even when it failed */
	return ret < 0 ? ctl_fail(ctl, "list", -ret) : 0;
}

int cmd_show(struct ctl *ctl, uint64_t cookie)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct show s = { .ctl = ctl, .detail = true };
	struct nlmsghdr *nlh;
	int ret;

	nlh = hs_nl_request(&ctl->nl, buf, HANDSHAKE_CMD_GET, 0);
	mnl_attr_put_u64(nlh, HANDSHAKE_A_COOKIE, cookie);
	ret = hs_nl_talk(&ctl->nl, nlh, request_cb, &s);
	if (ret == -ENOENT || (ret == 0 && s.count == 0)) {
		fprintf(stderr, "handshakectl: no request with cookie %" PRIu64 "\n",
			cookie);
		return 1;
	}
	return ret < 0 ? ctl_fail(ctl, "show", -ret) : 0;
}

int cmd_cancel(struct ctl *ctl, uint64_t cookie)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	nlh = hs_nl_request(&ctl->nl, buf, HANDSHAKE_CMD_CANCEL, 0);
	mnl_attr_put_u64(nlh, HANDSHAKE_A_COOKIE, cookie);
	ret = hs_nl_talk(&ctl->nl, nlh, NULL, NULL);
	if (ret == -ENOENT) {
		fprintf(stderr, "handshakectl: no request with cookie %" PRIu64 "\n",
			cookie);
		return 1;
	}
	return ret < 0 ? ctl_fail(ctl, "cancel", -ret) : 0;
}
