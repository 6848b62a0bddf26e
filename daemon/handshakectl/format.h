/* SPDX-License-Identifier: GPL-2.0 */
/* Turning protocol values into words people and scripts read. */
#ifndef HANDSHAKECTL_FORMAT_H
#define HANDSHAKECTL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

enum hs_enum { HS_CLASS, HS_ROLE, HS_AUTH, HS_STATE, HS_EVENT };

/* The spec's name of an enum value, or NULL for a value this tool predates. */
const char *hs_name(enum hs_enum which, uint32_t value);

/* "850ms", "12.3s", "4m05s", "2h01m". */
void fmt_duration(char *buf, size_t len, uint64_t ms);

/*
 * A struct sockaddr_in/in6 from the kernel: the address alone into addr
 * ("192.0.2.1", "2001:db8::1", "fe80::1%eth0") and the port. -1 if it is
 * neither.
 */
int fmt_sockaddr(const void *sa, size_t salen, char *addr, size_t len,
		 uint16_t *port);

/* The same as "addr:port", "[addr]:port" for IPv6, like ss. */
void fmt_endpoint(const void *sa, size_t salen, char *buf, size_t len);

/* The current time, RFC 3339 with milliseconds, local zone. */
void fmt_now(char *buf, size_t len);

/* "ETIMEDOUT (Connection timed out)" for a positive errno. */
void fmt_status(char *buf, size_t len, uint32_t status);

/*
 * A string from the kernel (a consumer's peer name) for text output: each
 * byte below 0x20, 0x7f and the backslash becomes \xNN (two lowercase hex
 * digits), everything else is copied. Only whole characters are written, so
 * a string too long for buf is cut, never an escape. 4 * strlen(s) + 1
 * bytes always suffice.
 */
void fmt_escape(char *buf, size_t len, const char *s);

#endif
