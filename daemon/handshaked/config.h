/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef HANDSHAKED_CONFIG_H
#define HANDSHAKED_CONFIG_H

#include <stdio.h>

/* meson passes SYSCONFDIR/handshaked/handshaked.conf (--sysconfdir). */
#ifndef CONFIG_DEFAULT_PATH
#define CONFIG_DEFAULT_PATH "/etc/handshaked/handshaked.conf"
#endif

enum client_auth {
	CLIENT_AUTH_NONE,
	CLIENT_AUTH_OPTIONAL,
	CLIENT_AUTH_REQUIRED,
};

/* What peers are verified against. */
struct trust_files {
	char *ca_file;			/* NULL: system trust */
	char *crl_file;			/* NULL: no revocation list */
};

struct config {
	int log_level;			/* syslog priority */
	struct trust_files trust;	/* [tls] */
	/* [client], [server]: each file set replaces [tls]'s for that role */
	struct trust_files client_trust, server_trust;
	unsigned int min_version;	/* 0x303 or 0x304 */
	char *priority;			/* NULL: built-in */
	char *keyrings;			/* [tls] keyrings: names, as written */
	char *client_cert, *client_key;
	char *server_cert, *server_key;
	enum client_auth client_auth;
	unsigned int workers;		/* worker processes; 1: no fork */
	unsigned int exit_idle_sec;	/* 0: never exit when idle */
};

#define CONFIG_MAX_WORKERS 64

void config_init(struct config *cfg);
void config_free(struct config *cfg);

/*
 * Parse @path into @cfg (which config_init() prepared). Returns 0, -ENOENT
 * if the file does not exist (nothing printed: the caller decides whether
 * that is an error), or -EINVAL after printing "FILE:LINE: message" lines
 * on @err.
 */
int config_load(struct config *cfg, const char *path, FILE *err);

#endif
