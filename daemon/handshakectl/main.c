// SPDX-License-Identifier: GPL-2.0
/*
 * handshakectl: look at and steer the kernel's TLS handshake requests.
 * This file parses the command line, connects and maps failures to the
 * messages and exit codes the man page promises: 0 done, 1 failed,
 * 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/handshake.h>

#include "commands.h"
#include "json.h"

#define EXIT_USAGE 2

static void usage(FILE *f)
{
	fputs("Usage: handshakectl [-j|--json] [-p|--pretty] COMMAND\n"
	      "       handshakectl -V|--version\n"
	      "\n"
	      "Commands:\n"
	      "  list            every pending and claimed request\n"
	      "  show COOKIE     one request in full\n"
	      "  monitor         print lifecycle events until interrupted\n"
	      "  stats           the counters of this network namespace\n"
	      "  cancel COOKIE   fail a request with ECANCELED\n"
	      "\n"
	      "Options:\n"
	      "  -j, --json      JSON output\n"
	      "  -p, --pretty    indented JSON (implies --json)\n"
	      "  -V, --version   the version of this tool\n"
	      "  -h, --help      this help\n", f);
}

static int bad_usage(const char *fmt, const char *arg)
{
	fputs("handshakectl: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n", stderr);
	usage(stderr);
	return EXIT_USAGE;
}

int ctl_fail(const struct ctl *ctl, const char *what, int err)
{
	const char *why = err == EPERM ? "needs CAP_NET_ADMIN" : strerror(err);

	if (ctl->nl.extack[0])
		fprintf(stderr, "handshakectl: %s: %s: %s\n", what, why, ctl->nl.extack);
	else
		fprintf(stderr, "handshakectl: %s: %s\n", what, why);
	return 1;
}

/* Cookies are decimal, as SO_COOKIE values are usually printed (ss -e). */
static int parse_cookie(const char *s, uint64_t *cookie)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*cookie = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

static int connect_kernel(struct ctl *ctl)
{
	int ret = hs_nl_open(&ctl->nl);

	if (ret == -ENOENT) {
		fputs("handshakectl: the handshake module is not loaded\n", stderr);
		return 1;
	}
	if (ret == -EPROTO && ctl->nl.version == 1) {
		fputs("handshakectl: this kernel has mainline's own net/handshake "
		      "(protocol version 1): it offers no list, show, cancel, stats "
		      "or monitor; handshaked serves it, and logs each handshake\n",
		      stderr);
		return 1;
	}
	if (ret == -EPROTO) {
		fprintf(stderr, "handshakectl: the kernel's handshake family speaks "
			"version %" PRIu32 ", this tool version %d\n",
			ctl->nl.version, HANDSHAKE_FAMILY_VERSION);
		return 1;
	}
	if (ret < 0)
		return ctl_fail(ctl, "cannot talk to the kernel", -ret);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct ctl ctl;
	const char *cmd;
	uint64_t cookie = 0;
	bool takes_cookie;
	int opt, ret;

	opterr = 0;	/* our own message, in our own words */
	/* '+': options end at the command, as with git and ip. */
	while ((opt = getopt_long(argc, argv, "+jpVh", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			ctl.json = true;
			break;
		case 'p':
			ctl.json = true;
			json_set_pretty(true);
			break;
		case 'V':
			/* meson.build passes the version of project() */
			printf("handshakectl %s\n", HANDSHAKE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return bad_usage("%s", "no command given");
	cmd = argv[optind++];
	if (strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	takes_cookie = !strcmp(cmd, "show") || !strcmp(cmd, "cancel");
	if (!takes_cookie && strcmp(cmd, "list") && strcmp(cmd, "monitor") &&
	    strcmp(cmd, "stats"))
		return bad_usage("unknown command '%s'", cmd);
	if (takes_cookie) {
		if (optind >= argc)
			return bad_usage("%s needs a COOKIE", cmd);
		if (parse_cookie(argv[optind], &cookie) < 0)
			return bad_usage("invalid cookie '%s'", argv[optind]);
		optind++;
	}
	if (optind < argc)
		return bad_usage("unexpected argument '%s'", argv[optind]);

	ret = connect_kernel(&ctl);
	if (ret == 0) {
		if (!strcmp(cmd, "list"))
			ret = cmd_list(&ctl);
		else if (!strcmp(cmd, "show"))
			ret = cmd_show(&ctl, cookie);
		else if (!strcmp(cmd, "cancel"))
			ret = cmd_cancel(&ctl, cookie);
		else if (!strcmp(cmd, "stats"))
			ret = cmd_stats(&ctl);
		else
			ret = cmd_monitor(&ctl);
	}
	hs_nl_close(&ctl.nl);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		/* e.g. a full disk or a closed pipe: the output is incomplete */
		fprintf(stderr, "handshakectl: writing output: %s\n", strerror(errno));
		return 1;
	}
	return ret;
}
