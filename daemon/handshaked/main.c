// SPDX-License-Identifier: GPL-2.0-only
/*
 * handshaked: the user-space TLS handshake agent for the "handshake"
 * generic netlink family (version 2). The kernel asks, we do the TLS
 * handshake with GnuTLS, the kernel installs kTLS with what we report.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "linux/handshake.h"
#include "log.h"
#include "netlink.h"
#include "privs.h"
#include "session.h"
#include "tls.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: handshaked [-c FILE] [-v] [-h]\n"
		"TLS handshake agent for the kernel's handshake upcall.\n\n"
		"  -c FILE  configuration file (default " CONFIG_DEFAULT_PATH ")\n"
		"  -v       log debug messages\n"
		"  -h       show this help\n");
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si,
		     void *userdata)
{
	(void)userdata;
	log_info("signal %d: exiting", (int)si->ssi_signo);
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

struct reload_ctx {
	struct agent *agent;
	const char *path;
	bool explicit_path, verbose;
};

/*
 * SIGHUP: read the configuration and credentials again. Handshakes in
 * flight keep the credentials they started with; a bad file changes
 * nothing.
 */
static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si,
		     void *userdata)
{
	struct reload_ctx *rc = userdata;
	struct tls_creds *creds;
	struct config cfg;
	int r;

	(void)s;
	(void)si;
	sd_notify(0, "RELOADING=1");
	config_init(&cfg);
	r = config_load(&cfg, rc->path, stderr);
	if (r == -EINVAL || (r == -ENOENT && rc->explicit_path)) {
		log_err("%s: not reloaded, keeping the old configuration", rc->path);
		goto out;
	}
	if (tls_creds_new(&cfg, &creds) < 0) {
		log_err("cannot set up TLS from %s; keeping the old configuration", rc->path);
		goto out;
	}
	tls_creds_free(rc->agent->creds);
	rc->agent->creds = creds;
	log_set_level(rc->verbose ? LOG_DEBUG : cfg.log_level);
	log_info("reloaded %s", rc->path);
out:
	config_free(&cfg);
	sd_notify(0, "READY=1");
	return 0;
}

/* Socket activation (ListenNetlink=generic): adopt the passed socket. */
static int activation_fd(void)
{
	int n = sd_listen_fds(true);

	if (n <= 0)
		return -1;
	if (n == 1 && sd_is_socket(SD_LISTEN_FDS_START, AF_NETLINK, SOCK_RAW, -1) > 0) {
		log_debug("using the passed netlink socket");
		return SD_LISTEN_FDS_START;
	}
	log_warn("ignoring %d passed file descriptors (want one netlink socket)", n);
	return -1;
}

int main(int argc, char **argv)
{
	const char *path = CONFIG_DEFAULT_PATH;
	struct agent agent = { 0 };
	struct reload_ctx reload = { .agent = &agent };
	struct config cfg;
	bool explicit_path = false, verbose = false;
	sigset_t mask;
	int opt, r, ret = EXIT_FAILURE;

	while ((opt = getopt(argc, argv, "c:vh")) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			explicit_path = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_FAILURE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return EXIT_FAILURE;
	}

	log_init();
	config_init(&cfg);
	r = config_load(&cfg, path, stderr);
	if (r == -ENOENT && explicit_path) {
		fprintf(stderr, "%s: %s\n", path, strerror(ENOENT));
		return EXIT_FAILURE;
	}
	if (r == -EINVAL)
		return EXIT_FAILURE;
	log_set_level(verbose ? LOG_DEBUG : cfg.log_level);
	if (r == -ENOENT)
		log_debug("%s: not found, using defaults", path);

	/* Credentials are read once, before any request is claimed. */
	r = tls_creds_new(&cfg, &agent.creds);
	if (r < 0) {
		log_err("cannot set up TLS: %s", strerror(-r));
		goto out;
	}

	/* Writes to a peer that went away must fail, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	r = sd_event_default(&agent.event);
	if (r >= 0)
		r = sd_event_add_signal(agent.event, NULL, SIGTERM, on_signal, NULL);
	if (r >= 0)
		r = sd_event_add_signal(agent.event, NULL, SIGINT, on_signal, NULL);
	reload.path = path;
	reload.explicit_path = explicit_path;
	reload.verbose = verbose;
	if (r >= 0)
		r = sd_event_add_signal(agent.event, NULL, SIGHUP, on_reload, &reload);
	/* WATCHDOG=1 on its own when WATCHDOG_USEC (WatchdogSec=) asks. */
	if (r >= 0)
		r = sd_event_set_watchdog(agent.event, true);
	if (r < 0) {
		log_err("event loop: %s", strerror(-r));
		goto out;
	}
	if (r > 0)
		log_debug("watchdog enabled");

	r = hsnl_open(agent.event, activation_fd(), session_request, &agent, &agent.nl);
	if (r == -ENOENT) {
		log_err("generic netlink family \"%s\" not found: the handshake module is not loaded",
			HANDSHAKE_FAMILY_NAME);
		goto out;
	}
	if (r < 0) {
		log_err("netlink: %s", strerror(-r));
		goto out;
	}
	/* Sockets open, credentials read: from here on CAP_NET_ADMIN is enough. */
	if (privs_drop() < 0)
		goto out;

	/* Requests submitted before we joined the group got no event. */
	hsnl_resync(agent.nl);

	log_info("ready");
	sd_notify(0, "READY=1");
	sessions_status(&agent);

	r = sd_event_loop(agent.event);
	sd_notify(0, "STOPPING=1");
	if (r < 0)
		log_err("event loop: %s", strerror(-r));
	else
		ret = EXIT_SUCCESS;
out:
	sessions_abandon(&agent);
	hsnl_close(agent.nl);
	tls_creds_free(agent.creds);
	sd_event_unref(agent.event);
	config_free(&cfg);
	return ret;
}
