// SPDX-License-Identifier: GPL-2.0-only
/*
 * handshaked: the user-space TLS handshake agent for the "handshake"
 * generic netlink family (version 2). The kernel asks, we do the TLS
 * handshake with GnuTLS, the kernel installs kTLS with what we report.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "linux/handshake.h"
#include "log.h"
#include "netlink.h"
#include "privs.h"
#include "session.h"
#include "tls.h"
#include "workers.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: handshaked [-c FILE] [-v]\n"
		"       handshaked -V|--version\n"
		"TLS handshake agent for the kernel's handshake upcall.\n\n"
		"  -c, --config FILE  configuration file (default " CONFIG_DEFAULT_PATH ")\n"
		"  -v, --verbose      log debug messages; twice, GnuTLS's own too\n"
		"  -V, --version      print the version and exit\n"
		"  -h, --help         show this help\n");
}

/* SIGTERM, SIGINT: finish what is in flight, for at most this long. */
#define DRAIN_LIMIT_USEC (10 * 1000000ULL)

static int on_drain_limit(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct agent *a = userdata;

	(void)usec;
	log_warn("%u handshakes still in flight after %llu s: exiting", a->active,
		 DRAIN_LIMIT_USEC / 1000000);
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

/*
 * SIGTERM, SIGINT: claim no more requests (they wait for the next agent),
 * let those in flight finish, then exit. At once when nothing is in
 * flight, on a second signal, or after DRAIN_LIMIT_USEC.
 */
static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si,
		     void *userdata)
{
	struct agent *a = userdata;
	sd_event *e = sd_event_source_get_event(s);
	int r;

	if (!a->active || a->draining) {
		log_info("signal %d: exiting", (int)si->ssi_signo);
		return sd_event_exit(e, 0);
	}
	log_info("signal %d: claiming no more requests, finishing %u in flight",
		 (int)si->ssi_signo, a->active);
	a->draining = true;
	hsnl_pause(a->nl);
	sd_notify(0, "STOPPING=1");
	r = sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, DRAIN_LIMIT_USEC, 0,
				       on_drain_limit, a);
	return r < 0 ? sd_event_exit(e, 0) : 0;
}

struct serve_ctx {
	struct agent *agent;
	const struct opts *opts;
	uint64_t idle_limit, idle_since;	/* usec */
	unsigned long long idle_done;		/* a->done when last looked */
};

/* -v means debug, -vv trace; without, the configuration says. */
static int verbose_level(const struct opts *o, const struct config *cfg)
{
	if (!o->verbose)
		return cfg->log_level;
	return o->verbose > 1 ? LOG_TRACE : LOG_DEBUG;
}

/*
 * SIGHUP: read the configuration and credentials again. Handshakes in
 * flight keep the credentials they started with; a bad file changes
 * nothing.
 */
bool agent_reload(struct agent *a, const struct opts *o)
{
	struct tls_creds *creds;
	struct config cfg;
	bool ok = false;
	int r;

	config_init(&cfg);
	r = config_load(&cfg, o->path, stderr);
	if (r == -EINVAL || (r == -ENOENT && o->explicit_path)) {
		log_err("%s: not reloaded, keeping the old configuration", o->path);
		goto out;
	}
	if (tls_creds_new(&cfg, &creds) < 0) {
		log_err("cannot set up TLS from %s; keeping the old configuration", o->path);
		goto out;
	}
	/* A half-written or unreadable file must not replace working ones. */
	if (tls_creds_problem(creds)) {
		log_err("%s: not reloaded, keeping the old configuration: %s", o->path,
			tls_creds_problem(creds));
		tls_creds_free(creds);
		goto out;
	}
	tls_creds_free(a->creds);
	a->creds = creds;
	log_set_level(verbose_level(o, &cfg));
	log_info("reloaded %s", o->path);
	ok = true;
out:
	config_free(&cfg);
	return ok;
}

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si,
		     void *userdata)
{
	struct serve_ctx *c = userdata;

	(void)s;
	(void)si;
	sd_notify(0, "RELOADING=1");
	agent_reload(c->agent, c->opts);
	sd_notify(0, "READY=1");
	return 0;
}

/*
 * exit-idle-timeout: look a few times per period whether anything is in
 * flight or finished since the last look; exit once nothing was for the
 * whole period. Polling the counts keeps the sessions' code unaware of it.
 * A request that arrives as we exit stays pending in the kernel (or queued
 * on socket activation's socket) for the next start to claim.
 */
static int on_idle_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct serve_ctx *c = userdata;
	struct agent *a = c->agent;

	if (a->active || a->done != c->idle_done) {
		c->idle_since = usec;
		c->idle_done = a->done;
	} else if (usec - c->idle_since >= c->idle_limit) {
		log_info("idle for %llu s: exiting", (unsigned long long)c->idle_limit / 1000000);
		return sd_event_exit(sd_event_source_get_event(s), 0);
	}
	return sd_event_source_set_time(s, usec + c->idle_limit / 4);
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

