// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench-client: the benchmark's baseline, a user-space GnuTLS client doing
 * the handshakes the kernel path does, the way the agent does them: the
 * priority string it is given (the agent gets the same one), same trust,
 * SNI and name check, no session tickets.
 *
 *   bench-client --port N --priority STRING --ca PEM --peername NAME
 *                [--count N] [--concurrency C] [--warmup N] [--pause MS]
 *                [--ktls] [--latencies FILE]
 *
 * First WARMUP untimed handshakes (default 1), so that the process's
 * one-time costs (page faults, GnuTLS's lazy set-up) are paid, as the
 * long-running agent has paid them. Then COUNT handshakes (default 1),
 * CONCURRENCY at a time (default 1), each one, after a pause of MS ms
 * if asked (as the demo module's pause=), a TCP connect to 127.0.0.1:PORT, a handshake, close_notify and
 * close. A handshake's latency runs from the set-up of its session, once
 * connected, to the end of the handshake (as the kernel path's runs from
 * the submit to the callback: the TCP connect is not part of it). Prints, like the demo module's result file:
 * count, ok, failed, p50_us, p99_us (nearest rank) and total_us, and with
 * --latencies writes every successful handshake's latency (ns) to FILE.
 * Exits 1 if any handshake failed.
 *
 * --ktls: the whole of what the kernel path does, not just the handshake.
 * After it, the record state goes to the socket as kTLS TX and RX (with
 * the agent's own mapping, daemon/handshaked/ktls.c), as the kernel does
 * with the agent's done; the latency runs to the end of that install, as
 * the kernel path's runs to the callback. close_notify then goes out
 * through kTLS, as the demo module sends it.
 */
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/socket.h>
#include <linux/tls.h>

#include "bench.h"
#include "ktls.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

struct batch {
	int port;
	const char *peername;
	gnutls_certificate_credentials_t creds;
	gnutls_priority_t prio;
	unsigned int count, pause_ms;
	bool ktls;
	atomic_uint next, ok, failed;
	uint64_t *lat_ns;		/* per handshake; 0: it failed */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One direction's record state, mapped for kTLS; 0 or -1. */
static int export_dir(gnutls_session_t session, int read, uint16_t version,
		      struct ktls_crypto *out, int *cipher)
{
	gnutls_datum_t iv, key;
	unsigned char seq[8];
	int r;

	if (gnutls_record_get_state(session, read, NULL, &iv, &key, seq) < 0)
		return -1;
	r = ktls_map(version, gnutls_cipher_get(session), gnutls_mac_get(session),
		     &key, &iv, seq, out);
	if (r < 0)
		return -1;
	*cipher = r;
	return 0;
}

static atomic_bool ktls_failed;

/*
 * After the handshake, hand the socket's records to the kernel. Nothing
 * GnuTLS has read beyond the handshake may be left behind, and GnuTLS
 * must not have done this itself (its own kTLS, if configured so).
 */
static int install_ktls(gnutls_session_t session, int fd)
{
	struct ktls_session ks = { 0 };
	int cipher = 0, r = -1;

	if (gnutls_record_check_pending(session) ||
	    gnutls_transport_is_ktls_enabled(session))
		return -1;
	ks.version = ktls_version(gnutls_protocol_get_version(session));
	if (!export_dir(session, 0, ks.version, &ks.tx, &cipher) &&
	    !export_dir(session, 1, ks.version, &ks.rx, &cipher)) {
		ks.cipher = cipher;
		r = ktls_install(fd, &ks);
		/* Once: the first failure says why the rest fail too. */
		if (r < 0 && !atomic_exchange(&ktls_failed, true))
			fprintf(stderr, "bench-client: kTLS install: %s\n", strerror(-r));
		r = r < 0 ? -1 : 0;
	}
	ktls_session_wipe(&ks);
	return r;
}

/* A close_notify alert (warning level) as a kTLS alert record. */
static void ktls_close_notify(int fd)
{
	unsigned char alert[2] = { 1, 0 };
	union {
		char buf[CMSG_SPACE(sizeof(unsigned char))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = alert, .iov_len = sizeof(alert) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_TLS;
	cmsg->cmsg_type = TLS_SET_RECORD_TYPE;
	cmsg->cmsg_len = CMSG_LEN(sizeof(unsigned char));
	*CMSG_DATA(cmsg) = 21;	/* alert */
	sendmsg(fd, &msg, MSG_NOSIGNAL);
}

static int handshake_one(struct batch *b, uint64_t *lat_ns)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		.sin_port = htons(b->port),
	};
	gnutls_session_t session;
	uint64_t start;
	int fd, r;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	start = now_ns();
	if (gnutls_init(&session, GNUTLS_CLIENT | GNUTLS_NO_TICKETS) < 0) {
		close(fd);
		return -1;
	}
	gnutls_priority_set(session, b->prio);
	gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, b->creds);
	gnutls_server_name_set(session, GNUTLS_NAME_DNS, b->peername,
			       strlen(b->peername));
	gnutls_session_set_verify_cert(session, b->peername, 0);
	gnutls_transport_set_int(session, fd);
	gnutls_handshake_set_timeout(session, 120 * 1000);
	do {
		r = gnutls_handshake(session);
	} while (r < 0 && !gnutls_error_is_fatal(r));
	if (r >= 0 && b->ktls && install_ktls(session, fd) < 0)
		r = -1;
	if (r >= 0) {
		*lat_ns = now_ns() - start ?: 1;
		if (b->ktls)
			ktls_close_notify(fd);
		else
			gnutls_bye(session, GNUTLS_SHUT_WR);
	}
	gnutls_deinit(session);
	close(fd);
	return r < 0 ? -1 : 0;
}

static void *worker(void *arg)
{
	struct batch *b = arg;
	unsigned int i;

	while ((i = atomic_fetch_add(&b->next, 1)) < b->count) {
		if (b->pause_ms)
			nanosleep(&(struct timespec){ .tv_nsec = b->pause_ms * 1000000L }, NULL);
		if (handshake_one(b, &b->lat_ns[i]))
			atomic_fetch_add(&b->failed, 1);
		else
			atomic_fetch_add(&b->ok, 1);
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void print_us(const char *key, uint64_t ns)
{
	printf("%s=%llu.%03llu\n", key, (unsigned long long)(ns / 1000),
	       (unsigned long long)(ns % 1000));
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench-client --port N --priority STRING --ca PEM --peername NAME\n"
		   "                    [--count N] [--concurrency C] [--warmup N] [--pause MS]\n"
		   "                    [--ktls] [--latencies FILE]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "ca", required_argument, NULL, 'a' },
		{ "peername", required_argument, NULL, 'n' },
		{ "count", required_argument, NULL, 'c' },
		{ "concurrency", required_argument, NULL, 'C' },
		{ "priority", required_argument, NULL, 'P' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "pause", required_argument, NULL, 's' },
		{ "latencies", required_argument, NULL, 'l' },
		{ "ktls", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *ca = NULL, *priority = NULL, *latfile = NULL;
	const char *where = NULL;
	struct batch b = { .count = 1 };
	unsigned int concurrency = 1, warmup = 1, i, n;
	pthread_attr_t attr;
	pthread_t *tids;
	uint64_t start, total;
	int o, r;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'p': b.port = bench_uint(optarg, "--port", 65535); break;
		case 'a': ca = optarg; break;
		case 'n': b.peername = optarg; break;
		case 'c': b.count = bench_uint(optarg, "--count", 1000000); break;
		case 'C': concurrency = bench_uint(optarg, "--concurrency", 4096); break;
		case 'P': priority = optarg; break;
		case 's': b.pause_ms = bench_uint(optarg, "--pause", 999); break;
		case 'w': warmup = bench_uint(optarg, "--warmup", 1000); break;
		case 'l': latfile = optarg; break;
		case 'k': b.ktls = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!b.port || !priority || !ca || !b.peername || !b.count || !concurrency) {
		usage(stderr);
		return 2;
	}
	if (concurrency > b.count)
		concurrency = b.count;
	bench_raise_nofile();
	signal(SIGPIPE, SIG_IGN);

	r = gnutls_certificate_allocate_credentials(&b.creds);
	if (r >= 0)
		r = gnutls_certificate_set_x509_trust_file(b.creds, ca, GNUTLS_X509_FMT_PEM);
	if (r <= 0)
		bench_die("bench-client: no CA certificate in %s: %s", ca,
			  r < 0 ? gnutls_strerror(r) : "none found");
	r = gnutls_priority_init(&b.prio, priority, &where);
	if (r < 0)
		bench_die("bench-client: priority invalid at \"%s\"", where ? where : "");
	b.lat_ns = calloc(b.count, sizeof(*b.lat_ns));
	tids = calloc(concurrency, sizeof(*tids));
	if (!b.lat_ns || !tids)
		bench_die("bench-client: out of memory");

	for (i = 0; i < warmup; i++)
		if (handshake_one(&b, &b.lat_ns[0]))
			bench_die("bench-client: a warm-up handshake failed");
	b.lat_ns[0] = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	start = now_ns();
	for (i = 0; i < concurrency; i++) {
		r = pthread_create(&tids[i], &attr, worker, &b);
		if (r)
			bench_die("bench-client: pthread_create: %s", strerror(r));
	}
	for (i = 0; i < concurrency; i++)
		pthread_join(tids[i], NULL);
	total = now_ns() - start;

	for (i = n = 0; i < b.count; i++)
		if (b.lat_ns[i])
			b.lat_ns[n++] = b.lat_ns[i];
	qsort(b.lat_ns, n, sizeof(*b.lat_ns), cmp_u64);
	printf("count=%u\nok=%u\nfailed=%u\n", b.count, atomic_load(&b.ok),
	       atomic_load(&b.failed));
	print_us("p50_us", n ? b.lat_ns[(n * 50 + 99) / 100 - 1] : 0);
	print_us("p99_us", n ? b.lat_ns[(n * 99 + 99) / 100 - 1] : 0);
	print_us("total_us", total);
	if (latfile) {
		FILE *f = fopen(latfile, "w");

		if (!f)
			bench_die("bench-client: %s: %s", latfile, strerror(errno));
		for (i = 0; i < n; i++)
			fprintf(f, "%llu\n", (unsigned long long)b.lat_ns[i]);
		if (fclose(f))
			bench_die("bench-client: %s: %s", latfile, strerror(errno));
	}
	return atomic_load(&b.failed) ? 1 : 0;
}
