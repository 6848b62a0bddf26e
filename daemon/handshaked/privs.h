/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef HANDSHAKED_PRIVS_H
#define HANDSHAKED_PRIVS_H

/*
 * Keep CAP_NET_ADMIN (accept and done need it) and nothing else: empty the
 * bounding set of everything else (when we may), clear the ambient and
 * inheritable sets, and set PR_SET_NO_NEW_PRIVS. Returns 0 or a negative
 * errno; logs what failed.
 */
int privs_drop(void);

#endif
