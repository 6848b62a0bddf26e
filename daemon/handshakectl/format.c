// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <linux/handshake.h>

#include "format.h"

/* Spelled as in specs/handshake.yaml, so text, JSON and spec agree. */
static const char *const class_names[] = {
	[HANDSHAKE_CLASS_NONE] = "none",
	[HANDSHAKE_CLASS_TLS] = "tls",
};
static const char *const role_names[] = {
	[HANDSHAKE_ROLE_CLIENT] = "client",
	[HANDSHAKE_ROLE_SERVER] = "server",
};
static const char *const auth_names[] = {
	[HANDSHAKE_AUTH_UNAUTH] = "unauth",
	[HANDSHAKE_AUTH_PSK] = "psk",
	[HANDSHAKE_AUTH_X509] = "x509",
};
static const char *const state_names[] = {
	[HANDSHAKE_STATE_PENDING] = "pending",
	[HANDSHAKE_STATE_CLAIMED] = "claimed",
};
static const char *const event_names[] = {
	[HANDSHAKE_EVENT_SUBMITTED] = "submitted",
	[HANDSHAKE_EVENT_ACCEPTED] = "accepted",
	[HANDSHAKE_EVENT_DONE] = "done",
	[HANDSHAKE_EVENT_FAILED] = "failed",
	[HANDSHAKE_EVENT_TIMED_OUT] = "timed-out",
	[HANDSHAKE_EVENT_CANCELLED] = "cancelled",
	[HANDSHAKE_EVENT_CLAIMANT_LOST] = "claimant-lost",
};

#define TABLE(t) { t, sizeof(t) / sizeof(t[0]) }
static const struct {
	const char *const *names;
	size_t n;
} tables[] = {
	[HS_CLASS] = TABLE(class_names),
	[HS_ROLE] = TABLE(role_names),
	[HS_AUTH] = TABLE(auth_names),
	[HS_STATE] = TABLE(state_names),
	[HS_EVENT] = TABLE(event_names),
};

const char *hs_name(enum hs_enum which, uint32_t value)
{
	return value < tables[which].n ? tables[which].names[value] : NULL;
}

void fmt_duration(char *buf, size_t len, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (ms < 1000)
		snprintf(buf, len, "%llums", (unsigned long long)ms);
	else if (s < 60)
		snprintf(buf, len, "%llu.%llus", (unsigned long long)s,
			 (unsigned long long)(ms % 1000 / 100));
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else
		snprintf(buf, len, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s / 60 % 60));
}

int fmt_sockaddr(const void *sa, size_t salen, char *addr, size_t len,
		 uint16_t *port)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	sa_family_t family;
	char ifname[IF_NAMESIZE];

	/* Copies: the attribute payload is only 4-byte aligned. */
	if (salen < sizeof(family))
		return -1;
	memcpy(&family, sa, sizeof(family));
	if (family == AF_INET && salen >= sizeof(sin)) {
		memcpy(&sin, sa, sizeof(sin));
		inet_ntop(AF_INET, &sin.sin_addr, addr, len);
		*port = ntohs(sin.sin_port);
		return 0;
	}
	if (family == AF_INET6 && salen >= sizeof(sin6)) {
		memcpy(&sin6, sa, sizeof(sin6));
		inet_ntop(AF_INET6, &sin6.sin6_addr, addr, len);
		if (sin6.sin6_scope_id && if_indextoname(sin6.sin6_scope_id, ifname)) {
			size_t used = strlen(addr);

			snprintf(addr + used, len - used, "%%%s", ifname);
		}
		*port = ntohs(sin6.sin6_port);
		return 0;
	}
	return -1;
}

void fmt_endpoint(const void *sa, size_t salen, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	uint16_t port;
	int v6;

	if (fmt_sockaddr(sa, salen, addr, sizeof(addr), &port) < 0) {
		snprintf(buf, len, "?");
		return;
	}
	v6 = strchr(addr, ':') != NULL;
	snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", addr, port);
}

void fmt_now(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	char date[32], zone[8];

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	/* RFC 3339 wants the zone as +hh:mm; strftime gives +hhmm. */
	snprintf(buf, len, "%s.%03ld%.3s:%.2s", date, (long)(tv.tv_usec / 1000),
		 zone, zone + 3);
}

void fmt_status(char *buf, size_t len, uint32_t status)
{
	const char *name = status < 4096 ? strerrorname_np((int)status) : NULL;

	if (name)
		snprintf(buf, len, "%s (%s)", name, strerror((int)status));
	else
		snprintf(buf, len, "%u", status);
}

void fmt_escape(char *buf, size_t len, const char *s)
{
	size_t used = 0;

	if (!len)
		return;
	/*
	 * Control bytes could move the cursor or restyle the terminal. The
	 * backslash is escaped as well, so that every backslash printed starts
	 * an escape and the name can be read back exactly.
	 */
	for (; *s; s++) {
		unsigned char c = *s;
		bool escape = c < 0x20 || c == 0x7f || c == '\\';
		size_t need = escape ? 4 : 1;

		if (used + need >= len)
			break;
		if (escape)
			snprintf(buf + used, len - used, "\\x%02x", c);
		else
			buf[used] = (char)c;
		used += need;
	}
	buf[used] = '\0';
}
