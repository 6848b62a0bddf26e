// SPDX-License-Identifier: GPL-2.0-only
/*
 * The handshake engine on real TCP sockets over loopback, no netlink:
 *   test-tls pair DIR                    both ends are our engine
 *   test-tls connect PORT DIR NAME ERR   our client against another server
 *   test-tls serve PORT DIR              our server for one other client
 * DIR holds ca.pem, other-ca.pem, server.{pem,key}, client.{pem,key}
 * (made by test-tls.sh). ERR is the errno name expected ("0": success).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <keyutils.h>

#include "linux/handshake.h"
#include "log.h"
#include "tls.h"
#include "test.h"

static const char *dir;
static sd_event *loop;

struct side {
	const char *name;
	int status;		/* -1: still running */
	struct ktls_session ks;
	int fd;
	/*
	 * The peer's identity: a PSK index (-1: none) or a PSK key found by
	 * identity (0: none), a certificate (DER).
	 */
	int psk;
	int32_t psk_key;
	unsigned char cert[8192];
	unsigned int cert_len;	/* 0: none */
};

static int pending;
/* The two sides of the last pair(). */
static struct side last_c, last_s;

static void on_done(struct tls_hs *hs, int status, const struct ktls_session *ks,
		    const struct tls_peer_id *peer, void *userdata)
{
	struct side *s = userdata;

	(void)hs;
	s->status = status;
	if (ks)
		s->ks = *ks;
	CHECK(!status == !!peer);
	s->psk = peer ? peer->psk : -1;
	s->psk_key = peer ? peer->psk_key : 0;
	s->cert_len = 0;
	if (peer && peer->cert && peer->cert->size <= sizeof(s->cert)) {
		memcpy(s->cert, peer->cert->data, peer->cert->size);
		s->cert_len = peer->cert->size;
	}
	/* The fd stays open: in the agent, the kernel consumer still has it. */
	pending--;
}

static void run_loop(void)
{
	while (pending > 0)
		sd_event_run(loop, UINT64_MAX);
}

/*
 * Configurations keep these, for the whole run: every one is kept here
 * too, so that the leak checker sees them reachable.
 */
static char *paths[256];
static size_t npaths;

static char *path(const char *file)
{
	char *p;

	if (npaths == sizeof(paths) / sizeof(paths[0]) ||
	    asprintf(&p, "%s/%s", dir, file) < 0)
		exit(2);
	paths[npaths++] = p;
	return p;
}

/* A connected pair of loopback TCP sockets: [0] client, [1] server. */
static void tcp_pair(int fds[2])
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (void *)&sin, sizeof(sin)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (void *)&sin, &len) < 0) {
		perror("listen");
		exit(2);
	}
	fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (connect(fds[0], (void *)&sin, sizeof(sin)) < 0) {
		perror("connect");
		exit(2);
	}
	fds[1] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	close(l);
}

static struct config client_cfg(const char *ca, bool cert)
{
	struct config c;

	config_init(&c);
	c.trust.ca_file = ca ? path(ca) : NULL;
	if (cert) {
		c.client_cert = path("client.pem");
		c.client_key = path("client.key");
	}
	return c;
}

static struct config server_cfg(enum client_auth ca)
{
	struct config c;

	config_init(&c);
	c.trust.ca_file = path("ca.pem");
	c.server_cert = path("server.pem");
	c.server_key = path("server.key");
	c.client_auth = ca;
	return c;
}

static struct tls_creds *creds(const struct config *cfg)
{
	struct tls_creds *c;

	if (tls_creds_new(cfg, &c) < 0) {
		fprintf(stderr, "tls_creds_new failed\n");
		exit(2);
	}
	return c;
}

static bool same_dir(const struct ktls_crypto *a, const struct ktls_crypto *b)
{
	return a->key_len && a->key_len == b->key_len && a->iv_len == b->iv_len &&
	       a->salt_len == b->salt_len && !memcmp(a->key, b->key, a->key_len) &&
	       !memcmp(a->iv, b->iv, a->iv_len) && !memcmp(a->salt, b->salt, a->salt_len) &&
	       !memcmp(a->rec_seq, b->rec_seq, 8);
}

/*
 * Run our client against our server; check both results and, on success,
 * that one side's TX is the other's RX.
 */
static int nodelay(int fd)
{
	int on = -1;
	socklen_t len = sizeof(on);

	getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &len);
	return on;
}

