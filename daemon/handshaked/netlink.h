/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef HANDSHAKED_NETLINK_H
#define HANDSHAKED_NETLINK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <netlink/msg.h>
#include <systemd/sd-event.h>

#include "ktls.h"

#define HSNL_MAX_PEER_IDS 16

/* What an accept reply hands over. */
struct hsnl_accept {
	uint64_t cookie;
	int fd;				/* -1: none */
	uint32_t role, auth, timeout_ms;
	bool has_timeout;
	char *peername;			/* NULL: none */
	int32_t keyring;
	int32_t x509_cert, x509_privkey;	/* 0: none */
	int32_t peer_ids[HSNL_MAX_PEER_IDS];
	unsigned int n_peer_ids;
	struct sockaddr_storage local, peer;
	bool has_local, has_peer;
	bool malformed;			/* e.g. a second sockfd (closed) */
};

struct hsnl;

/*
 * Called for each request event (and each pending request on resync).
 * Cookie 0: the kernel speaks mainline's protocol, where requests have no
 * cookie: accept with cookie 0 until it says -ENOENT.
 */
typedef void (*hsnl_request_fn)(uint64_t cookie, void *userdata);

/*
 * Resolve the family and the "tls" group, join it on an event socket
 * (@event_fd >= 0: adopt that one, e.g. from socket activation) and watch
 * it on @e. Returns 0 or a negative errno (-ENOENT: no such family, the
 * module is not loaded).
 */
int hsnl_open(sd_event *e, int event_fd, hsnl_request_fn fn, void *userdata,
	      struct hsnl **out);
void hsnl_close(struct hsnl *nl);

/*
 * Stop reading the event socket: claim no new request. Requests announced
 * meanwhile wait in the socket's queue (a passed socket outlives us) or
 * pending in the kernel, for the next agent.
 */
void hsnl_pause(struct hsnl *nl);

/* Ask the kernel for the pending requests and offer each to the callback. */
int hsnl_resync(struct hsnl *nl);

/*
 * Claim a request (mainline's protocol: the oldest pending one, and
 * @cookie is ignored; acc->cookie is then its socket's SO_COOKIE). 0,
 * -ENOENT (not pending any more, or none) or a negative errno.
 */
int hsnl_accept(struct hsnl *nl, uint64_t cookie, struct hsnl_accept *acc);
void hsnl_accept_clear(struct hsnl_accept *acc);

/*
 * Whether the agent installs kTLS on the socket before a successful done
 * (mainline's protocol), rather than the kernel from the done's keys.
 */
bool hsnl_agent_installs(const struct hsnl *nl);

/*
 * Report the result of the request @acc claimed. @ks only with @status 0,
 * and with it the @n_peerids key serials of the identities the peer proved
 * (remote-auth). Mainline's protocol sends no keys: the agent installed
 * them (ktls_install()).
 */
int hsnl_done(struct hsnl *nl, const struct hsnl_accept *acc, uint32_t status,
	      const struct ktls_session *ks, const int32_t *peerids,
	      unsigned int n_peerids);

/* An accept reply's attributes, apart so they can be tested. */
void hsnl_parse_accept(struct nl_msg *msg, struct hsnl_accept *acc);

/* The done message body, apart so it can be tested without a kernel. */
int hsnl_put_done(struct nl_msg *msg, uint64_t cookie, uint32_t status,
		  const struct ktls_session *ks, const int32_t *peerids,
		  unsigned int n_peerids);
int hsnl_put_done_v1(struct nl_msg *msg, int fd, uint32_t status,
		     const int32_t *peerids, unsigned int n_peerids);

#endif
