/* SPDX-License-Identifier: GPL-2.0 */
/* The commands; each returns the process exit code. */
#ifndef HANDSHAKECTL_COMMANDS_H
#define HANDSHAKECTL_COMMANDS_H

#include <stdbool.h>
#include <stdint.h>

#include "nl.h"

struct ctl {
	struct hs_nl nl;
	bool json;
};

int cmd_list(struct ctl *ctl);
int cmd_show(struct ctl *ctl, uint64_t cookie);
int cmd_cancel(struct ctl *ctl, uint64_t cookie);
int cmd_stats(struct ctl *ctl);
int cmd_monitor(struct ctl *ctl);

/*
 * Reports a failed command on stderr: what failed, why (err is a positive
 * errno; EPERM means a missing capability), and the kernel's own message
 * when it sent one. Returns the exit code, 1.
 */
int ctl_fail(const struct ctl *ctl, const char *what, int err);

#endif