static void pair_creds(const char *what, struct tls_creds *cc, struct tls_params cp,
		       struct tls_creds *sc, struct tls_params sp,
		       int want_client, int want_server, uint16_t want_cipher)
{
	struct side c = { .name = "client", .status = -1 }, s = { .name = "server", .status = -1 };
	struct tls_hs *h1 = NULL, *h2 = NULL;
	int fds[2], r1, r2;

	tcp_pair(fds);
	c.fd = fds[0];
	s.fd = fds[1];
	/* The consumer's TCP_NODELAY comes back as it was: off here, on there. */
	setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	cp.role = HANDSHAKE_ROLE_CLIENT;
	sp.role = HANDSHAKE_ROLE_SERVER;
	if (!cp.timeout_usec)
		cp.timeout_usec = 5000000;
	if (!sp.timeout_usec)
		sp.timeout_usec = 5000000;
	pending = 2;
	r1 = tls_hs_start(loop, cc, c.fd, &cp, on_done, &c, &h1);
	r2 = tls_hs_start(loop, sc, s.fd, &sp, on_done, &s, &h2);
	if (r1 < 0 || r2 < 0) {
		fprintf(stderr, "%s: start failed: %d %d\n", what, r1, r2);
		failures++;
		exit(1);
	}
	run_loop();

	printf("%-40s client=%s server=%s", what, errno_name(c.status), errno_name(s.status));
	if (!c.status)
		printf(" version=%#x cipher=%u", c.ks.version, c.ks.cipher);
	printf("\n");
	if (c.status != want_client || s.status != want_server) {
		fprintf(stderr, "%s: wanted client=%s server=%s\n", what,
			errno_name(want_client), errno_name(want_server));
		failures++;
	}
	CHECK(nodelay(c.fd) == 0 && nodelay(s.fd) == 1);
	if (!want_client && !want_server && !c.status && !s.status) {
		CHECK(c.ks.version == s.ks.version && c.ks.cipher == s.ks.cipher);
		CHECK(same_dir(&c.ks.tx, &s.ks.rx));
		CHECK(same_dir(&c.ks.rx, &s.ks.tx));
		CHECK(!same_dir(&c.ks.tx, &c.ks.rx));
		if (want_cipher)
			CHECK(c.ks.cipher == want_cipher);
	}
	close(c.fd);
	close(s.fd);
	last_c = c;
	last_s = s;
}

static void pair(const char *what, const struct config *ccfg, struct tls_params cp,
		 const struct config *scfg, struct tls_params sp,
		 int want_client, int want_server, uint16_t want_cipher)
{
	struct tls_creds *cc = creds(ccfg), *sc = creds(scfg);

	pair_creds(what, cc, cp, sc, sp, want_client, want_server, want_cipher);
	tls_creds_free(cc);
	tls_creds_free(sc);
}

/* Is @side's peer certificate the one in @file (PEM)? */
static bool peer_cert_is(const struct side *side, const char *file)
{
	gnutls_datum_t pem = { 0 }, der = { 0 };
	gnutls_x509_crt_t crt;
	bool same = false;

	if (gnutls_load_file(path(file), &pem) < 0 || gnutls_x509_crt_init(&crt) < 0)
		exit(2);
	if (gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) >= 0 &&
	    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) >= 0)
		same = der.size == side->cert_len && !memcmp(der.data, side->cert, der.size);
	gnutls_x509_crt_deinit(crt);
	gnutls_free(pem.data);
	gnutls_free(der.data);
	return same;
}

static const char *only(const char *cipher, bool tls12)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "NORMAL:-VERS-ALL:+VERS-TLS1.%s:-CIPHER-ALL:+%s:-MAC-ALL:+AEAD",
		 tls12 ? "2" : "3", cipher);
	return buf;
}

