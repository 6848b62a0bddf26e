/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef HANDSHAKED_SESSION_H
#define HANDSHAKED_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

struct session;

struct agent {
	sd_event *event;
	struct hsnl *nl;
	struct tls_creds *creds;
	struct session *sessions;	/* in flight */
	unsigned int active;
	bool draining;			/* stopping: exit when active is 0 */
	unsigned long long done, failed;	/* finished: all, and not 0 */
	sd_event_source *status_timer;	/* a STATUS= update is due */
	uint64_t status_usec;		/* when the last one was sent */
};

/* A request event (or a pending request found on resync): serve it. */
void session_request(uint64_t cookie, void *agent);

/*
 * Tell the service manager (sd_notify STATUS=) how many handshakes are in
 * flight and done. sessions_status() sends it now; the counts change it at
 * most once a second after that.
 */
void sessions_status(struct agent *a);

/* Shutdown: drop every handshake; the kernel fails them (claimant lost). */
void sessions_abandon(struct agent *a);

#endif
