/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef HANDSHAKED_WORKERS_H
#define HANDSHAKED_WORKERS_H

#include <stdbool.h>

#include "config.h"
#include "session.h"

/* The command line, for reloads. */
struct opts {
	const char *path;
	bool explicit_path;
	int verbose;			/* -v: 1 (debug), -vv: 2 (trace) */
};

/*
 * Read the configuration and credentials again into @a (SIGHUP). A bad
 * file changes nothing. Returns whether it was reloaded.
 */
bool agent_reload(struct agent *a, const struct opts *o);

/*
 * Serve requests in this process until SIGTERM/SIGINT or, with
 * exit-idle-timeout, until idle that long. @a has its credentials;
 * @event_fd is a passed netlink socket or -1. Returns an exit status.
 */
int serve(const struct opts *o, const struct config *cfg, struct agent *a, int event_fd);

/*
 * workers > 1: fork cfg->workers processes that each serve(), restart the
 * ones that die, forward SIGTERM/SIGINT/SIGHUP, and speak for them to the
 * service manager. Returns an exit status.
 */
int supervise(const struct opts *o, const struct config *cfg, struct agent *a, int event_fd);

#endif