static void test_pairs(void)
{
	struct config cc = client_cfg("ca.pem", true), sc = server_cfg(CLIENT_AUTH_NONE);
	struct tls_params x509 = { .auth = HANDSHAKE_AUTH_X509, .peername = "localhost" };
	struct tls_params unauth = { .auth = HANDSHAKE_AUTH_UNAUTH };
	struct tls_params p;
	struct config c2, s2;

	pair("x509 tls1.3", &cc, x509, &sc, x509, 0, 0, 0);
	/* The client verified the server; the server asked for nothing. */
	CHECK(peer_cert_is(&last_c, "server.pem") && last_c.psk == -1);
	CHECK(last_s.cert_len == 0 && last_s.psk == -1);
	p = x509;
	p.peername = "127.0.0.1";
	pair("x509 tls1.3 peername is an address", &cc, p, &sc, x509, 0, 0, 0);

	s2 = sc;
	s2.priority = (char *)only("CHACHA20-POLY1305", false);
	pair("x509 tls1.3 chacha20", &cc, x509, &s2, x509, 0, 0,
	     HANDSHAKE_CIPHER_CHACHA20_POLY1305);
	s2.priority = (char *)only("AES-256-GCM", false);
	pair("x509 tls1.3 aes-256-gcm", &cc, x509, &s2, x509, 0, 0,
	     HANDSHAKE_CIPHER_AES_GCM_256);

	/* TLS 1.2 only if both allow it. */
	c2 = cc;
	c2.min_version = 0x303;
	s2.priority = (char *)only("AES-128-GCM", true);
	pair("x509 tls1.2 aes-128-gcm", &c2, x509, &s2, x509, 0, 0,
	     HANDSHAKE_CIPHER_AES_GCM_128);
	s2.priority = (char *)only("CHACHA20-POLY1305", true);
	pair("x509 tls1.2 chacha20", &c2, x509, &s2, x509, 0, 0,
	     HANDSHAKE_CIPHER_CHACHA20_POLY1305);
	s2.priority = (char *)only("AES-128-GCM", true);
	pair("tls1.2 server, tls1.3-only client", &cc, x509, &s2, x509, EACCES, EACCES, 0);
	/* A suite kTLS cannot take is refused by the default priorities. */
	s2.priority = (char *)"NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA256";
	pair("tls1.2 cbc server", &c2, x509, &s2, x509, EACCES, EACCES, 0);
	/* ...and caught after the handshake if a priority override allows it. */
	c2.priority = (char *)"NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA256";
	pair("tls1.2 cbc both (override)", &c2, x509, &s2, x509, EIO, EIO, 0);

	p = x509;
	p.peername = "wrong.example";
	pair("x509 name mismatch", &cc, p, &sc, x509, EACCES, EACCES, 0);
	c2 = client_cfg("other-ca.pem", true);
	pair("x509 untrusted server", &c2, x509, &sc, x509, EACCES, EACCES, 0);
	/* unauth: the client does not authenticate itself, but still checks. */
	pair("unauth client, untrusted server", &c2, unauth, &sc, unauth, EACCES, EACCES, 0);
	/* An unauthenticated client still knows whom it talks to. */
	pair("unauth client", &cc, unauth, &sc, unauth, 0, 0, 0);
	CHECK(peer_cert_is(&last_c, "server.pem") && last_s.cert_len == 0);

	/*
	 * No peer name: the server's certificate must carry the address as
	 * an IP SAN; noip.pem names 127.0.0.1 only as CN and DNS name.
	 */
	p = x509;
	p.peername = NULL;
	pair("no peername, IP SAN", &cc, p, &sc, x509, 0, 0, 0);
	CHECK(peer_cert_is(&last_c, "server.pem"));
	pair("no peername, unauth, IP SAN", &cc, unauth, &sc, unauth, 0, 0, 0);
	p.peername = "";
	pair("empty peername, IP SAN", &cc, p, &sc, x509, 0, 0, 0);
	s2 = server_cfg(CLIENT_AUTH_NONE);
	s2.server_cert = path("noip.pem");
	s2.server_key = path("noip.key");
	pair("no peername, no IP SAN", &cc, p, &s2, x509, EACCES, EACCES, 0);
	pair("no peername, unauth, no IP SAN", &cc, unauth, &s2, unauth, EACCES, EACCES, 0);
	p.peername = "127.0.0.1";
	pair("peername an address, no IP SAN", &cc, p, &s2, x509, EACCES, EACCES, 0);
	pair("peername localhost, no IP SAN", &cc, x509, &s2, x509, 0, 0, 0);

	/*
	 * The agent's client certificate is what x509 asks for; unauth is
	 * the request for server-only authentication.
	 */
	s2 = server_cfg(CLIENT_AUTH_REQUIRED);
	c2 = client_cfg("ca.pem", false);
	/* TLS 1.3: the client is done before the server judges its certificate. */
	pair("client-auth required, no client cert", &c2, unauth, &s2, x509, 0, EACCES, 0);
	pair("client-auth required, client cert", &cc, x509, &s2, x509, 0, 0, 0);
	CHECK(peer_cert_is(&last_s, "client.pem") && peer_cert_is(&last_c, "server.pem"));
	s2 = server_cfg(CLIENT_AUTH_OPTIONAL);
	pair("client-auth optional, no client cert", &c2, unauth, &s2, x509, 0, 0, 0);
	CHECK(last_s.cert_len == 0 && last_s.psk == -1);
	pair("client-auth optional, client cert", &cc, x509, &s2, x509, 0, 0, 0);
	CHECK(peer_cert_is(&last_s, "client.pem"));
	/* A server on an unauth request does not look at client certificates. */
	pair("unauth server, client cert", &cc, x509, &s2, unauth, 0, 0, 0);
	CHECK(last_s.cert_len == 0);
}

