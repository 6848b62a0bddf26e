/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef HANDSHAKED_PROTO_V1_H
#define HANDSHAKED_PROTO_V1_H

/*
 * Mainline Linux's generic netlink family "handshake", version 1 (Linux
 * 6.5 and later, net/handshake): the values of its published uapi header
 * and Documentation/netlink/specs/handshake.yaml. Its header has the same
 * file name and symbol names as ours, so its values live here under our
 * own prefix.
 *
 * The kernel multicasts "ready" on group "tlshd" when a request is
 * queued; the agent answers with "accept" (handler class tlshd), which
 * hands over the oldest pending request: an fd for its socket and its
 * parameters. The agent runs the handshake, installs kTLS on the socket
 * itself and reports "done" with the fd. There is no cookie, no listing,
 * no cancel and no counters.
 */

#define HSV1_FAMILY_VERSION		1
#define HSV1_MCGRP_TLSHD		"tlshd"

/* Commands */
#define HSV1_CMD_READY			1
#define HSV1_CMD_ACCEPT			2
#define HSV1_CMD_DONE			3

/* handler-class */
#define HSV1_HANDLER_CLASS_TLSHD	1

/* msg-type */
#define HSV1_MSG_TYPE_CLIENTHELLO	1
#define HSV1_MSG_TYPE_SERVERHELLO	2

/* auth */
#define HSV1_AUTH_UNAUTH		1
#define HSV1_AUTH_PSK			2
#define HSV1_AUTH_X509			3

/* accept's attributes (the reply; the request has handler-class only) */
#define HSV1_A_ACCEPT_SOCKFD		1
#define HSV1_A_ACCEPT_HANDLER_CLASS	2
#define HSV1_A_ACCEPT_MESSAGE_TYPE	3
#define HSV1_A_ACCEPT_TIMEOUT		4	/* ms */
#define HSV1_A_ACCEPT_AUTH_MODE		5
#define HSV1_A_ACCEPT_PEER_IDENTITY	6	/* multi: PSK key serials */
#define HSV1_A_ACCEPT_CERTIFICATE	7	/* nest: x509 below */
#define HSV1_A_ACCEPT_PEERNAME		8	/* string */
#define HSV1_A_ACCEPT_KEYRING		9	/* key serial, newer kernels */

/* x509, nested in certificate */
#define HSV1_A_X509_CERT		1
#define HSV1_A_X509_PRIVKEY		2

/* done's attributes */
#define HSV1_A_DONE_STATUS		1	/* 0 or a positive errno */
#define HSV1_A_DONE_SOCKFD		2
#define HSV1_A_DONE_REMOTE_AUTH		3	/* multi: key serials */

#endif
