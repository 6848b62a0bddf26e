/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef HANDSHAKED_SESSION_H
#define HANDSHAKED_SESSION_H

#include <stdint.h>

#include <systemd/sd-event.h>

struct session;

struct agent {
	sd_event *event;
	struct hsnl *nl;
	struct tls_creds *creds;
	struct session *sessions;	/* in flight */
	unsigned int active;
};

/* A request event (or a pending request found on resync): serve it. */
void session_request(uint64_t cookie, void *agent);

/* Shutdown: drop every handshake; the kernel fails them (claimant lost). */
void sessions_abandon(struct agent *a);

#endif