/* [client] and [server] trust replaces [tls]'s for that role only. */
static void test_role_trust(void)
{
	struct config cc = client_cfg("other-ca.pem", true);
	struct config sc = server_cfg(CLIENT_AUTH_REQUIRED);
	struct tls_params x509 = { .auth = HANDSHAKE_AUTH_X509, .peername = "localhost" };
	struct tls_creds *c;

	cc.client_trust.ca_file = path("ca.pem");
	pair("[client] ca-file over [tls]'s", &cc, x509, &sc, x509, 0, 0, 0);
	cc = client_cfg("ca.pem", true);
	cc.client_trust.ca_file = path("other-ca.pem");
	pair("[client] ca-file untrusting the server", &cc, x509, &sc, x509,
	     EACCES, EACCES, 0);
	/* The server's role is untouched by [client]'s. */
	sc.client_trust.ca_file = path("other-ca.pem");
	cc = client_cfg("ca.pem", true);
	pair("[client] ca-file leaves the server's", &cc, x509, &sc, x509, 0, 0, 0);
	/* TLS 1.3: the client is done before the server judges it. */
	sc.server_trust.ca_file = path("other-ca.pem");
	pair("[server] ca-file untrusting the client", &cc, x509, &sc, x509,
	     0, EACCES, 0);
	sc = server_cfg(CLIENT_AUTH_REQUIRED);
	sc.trust.ca_file = path("other-ca.pem");
	sc.server_trust.ca_file = path("ca.pem");
	pair("[server] ca-file over [tls]'s", &cc, x509, &sc, x509, 0, 0, 0);
	CHECK(peer_cert_is(&last_s, "client.pem"));

	/* A role's unreadable trust file is what a reload reports. */
	sc.server_trust.crl_file = path("no-such-crl.pem");
	c = creds(&sc);
	CHECK(tls_creds_problem(c) && strstr(tls_creds_problem(c), "no-such-crl.pem"));
	tls_creds_free(c);
}

/* An x509 client with no certificate at all fails at once, clearly. */
static void test_x509_client_without_cert(void)
{
	struct config cc = client_cfg("ca.pem", false);
	struct tls_params p = { .auth = HANDSHAKE_AUTH_X509, .peername = "localhost",
				.role = HANDSHAKE_ROLE_CLIENT, .timeout_usec = 1000000 };
	struct side s = { .name = "client", .status = -1 };
	struct tls_creds *c = creds(&cc);
	struct tls_hs *hs;
	int fds[2];

	tcp_pair(fds);
	CHECK(tls_hs_start(loop, c, fds[0], &p, on_done, &s, &hs) == -EIO);
	printf("%-40s start=EIO\n", "x509 client, no client cert");
	tls_creds_free(c);
	close(fds[0]);
	close(fds[1]);
}