int serve(const struct opts *o, const struct config *cfg, struct agent *agent, int event_fd)
{
	struct serve_ctx ctx = { .agent = agent, .opts = o };
	sd_event_source *idle = NULL;
	int r, ret = EXIT_FAILURE;

	/* A new loop, not the default: a worker must not inherit one. */
	r = sd_event_new(&agent->event);
	if (r >= 0)
		r = sd_event_add_signal(agent->event, NULL, SIGTERM, on_signal, agent);
	if (r >= 0)
		r = sd_event_add_signal(agent->event, NULL, SIGINT, on_signal, agent);
	if (r >= 0)
		r = sd_event_add_signal(agent->event, NULL, SIGHUP, on_reload, &ctx);
	/* WATCHDOG=1 on its own when WATCHDOG_USEC (WatchdogSec=) asks. */
	if (r >= 0)
		r = sd_event_set_watchdog(agent->event, true);
	if (r > 0)
		log_debug("watchdog enabled");
	if (r >= 0 && cfg->exit_idle_sec) {
		ctx.idle_limit = cfg->exit_idle_sec * 1000000ULL;
		r = sd_event_now(agent->event, CLOCK_MONOTONIC, &ctx.idle_since);
		if (r >= 0)
			r = sd_event_add_time(agent->event, &idle, CLOCK_MONOTONIC,
					      ctx.idle_since + ctx.idle_limit / 4, 0,
					      on_idle_tick, &ctx);
		if (r >= 0)
			r = sd_event_source_set_enabled(idle, SD_EVENT_ON);
	}
	if (r < 0) {
		log_err("event loop: %s", strerror(-r));
		goto out;
	}

	r = hsnl_open(agent->event, event_fd, session_request, agent, &agent->nl);
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
	hsnl_resync(agent->nl);

	log_info("ready");
	sd_notify(0, "READY=1");
	sessions_status(agent);

	r = sd_event_loop(agent->event);
	sd_notify(0, "STOPPING=1");
	if (r < 0)
		log_err("event loop: %s", strerror(-r));
	else
		ret = EXIT_SUCCESS;
out:
	sessions_abandon(agent);
	hsnl_close(agent->nl);
	agent->nl = NULL;
	sd_event_source_disable_unref(idle);
	agent->event = sd_event_unref(agent->event);
	return ret;
}

/*
 * Every handshake in flight holds its socket's fd: the soft limit (1024 by
 * default) would cap them. The event loop is epoll, so no FD_SETSIZE
 * limit applies and the hard limit is safe to take.
 */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		log_warn("cannot raise the open file limit: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .path = CONFIG_DEFAULT_PATH };
	struct agent agent = { 0 };
	struct config cfg;
	sigset_t mask;
	int opt, r, ret = EXIT_FAILURE;

	while ((opt = getopt_long(argc, argv, "c:vVh", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o.path = optarg;
			o.explicit_path = true;
			break;
		case 'v':
			o.verbose++;
			break;
		case 'V':
			/* meson.build passes the project version. */
			printf("handshaked %s\n", HANDSHAKE_VERSION);
			return EXIT_SUCCESS;
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
	r = config_load(&cfg, o.path, stderr);
	if (r == -ENOENT && o.explicit_path) {
		fprintf(stderr, "%s: %s\n", o.path, strerror(ENOENT));
		return EXIT_FAILURE;
	}
	if (r == -EINVAL)
		return EXIT_FAILURE;
	log_set_level(verbose_level(&o, &cfg));
	/* Which build, and which GnuTLS it runs with, for bug reports. */
	log_info("handshaked %s starting (GnuTLS %s)", HANDSHAKE_VERSION,
		 gnutls_check_version(NULL));
	if (r == -ENOENT)
		log_debug("%s: not found, using defaults", o.path);

	/* Credentials are read once, before any request is claimed. */
	r = tls_creds_new(&cfg, &agent.creds);
	if (r < 0) {
		log_err("cannot set up TLS: %s", strerror(-r));
		goto out;
	}

	/* Writes to a peer that went away must fail, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	/*
	 * Each handshake allocates and frees the same hundred-odd KiB. By
	 * default glibc hands the freed top of the heap back to the kernel
	 * (above 128 KiB) and faults it in again for the next handshake;
	 * keep up to 4 MiB of it instead.
	 */
	mallopt(M_TRIM_THRESHOLD, 4 << 20);
	/* The event loop takes these as signalfd events (SIGCHLD: workers). */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	if (cfg.workers > 1)
		ret = supervise(&o, &cfg, &agent, activation_fd());
	else
		ret = serve(&o, &cfg, &agent, activation_fd());
out:
	tls_creds_free(agent.creds);
	config_free(&cfg);
	return ret;
}
