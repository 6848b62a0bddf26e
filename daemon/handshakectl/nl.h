/* SPDX-License-Identifier: GPL-2.0 */
/* The netlink session: one libmnl socket talking to the handshake family. */
#ifndef HANDSHAKECTL_NL_H
#define HANDSHAKECTL_NL_H

#include <stdint.h>
#include <libmnl/libmnl.h>

/*
 * Receive buffer: the kernel fills dump messages up to 32 KiB when the
 * reader's buffer allows (libmnl 1.0.5 calls this MNL_SOCKET_DUMP_SIZE;
 * Debian 12 has 1.0.4).
 */
#define HS_NL_RXBUF 32768

struct hs_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;	/* handshake family id */
	uint32_t version;	/* its protocol version */
	uint32_t grp_monitor;	/* "monitor" group id, 0 if absent */
	uint32_t grp_ctrl;	/* nlctrl's "notify" group id, 0 if absent */
	char extack[256];	/* the kernel's message for the last error */
};

/*
 * Opens the socket and resolves the family. Returns 0, or a negative errno:
 * -ENOENT when the kernel has no handshake family, -EPROTO when the family
 * speaks another protocol version (see nl->version).
 */
int hs_nl_open(struct hs_nl *nl);
void hs_nl_close(struct hs_nl *nl);

/* Starts a request of the handshake family in buf (MNL_SOCKET_BUFFER_SIZE). */
struct nlmsghdr *hs_nl_request(struct hs_nl *nl, void *buf, uint8_t cmd,
			       uint16_t flags);

/*
 * Sends req and feeds every reply message to cb until the kernel's ack or
 * the end of the dump. Returns 0 or a negative errno; on a kernel error its
 * extack message, if any, is in nl->extack.
 */
int hs_nl_talk(struct hs_nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data);

/* Attributes of a generic netlink message, indexed by type, up to max. */
int hs_nl_parse(const struct nlmsghdr *nlh, const struct nlattr **tb, int max);
int hs_nl_parse_nested(const struct nlattr *nest, const struct nlattr **tb,
		       int max);

#endif