static void test_psk(void)
{
	static const unsigned char k1[32] = "0123456789abcdef0123456789abcdef";
	static const unsigned char k2[32] = "fedcba9876543210fedcba9876543210";
	struct tls_psk client = { "host-a", k1, 32 };
	struct tls_psk server[2] = { { "host-b", k2, 32 }, { "host-a", k1, 32 } };
	struct tls_psk wrong_key = { "host-a", k2, 32 };
	struct tls_psk stranger = { "host-c", k1, 32 };
	struct tls_params cp = { .auth = HANDSHAKE_AUTH_PSK, .psk = &client, .n_psk = 1 };
	struct tls_params sp = { .auth = HANDSHAKE_AUTH_PSK, .psk = server, .n_psk = 2 };
	struct config cfg;

	config_init(&cfg);
	pair("psk", &cfg, cp, &cfg, sp, 0, 0, 0);
	/* Each side names the PSK used: the client its only one, the server its second. */
	CHECK(last_c.psk == 0 && last_s.psk == 1);
	CHECK(last_c.cert_len == 0 && last_s.cert_len == 0);
	server[0].identity = "host-a";
	server[1].identity = "host-b";
	server[0].key = k1;
	server[1].key = k2;
	pair("psk, first of the server's", &cfg, cp, &cfg, sp, 0, 0, 0);
	CHECK(last_c.psk == 0 && last_s.psk == 0);
	cp.psk = &stranger;
	pair("psk unknown identity", &cfg, cp, &cfg, sp, EKEYREJECTED, EKEYREJECTED, 0);
	cp.psk = &wrong_key;
	pair("psk wrong key", &cfg, cp, &cfg, sp, EACCES, EACCES, 0);

	/* Of several, a client offers the first only. */
	struct tls_psk two[2] = { client, stranger };

	cp.psk = two;
	cp.n_psk = 2;
	pair("psk client with two, first known", &cfg, cp, &cfg, sp, 0, 0, 0);
	CHECK(last_c.psk == 0 && last_s.psk == 0);
	two[0] = stranger;
	two[1] = client;
	pair("psk client with two, second known", &cfg, cp, &cfg, sp,
	     EKEYREJECTED, EKEYREJECTED, 0);

	/* SHA-384 (NVMe hash 02) is refused before anything is sent. */
	static const unsigned char k48[48] = "0123456789abcdef0123456789abcdef0123456789abcdef";
	struct tls_psk sha384 = { "NVMe0R02 nqn.host nqn.subsys", k48, 48 };
	struct tls_creds *c = creds(&cfg);
	struct tls_hs *hs;
	int fds[2];

	cp.psk = &sha384;
	cp.n_psk = 1;
	cp.role = HANDSHAKE_ROLE_CLIENT;
	cp.timeout_usec = 300000;
	tcp_pair(fds);
	CHECK(tls_hs_start(loop, c, fds[0], &cp, on_done, NULL, &hs) == -EIO);
	printf("%-40s start=EIO\n", "psk client, SHA-384 identity");
	tls_creds_free(c);
	close(fds[0]);
	close(fds[1]);
}

/* The server's credentials from memory, as key serials bring them. */
static void server_from_memory(const char *what, const char *cert_file,
			       const char *key_file, int want)
{
	gnutls_datum_t cert, key;
	struct config cc = client_cfg("ca.pem", true), sc;
	struct tls_params x509 = { .auth = HANDSHAKE_AUTH_X509, .peername = "localhost" };
	struct tls_params sp = x509;

	config_init(&sc);
	if (gnutls_load_file(path(cert_file), &cert) < 0 ||
	    gnutls_load_file(path(key_file), &key) < 0)
		exit(2);
	sp.cert = &cert;
	sp.key = &key;
	if (!want) {
		pair(what, &cc, x509, &sc, sp, 0, 0, 0);
		CHECK(peer_cert_is(&last_c, "server.pem"));
	} else {
		struct tls_creds *c = creds(&sc);
		struct tls_hs *hs;
		int fds[2];

		tcp_pair(fds);
		sp.role = HANDSHAKE_ROLE_SERVER;
		sp.timeout_usec = 300000;
		CHECK(tls_hs_start(loop, c, fds[1], &sp, on_done, NULL, &hs) == -want);
		printf("%-40s start=%s\n", what, errno_name(want));
		tls_creds_free(c);
		close(fds[0]);
		close(fds[1]);
	}
	gnutls_free(cert.data);
	gnutls_free(key.data);
}

static void test_keys_from_memory(void)
{
	server_from_memory("server cert from key serials, PEM", "server.pem",
			   "server.key", 0);
	server_from_memory("server cert from key serials, DER", "server.der",
			   "server.key.der", 0);
	server_from_memory("DER certificate, PEM key", "server.der", "server.key", 0);
	/* A key that is neither: refused before the handshake. */
	server_from_memory("key serial holding no key", "server.der", "ca.pem", EIO);
}

/*
 * gnutls_init() failing (it only does without memory): the test binary is
 * linked with --wrap=gnutls_init. The start fails and takes no reference
 * to the credentials with it (LeakSanitizer, in the sanitizer pass, sees
 * them leak otherwise).
 */
static bool fail_gnutls_init;
int __real_gnutls_init(gnutls_session_t *session, unsigned int flags);
int __wrap_gnutls_init(gnutls_session_t *session, unsigned int flags);
int __wrap_gnutls_init(gnutls_session_t *session, unsigned int flags)
{
	if (fail_gnutls_init)
		return GNUTLS_E_MEMORY_ERROR;
	return __real_gnutls_init(session, flags);
}

static void test_gnutls_init_fails(void)
{
	struct config cc = client_cfg("ca.pem", true);
	struct tls_params p = { .auth = HANDSHAKE_AUTH_X509, .peername = "localhost",
				.role = HANDSHAKE_ROLE_CLIENT, .timeout_usec = 300000 };
	struct tls_creds *c = creds(&cc);
	struct side s = { .name = "client", .status = -1 };
	struct tls_hs *hs;
	int fds[2];

	tcp_pair(fds);
	fail_gnutls_init = true;
	CHECK(tls_hs_start(loop, c, fds[0], &p, on_done, &s, &hs) == -ENOMEM);
	fail_gnutls_init = false;
	printf("%-40s start=ENOMEM\n", "gnutls_init fails");
	tls_creds_free(c);	/* the last reference: freed */
	close(fds[0]);
	close(fds[1]);
}

static void test_failures(void)
{
	struct config cc = client_cfg("ca.pem", true), sc;
	struct tls_params x509 = { .auth = HANDSHAKE_AUTH_X509, .peername = "localhost",
				   .role = HANDSHAKE_ROLE_CLIENT, .timeout_usec = 300000 };
	struct tls_creds *c;
	struct tls_hs *hs;
	struct side s = { .name = "client", .status = -1 };
	int fds[2];

	/* Misconfiguration: the server certificate file is missing. */
	sc = server_cfg(CLIENT_AUTH_NONE);
	sc.server_cert = "/nonexistent/server.pem";
	c = creds(&sc);
	tcp_pair(fds);
	x509.role = HANDSHAKE_ROLE_SERVER;
	CHECK(tls_hs_start(loop, c, fds[1], &x509, on_done, &s, &hs) == -EIO);
	printf("%-40s start=EIO\n", "missing server cert file");
	x509.role = HANDSHAKE_ROLE_CLIENT;
	tls_creds_free(c);
	close(fds[0]);
	close(fds[1]);

	/* Missing CA file: clients cannot verify the server. */
	sc = client_cfg("nonexistent-ca.pem", true);
	c = creds(&sc);
	tcp_pair(fds);
	CHECK(tls_hs_start(loop, c, fds[0], &x509, on_done, &s, &hs) == -EIO);
	printf("%-40s start=EIO\n", "missing CA file");
	tls_creds_free(c);
	close(fds[0]);
	close(fds[1]);

	/* A silent server: time limit. */
	c = creds(&cc);
	tcp_pair(fds);
	s.fd = fds[0];
	pending = 1;
	CHECK(tls_hs_start(loop, c, fds[0], &x509, on_done, &s, &hs) == 0);
	run_loop();
	printf("%-40s client=%s\n", "silent server", errno_name(s.status));
	CHECK(s.status == ETIMEDOUT);
	close(fds[0]);
	close(fds[1]);

	/* The server hangs up at once. */
	tcp_pair(fds);
	close(fds[1]);
	s.fd = fds[0];
	s.status = -1;
	pending = 1;
	x509.timeout_usec = 5000000;
	CHECK(tls_hs_start(loop, c, fds[0], &x509, on_done, &s, &hs) == 0);
	run_loop();
	printf("%-40s client=%s\n", "server closes", errno_name(s.status));
	CHECK(s.status == ECONNRESET);
	close(fds[0]);
	tls_creds_free(c);
}

static int connect_port(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (void *)&sin, sizeof(sin)) < 0) {
		perror("connect");
		exit(2);
	}
	return fd;
}

/* One handshake of ours against someone else's peer; frees @c. */
static int run_one(int fd, struct tls_creds *c, struct tls_params *p)
{
	struct side s = { .name = p->role == HANDSHAKE_ROLE_CLIENT ? "client" : "server",
			  .status = -1, .fd = fd };
	struct tls_hs *hs;

	p->timeout_usec = 10000000;
	pending = 1;
	if (tls_hs_start(loop, c, fd, p, on_done, &s, &hs) < 0)
		s.status = EIO;
	else
		run_loop();
	close(fd);
	tls_creds_free(c);
	if (!s.status)
		printf("version=%#x cipher=%u\n", s.ks.version, s.ks.cipher);
	return s.status;
}

/*
 * An x509 client whose key is on a PKCS#11 token (SoftHSM2, made by
 * test-tls.sh): our server requires and verifies its certificate, so the
 * token signed. Credentials loaded before a fork serve in the child, as
 * workers use them. A wrong PIN makes the key the reload's problem, named
 * without the PIN.
 */
static void test_pkcs11(const char *url, const char *wrong_pin_url)
{
	struct config cc = client_cfg("ca.pem", false), sc = server_cfg(CLIENT_AUTH_REQUIRED);
	struct tls_params x509 = { .auth = HANDSHAKE_AUTH_X509, .peername = "localhost" };
	struct tls_creds *c, *s;
	int status;
	pid_t pid;

	cc.client_cert = path("p11-client.pem");
	cc.client_key = (char *)url;
	pair("client key on a PKCS#11 token", &cc, x509, &sc, x509, 0, 0, 0);
	CHECK(peer_cert_is(&last_s, "p11-client.pem"));

	c = creds(&cc);
	s = creds(&sc);
	CHECK(!tls_creds_problem(c));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		sd_event_unref(loop);
		sd_event_new(&loop);
		pair_creds("token key loaded before a fork", c, x509, s, x509, 0, 0, 0);
		fflush(stdout);
		_exit(failures || !peer_cert_is(&last_s, "p11-client.pem"));
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);
	tls_creds_free(c);
	tls_creds_free(s);

	cc.client_key = (char *)wrong_pin_url;
	c = creds(&cc);
	printf("%-40s problem: %s\n", "token key, wrong PIN",
	       tls_creds_problem(c) ? tls_creds_problem(c) : "(none)");
	CHECK(tls_creds_problem(c) && strstr(tls_creds_problem(c), "pin-value=(hidden)") &&
	      !strstr(tls_creds_problem(c), "9999"));
	tls_creds_free(c);
}

/*
 * [tls] keyrings: a PSK server finds an identity the request does not name
 * as a "psk" key in a keyring the configuration names, never as a "user"
 * key; a missing keyring is the reload's problem. The "psk" key type is
 * NVMe's (nvme_keyring, Linux 6.7 and later): where the kernel has none,
 * that part says so, and tests/vm-mainline runs it on 6.12. Exits 77
 * where the kernel has no keys at all.
 */
static int test_keyrings(void)
{
	static const unsigned char k[32] = "0123456789abcdef0123456789abcdef";
	struct tls_psk client = { "host-k", k, 32 };
	struct tls_params cp = { .auth = HANDSHAKE_AUTH_PSK, .psk = &client, .n_psk = 1 };
	struct tls_params sp = { .auth = HANDSHAKE_AUTH_PSK };
	struct config cfg, scfg;
	struct tls_creds *c;
	char name[64];
	key_serial_t ring, key;

	snprintf(name, sizeof(name), "handshaked-test-%d", (int)getpid());
	ring = add_key("keyring", name, NULL, 0, KEY_SPEC_SESSION_KEYRING);
	if (ring < 0) {
		printf("SKIP: no kernel keyrings here: %m\n");
		return 77;
	}
	config_init(&cfg);
	config_init(&scfg);
	scfg.keyrings = name;
	/* A "user" key could be a certificate, which a client may know. */
	key = add_key("user", "host-k", k, sizeof(k), ring);
	CHECK(key > 0);
	pair("psk identity a user key in a keyring", &cfg, cp, &scfg, sp,
	     EKEYREJECTED, EKEYREJECTED, 0);
	keyctl_unlink(key, ring);

	key = add_key("psk", "host-k", k, sizeof(k), ring);
	if (key < 0) {
		printf("%-40s no \"psk\" key type in this kernel (%m): not tested here\n",
		       "psk identity in a configured keyring");
	} else {
		config_init(&scfg);
		pair("psk identity, keyring not configured", &cfg, cp, &scfg, sp,
		     EKEYREJECTED, EKEYREJECTED, 0);
		scfg.keyrings = name;
		pair("psk identity in a configured keyring", &cfg, cp, &scfg, sp, 0, 0, 0);
		CHECK(last_s.psk == -1 && last_s.psk_key == key);
		client.key = (const unsigned char *)"fedcba9876543210fedcba9876543210";
		pair("psk from a keyring, wrong key", &cfg, cp, &scfg, sp, EACCES, EACCES, 0);
	}

	scfg.keyrings = "handshaked-test-none";
	c = creds(&scfg);
	printf("%-40s problem: %s\n", "a keyring that is not there",
	       tls_creds_problem(c) ? tls_creds_problem(c) : "(none)");
	CHECK(tls_creds_problem(c) && strstr(tls_creds_problem(c), "handshaked-test-none"));
	tls_creds_free(c);
	keyctl_unlink(ring, KEY_SPEC_SESSION_KEYRING);
	return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	log_init();
	log_set_level(getenv("TEST_DEBUG") ? LOG_DEBUG : LOG_WARNING);
	if (argc < 3) {
		fprintf(stderr, "usage: test-tls pair|connect|serve ...\n");
		return 2;
	}
	if (!strcmp(argv[1], "pair") && argc == 3) {
		dir = argv[2];
		sd_event_new(&loop);
		test_pairs();
		test_role_trust();
		test_psk();
		test_x509_client_without_cert();
		test_keys_from_memory();
		test_failures();
		test_gnutls_init_fails();
	} else if (!strcmp(argv[1], "keyrings")) {
		sd_event_new(&loop);
		return test_keyrings();
	} else if (!strcmp(argv[1], "pkcs11") && argc == 5) {
		/* pkcs11 DIR KEY-URL WRONG-PIN-URL: see test_pkcs11() */
		dir = argv[2];
		sd_event_new(&loop);
		test_pkcs11(argv[3], argv[4]);
	} else if (!strcmp(argv[1], "policy") && argc == 5) {
		/*
		 * policy DIR MIN-VERSION WANT: the default priority under
		 * GNUTLS_SYSTEM_PRIORITY_FILE; WANT is the cipher a pair
		 * negotiates, or EINVAL if the policy leaves kTLS nothing.
		 */
		struct config cc = (dir = argv[2], client_cfg("ca.pem", true));
		struct config sc = server_cfg(CLIENT_AUTH_NONE);
		struct tls_params x509 = { .auth = HANDSHAKE_AUTH_X509, .peername = "localhost" };
		struct tls_creds *c;

		log_set_level(LOG_INFO);
		cc.min_version = sc.min_version = strcmp(argv[3], "1.2") ? 0x304 : 0x303;
		sd_event_new(&loop);
		if (!strcmp(argv[4], "EINVAL")) {
			CHECK(tls_creds_new(&cc, &c) == -EINVAL);
		} else {
			pair("default priority under the policy", &cc, x509, &sc, x509,
			     0, 0, atoi(argv[4]));
			CHECK(last_c.ks.cipher == atoi(argv[4]));
		}
	} else if (!strcmp(argv[1], "connect") && argc >= 6) {
		struct config cc = (dir = argv[3], client_cfg("ca.pem", true));
		struct tls_params p = { .auth = HANDSHAKE_AUTH_X509, .peername = argv[4],
					.role = HANDSHAKE_ROLE_CLIENT };
		int st;

		if (argc > 6 && !strcmp(argv[6], "tls1.2"))
			cc.min_version = 0x303;
		sd_event_new(&loop);
		st = run_one(connect_port(atoi(argv[2])), creds(&cc), &p);
		printf("connect: %s\n", errno_name(st));
		if (strcmp(errno_name(st), argv[5]))
			failures++;
	} else if (!strcmp(argv[1], "serve") && (argc == 4 || argc == 7)) {
		/* serve PORT DIR [psk IDENTITY KEY]: x509, or a PSK server */
		struct config sc = (dir = argv[3], server_cfg(CLIENT_AUTH_NONE));
		struct tls_params p = { .auth = HANDSHAKE_AUTH_X509, .role = HANDSHAKE_ROLE_SERVER };
		struct tls_psk psk;
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
		int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, st;

		if (argc == 7) {
			psk = (struct tls_psk){ argv[5], (unsigned char *)argv[6],
						strlen(argv[6]) };
			p.auth = HANDSHAKE_AUTH_PSK;
			p.psk = &psk;
			p.n_psk = 1;
		}
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(l, (void *)&sin, sizeof(sin)) < 0 || listen(l, 1) < 0) {
			perror("bind");
			return 2;
		}
		printf("listening\n");
		fflush(stdout);
		sd_event_new(&loop);
		st = run_one(accept4(l, NULL, NULL, SOCK_CLOEXEC), creds(&sc), &p);
		printf("serve: %s\n", errno_name(st));
	} else {
		fprintf(stderr, "bad arguments\n");
		return 2;
	}
	sd_event_unref(loop);
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
