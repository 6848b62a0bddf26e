// SPDX-License-Identifier: GPL-2.0-only
/*
 * Non-blocking GnuTLS handshakes, many at once, on one sd-event loop.
 *
 * The socket's file is shared with the kernel consumer, so its flags are
 * left alone: our transport functions pass MSG_DONTWAIT (and MSG_NOSIGNAL)
 * instead of setting O_NONBLOCK on the file.
 *
 * Certificates go through a retrieve callback rather than being set on the
 * credentials: one credential per role (with its trust list, loaded once)
 * can then present either the configured certificate or one a request
 * brought as key serials.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <gnutls/abstract.h>
#include <gnutls/socket.h>
#include <gnutls/gnutls.h>

#include "keys.h"
#include "linux/handshake.h"
#include "log.h"
#include "tls.h"

#define MAX_CHAIN 16
#define TLS_MAX_KEYRINGS 8

struct local_cert {
	gnutls_pcert_st pcert[MAX_CHAIN];
	unsigned int n;
	gnutls_privkey_t key;
};

/* Each role's trust: its own ca-file/crl-file, or [tls]'s. */
struct trust_state {
	char *err;			/* NULL: usable */
	bool named;			/* a ca-file or crl-file, not the system's */
};

struct tls_creds {
	unsigned int refs;		/* the owner and each handshake */
	gnutls_certificate_credentials_t client_x509, server_x509;
	gnutls_psk_server_credentials_t server_psk;
	gnutls_priority_t prio_x509, prio_psk;
	/* n == 0: not configured or not loadable (why: *_err). */
	struct local_cert client_cert, server_cert;
	char *client_err, *server_err;	/* the unusable file, a copy */
	struct trust_state client_trust, server_trust;
	enum client_auth client_auth;
	/* [tls] keyrings: a server's PSKs by identity; *keyring_err: unusable */
	int32_t keyrings[TLS_MAX_KEYRINGS];
	unsigned int n_keyrings;
	char *keyring_err;
};

struct tls_hs {
	gnutls_session_t session;
	gnutls_psk_client_credentials_t client_psk;
	struct local_cert own;		/* from key serials */
	const struct local_cert *cert;	/* what to present, or NULL */
	const struct tls_params *params;
	struct tls_creds *creds;
	bool psk_unknown;		/* server: no identity matched */
	bool psk_sha384;		/* server: offered one we cannot use */
	int32_t psk_key;		/* server: the PSK keys_find_psk() found */
	bool nodelay_set;		/* we turned TCP_NODELAY on: turn it off */
	bool verify_client, require_client;	/* server side */
	/* Client: the name checked; GnuTLS keeps a pointer to it. */
	gnutls_typed_vdata_st vdata;
	unsigned char peer_ip[sizeof(struct in6_addr)];
	int fd;
	sd_event_source *io, *timer;
	tls_done_fn cb;
	void *userdata;
};

static void local_cert_clear(struct local_cert *lc)
{
	for (unsigned int i = 0; i < lc->n; i++)
		gnutls_pcert_deinit(&lc->pcert[i]);
	lc->n = 0;
	if (lc->key)
		gnutls_privkey_deinit(lc->key);
	lc->key = NULL;
}

/*
 * PEM (any armour: a chain) or else DER (one certificate, or one key).
 * Consumers and their tools hand either: mainline's DER, files PEM.
 */
static gnutls_x509_crt_fmt_t data_format(const gnutls_datum_t *d)
{
	return memmem(d->data, d->size, "-----BEGIN ", 11) ?
	       GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER;
}

static const char *format_name(gnutls_x509_crt_fmt_t fmt)
{
	return fmt == GNUTLS_X509_FMT_PEM ? "PEM" : "DER";
}

static int chain_load(struct local_cert *lc, const gnutls_datum_t *cert,
		      const char *what)
{
	gnutls_x509_crt_fmt_t fmt = data_format(cert);
	unsigned int n = MAX_CHAIN;
	int r;

	r = gnutls_pcert_list_import_x509_raw(lc->pcert, &n, cert, fmt, 0);
	if (r < 0 || n == 0) {
		log_err("%s: no usable %s certificate: %s", what, format_name(fmt),
			r < 0 ? gnutls_strerror(r) : "empty");
		return -EIO;
	}
	lc->n = n;
	return 0;
}

static int key_load(struct local_cert *lc, const gnutls_datum_t *key,
		    const char *what)
{
	gnutls_x509_crt_fmt_t fmt = data_format(key);
	int r;

	r = gnutls_privkey_init(&lc->key);
	if (r >= 0)
		r = gnutls_privkey_import_x509_raw(lc->key, key, fmt, NULL, 0);
	if (r < 0) {
		log_err("%s: no usable %s private key: %s", what, format_name(fmt),
			gnutls_strerror(r));
		return -EIO;
	}
	return 0;
}

/* A certificate chain and key from memory. @what names them in logs. */
static int local_cert_load(struct local_cert *lc, const gnutls_datum_t *cert,
			   const gnutls_datum_t *key, const char *what)
{
	if (chain_load(lc, cert, what) < 0 || key_load(lc, key, what) < 0) {
		local_cert_clear(lc);
		return -EIO;
	}
	return 0;
}

static bool is_pkcs11(const char *name)
{
	return !strncmp(name, "pkcs11:", 7);
}

/*
 * @name as logs show it: a PKCS#11 URL's pin-value (any of them) is kept
 * out of the journal; an attribute ends at ';', a query attribute at '&'.
 */
static void display_name(const char *name, char *buf, size_t size)
{
	const char *pin, *end;
	size_t len = 0;

	if (!is_pkcs11(name)) {
		snprintf(buf, size, "%s", name);
		return;
	}
	buf[0] = 0;
	while ((pin = strstr(name, "pin-value=")) && len < size) {
		pin += strlen("pin-value=");
		len += snprintf(buf + len, size - len, "%.*s(hidden)",
				(int)(pin - name), name);
		end = strpbrk(pin, ";&");
		name = end ? end : pin + strlen(pin);
	}
	if (len < size)
		snprintf(buf + len, size - len, "%s", name);
}

/*
 * The certificate from a file, or a token's through its PKCS#11 URL (one
 * certificate, no chain).
 */
static int chain_from(struct local_cert *lc, const char *file, const char *what)
{
	gnutls_datum_t cert = { 0 };
	gnutls_x509_crt_t crt;
	int r;

	if (!is_pkcs11(file)) {
		r = gnutls_load_file(file, &cert);
		if (r < 0) {
			log_err("%s: cannot read: %s", what, gnutls_strerror(r));
			return -EIO;
		}
		r = chain_load(lc, &cert, what);
		gnutls_free(cert.data);
		return r;
	}
	r = gnutls_x509_crt_init(&crt);
	if (r >= 0) {
		r = gnutls_x509_crt_import_url(crt, file, 0);
		if (r >= 0)
			r = gnutls_pcert_import_x509(&lc->pcert[0], crt, 0);
		gnutls_x509_crt_deinit(crt);
	}
	if (r < 0) {
		log_err("%s: no usable PKCS#11 certificate: %s", what, gnutls_strerror(r));
		return -EIO;
	}
	lc->n = 1;
	return 0;
}

/*
 * The private key from a file, or a reference to a token's: the key stays
 * on the token, which signs for each handshake.
 */
static int key_from(struct local_cert *lc, const char *file, const char *what)
{
	gnutls_datum_t key = { 0 };
	int r;

	if (!is_pkcs11(file)) {
		r = gnutls_load_file(file, &key);
		if (r < 0) {
			log_err("%s: cannot read: %s", what, gnutls_strerror(r));
			return -EIO;
		}
		r = key_load(lc, &key, what);
		gnutls_memset(key.data, 0, key.size);
		gnutls_free(key.data);
		return r;
	}
	r = gnutls_privkey_init(&lc->key);
	if (r >= 0)
		r = gnutls_privkey_import_url(lc->key, file, 0);
	if (r < 0) {
		log_err("%s: no usable PKCS#11 private key: %s", what, gnutls_strerror(r));
		return -EIO;
	}
	return 0;
}

/*
 * Returns 0, or -EIO with *bad the (displayed) name of the file or URL
 * that could not be used, or -ENOMEM.
 */
static int local_cert_load_files(struct local_cert *lc, const char *cert_file,
				 const char *key_file, char **bad)
{
	char cert_name[512], key_name[512];

	display_name(cert_file, cert_name, sizeof(cert_name));
	display_name(key_file, key_name, sizeof(key_name));
	if (chain_from(lc, cert_file, cert_name) < 0) {
		*bad = strdup(cert_name);
	} else if (key_from(lc, key_file, key_name) < 0) {
		*bad = strdup(key_name);
	} else {
		return 0;
	}
	local_cert_clear(lc);
	return *bad ? -EIO : -ENOMEM;
}

static int retrieve_cert(gnutls_session_t session,
			 const gnutls_datum_t *req_ca_rdn, int nreqs,
			 const gnutls_pk_algorithm_t *pk_algos,
			 int pk_algos_length, gnutls_pcert_st **pcert,
			 unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
	struct tls_hs *hs = gnutls_session_get_ptr(session);

	(void)req_ca_rdn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	if (!hs->cert) {
		/* A client may answer a certificate request with nothing. */
		*pcert = NULL;
		*pcert_length = 0;
		*privkey = NULL;
		return 0;
	}
	*pcert = (gnutls_pcert_st *)hs->cert->pcert;
	*pcert_length = hs->cert->n;
	*privkey = hs->cert->key;
	return 0;
}

/*
 * NVMe's TLS PSK identities name their hash: "NVMe" version type HH,
 * where HH 02 is SHA-384. The agent hands GnuTLS external PSKs without a
 * hash, which binds them to SHA-256 (a hash per PSK needs GnuTLS 3.8.1's
 * API; Debian 12 has 3.7.9), so such a key would fail against its peer
 * with a misleading decrypt error: say what it is instead.
 */
static bool psk_needs_sha384(const char *identity)
{
	return strlen(identity) >= 8 && !strncmp(identity, "NVMe", 4) &&
	       !strncmp(identity + 6, "02", 2);
}

static void log_sha384(const char *identity)
{
	log_err("PSK \"%s\" is for SHA-384 (NVMe hash 02): handshaked uses PSKs with SHA-256 only",
		identity);
}

static int psk_lookup(gnutls_session_t session, const char *identity,
		      gnutls_datum_t *key)
{
	struct tls_hs *hs = gnutls_session_get_ptr(session);
	struct user_key found;

	if (psk_needs_sha384(identity)) {
		log_sha384(identity);
		hs->psk_sha384 = true;
		return -1;
	}
	for (size_t i = 0; i < hs->params->n_psk; i++) {
		const struct tls_psk *p = &hs->params->psk[i];

		if (strcmp(p->identity, identity))
			continue;
		/* GnuTLS frees (and does not wipe) what we hand it. */
		key->data = gnutls_malloc(p->key_len);
		if (!key->data)
			return -1;
		memcpy(key->data, p->key, p->key_len);
		key->size = p->key_len;
		return 0;
	}
	/*
	 * A server may know more identities than the request names: in the
	 * request's keyring, then in those the configuration names.
	 */
	hs->psk_key = keys_find_psk(hs->params->keyring, identity, &found);
	for (unsigned int i = 0; !hs->psk_key && i < hs->creds->n_keyrings; i++)
		hs->psk_key = keys_find_psk(hs->creds->keyrings[i], identity, &found);
	if (hs->psk_key > 0) {
		key->data = gnutls_malloc(found.len);
		if (key->data) {
			memcpy(key->data, found.data, found.len);
			key->size = found.len;
		}
		keys_free(&found);
		return key->data ? 0 : -1;
	}
	log_debug("PSK identity \"%s\" not among the request's nor in any keyring", identity);
	hs->psk_unknown = true;
	return -1;
}

/*
 * Server side client-certificate check. Not gnutls_session_set_verify_cert():
 * that fails a client which sends no certificate even when one is only
 * optional.
 */
static int verify_client(gnutls_session_t session)
{
	struct tls_hs *hs = gnutls_session_get_ptr(session);
	unsigned int n = 0, status = 0;
	gnutls_datum_t out;

	if (!hs->verify_client)
		return 0;
	if (!gnutls_certificate_get_peers(session, &n) || !n)
		return hs->require_client ? -1 : 0;
	if (gnutls_certificate_verify_peers3(session, NULL, &status) < 0)
		return -1;
	if (status) {
		if (gnutls_certificate_verification_status_print(status,
				GNUTLS_CRT_X509, &out, 0) >= 0) {
			log_info("client certificate rejected: %s", out.data);
			gnutls_free(out.data);
		}
		return -1;
	}
	return 0;
}

/*
 * The default priority: the system's policy (GnuTLS's @SYSTEM keyword,
 * where its configuration file defines one), else GnuTLS's NORMAL,
 * restricted to what kTLS takes: TLS 1.3 (and 1.2 with min-version 1.2),
 * the AEAD ciphers ktls_map() knows, in the policy's order. Restricting
 * by naming only what the policy already enables turns on no version or
 * cipher it turned off (PSK handshakes add the PSK key exchanges to it,
 * tls_creds_new()). Returns a string to free, or NULL (logged).
 */
static char *default_priority(unsigned int min_version)
{
	static const unsigned int ktls_ciphers[] = {
		GNUTLS_CIPHER_AES_128_GCM, GNUTLS_CIPHER_AES_256_GCM,
		GNUTLS_CIPHER_CHACHA20_POLY1305,
	};
	const char *base = "@SYSTEM", *where;
	bool policy = true;
	const unsigned int *list;
	gnutls_priority_t prio;
	char vers[64] = "", ciphers[128] = "", *out = NULL;
	int n;

	if (gnutls_priority_init(&prio, base, &where) < 0) {
		base = "NORMAL";
		policy = false;
		if (gnutls_priority_init(&prio, base, &where) < 0) {
			log_err("GnuTLS refuses its own NORMAL priority");
			return NULL;
		}
	}
	n = gnutls_priority_protocol_list(prio, &list);
	for (int i = 0; i < n; i++)
		if (list[i] == GNUTLS_TLS1_3 ||
		    (list[i] == GNUTLS_TLS1_2 && min_version <= 0x303))
			snprintf(vers + strlen(vers), sizeof(vers) - strlen(vers),
				 ":+VERS-%s", gnutls_protocol_get_name(list[i]));
	n = gnutls_priority_cipher_list(prio, &list);
	for (int i = 0; i < n; i++)
		for (size_t k = 0; k < sizeof(ktls_ciphers) / sizeof(ktls_ciphers[0]); k++)
			if (list[i] == ktls_ciphers[k])
				snprintf(ciphers + strlen(ciphers),
					 sizeof(ciphers) - strlen(ciphers), ":+%s",
					 gnutls_cipher_get_name(list[i]));
	gnutls_priority_deinit(prio);
	if (!*vers || !*ciphers) {
		log_err("%s allows no %s kTLS takes",
			policy ? "the system policy (@SYSTEM)" : "NORMAL",
			*vers ? "cipher" : "TLS version");
		return NULL;
	}
	/* TLS 1.2's RSA key exchange has no forward secrecy. */
	if (asprintf(&out, "%s:-VERS-ALL%s:-CIPHER-ALL%s:-MAC-ALL:+AEAD%s", base,
		     vers, ciphers, strstr(vers, "1.2") ? ":-RSA" : "") < 0) {
		log_err("%s", strerror(ENOMEM));
		return NULL;
	}
	log_info("TLS priority: %s (%s)", out, policy ?
		 "the system policy, restricted to kTLS" :
		 "GnuTLS's NORMAL, restricted to kTLS: no system policy");
	return out;
}

static int prio_init(gnutls_priority_t *prio, const char *base,
		     const char *extra)
{
	const char *where = NULL;
	char buf[1024];
	int r;

	snprintf(buf, sizeof(buf), "%s%s", base, extra);
	r = gnutls_priority_init(prio, buf, &where);
	if (r < 0) {
		log_err("priority string \"%s\" invalid at \"%s\": %s", buf,
			where ? where : "", gnutls_strerror(r));
		return -EINVAL;
	}
	return 0;
}

/*
 * Load one role's trust into @cred: each of its own files, else the one
 * [tls] sets, else the system's CAs and no CRL. An unusable trust is logged, not
 * fatal (the role's x509 verification fails with EIO): -ENOMEM only.
 */
static int load_trust(gnutls_certificate_credentials_t cred, const char *role,
		      const struct trust_files *own,
		      const struct trust_files *shared, struct trust_state *t)
{
	const char *ca = own->ca_file ? own->ca_file : shared->ca_file;
	const char *crl = own->crl_file ? own->crl_file : shared->crl_file;
	const char *bad = NULL, *why = NULL;
	int n, r;

	t->named = ca || crl;
	n = ca ? gnutls_certificate_set_x509_trust_file(cred, ca, GNUTLS_X509_FMT_PEM)
	       : gnutls_certificate_set_x509_system_trust(cred);
	if (n <= 0) {
		bad = ca ? ca : "system trust";
		why = n < 0 ? gnutls_strerror(n) : "no certificates";
	} else if (crl) {
		/* Revocations count as part of the trust: loaded once, with it. */
		r = gnutls_certificate_set_x509_crl_file(cred, crl, GNUTLS_X509_FMT_PEM);
		if (r < 0) {
			bad = crl;
			why = gnutls_strerror(r);
		} else {
			log_debug("%s trust: %d CRLs from %s", role, r, crl);
		}
	}
	if (!bad) {
		log_debug("%s trust: %d certificates from %s", role, n,
			  ca ? ca : "the system");
		return 0;
	}
	if (asprintf(&t->err, "%s: %s", bad, why) < 0) {
		t->err = NULL;
		return -ENOMEM;
	}
	log_warn("%s trust unusable (%s): x509 verification will fail with EIO",
		 role, t->err);
	return 0;
}

const char *tls_creds_problem(const struct tls_creds *c)
{
	/* An empty system store is only a warning (PSK-only agents). */
	if (c->client_trust.err && c->client_trust.named)
		return c->client_trust.err;
	if (c->server_trust.err && c->server_trust.named)
		return c->server_trust.err;
	if (c->keyring_err)
		return c->keyring_err;
	if (c->client_err)
		return c->client_err;
	return c->server_err;
}

/*
 * [tls] keyrings: names separated by spaces or commas. One that cannot be
 * used is the credentials' problem (a reload keeps the old ones); -ENOMEM
 * only.
 */
static int use_keyrings(struct tls_creds *c, const char *names)
{
	char *list, *save = NULL;
	int32_t serial;

	if (!names)
		return 0;
	list = strdup(names);
	if (!list)
		return -ENOMEM;
	for (char *name = strtok_r(list, " \t,", &save); name;
	     name = strtok_r(NULL, " \t,", &save)) {
		if (c->n_keyrings == TLS_MAX_KEYRINGS) {
			log_err("keyrings: more than %d; \"%s\" and after are ignored",
				TLS_MAX_KEYRINGS, name);
			serial = -E2BIG;
		} else {
			serial = keys_use_keyring(name);
		}
		if (serial > 0) {
			c->keyrings[c->n_keyrings++] = serial;
		} else if (!c->keyring_err &&
			   asprintf(&c->keyring_err, "keyring %s: %s", name,
				    strerror(-serial)) < 0) {
			c->keyring_err = NULL;
			free(list);
			return -ENOMEM;
		}
	}
	free(list);
	return 0;
}

int tls_creds_new(const struct config *cfg, struct tls_creds **out)
{
	struct tls_creds *c;
	char *base;
	int r;

	if (cfg->priority) {
		log_info("TLS priority: %s (the configuration's)", cfg->priority);
		base = strdup(cfg->priority);
		if (!base)
			return -ENOMEM;
	} else {
		base = default_priority(cfg->min_version);
		if (!base)
			return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		free(base);
		return -ENOMEM;
	}
	c->refs = 1;
	c->client_auth = cfg->client_auth;

	if (gnutls_certificate_allocate_credentials(&c->client_x509) < 0 ||
	    gnutls_certificate_allocate_credentials(&c->server_x509) < 0 ||
	    gnutls_psk_allocate_server_credentials(&c->server_psk) < 0) {
		free(base);
		r = -ENOMEM;
		goto fail;
	}
	r = prio_init(&c->prio_x509, base, "");
	if (r == 0)
		r = prio_init(&c->prio_psk, base, ":+ECDHE-PSK:+DHE-PSK:+PSK");
	free(base);
	if (r < 0)
		goto fail;

	gnutls_certificate_set_retrieve_function2(c->client_x509, retrieve_cert);
	gnutls_certificate_set_retrieve_function2(c->server_x509, retrieve_cert);
	gnutls_certificate_set_verify_function(c->server_x509, verify_client);
	gnutls_psk_set_server_credentials_function(c->server_psk, psk_lookup);

	r = load_trust(c->client_x509, "client", &cfg->client_trust, &cfg->trust,
		       &c->client_trust);
	if (r == 0)
		r = load_trust(c->server_x509, "server", &cfg->server_trust,
			       &cfg->trust, &c->server_trust);
	if (r < 0)
		goto fail;

	r = use_keyrings(c, cfg->keyrings);
	if (r < 0)
		goto fail;

	/* Copies: the credentials outlive the configuration (SIGHUP). */
	r = -ENOMEM;
	if (cfg->client_cert &&
	    local_cert_load_files(&c->client_cert, cfg->client_cert, cfg->client_key,
				  &c->client_err) == -ENOMEM)
		goto fail;
	if (cfg->server_cert &&
	    local_cert_load_files(&c->server_cert, cfg->server_cert, cfg->server_key,
				  &c->server_err) == -ENOMEM)
		goto fail;
	*out = c;
	return 0;
fail:
	tls_creds_free(c);
	return r;
}

void tls_creds_free(struct tls_creds *c)
{
	if (!c || --c->refs > 0)
		return;
	if (c->client_x509)
		gnutls_certificate_free_credentials(c->client_x509);
	if (c->server_x509)
		gnutls_certificate_free_credentials(c->server_x509);
	if (c->server_psk)
		gnutls_psk_free_server_credentials(c->server_psk);
	if (c->prio_x509)
		gnutls_priority_deinit(c->prio_x509);
	if (c->prio_psk)
		gnutls_priority_deinit(c->prio_psk);
	local_cert_clear(&c->client_cert);
	local_cert_clear(&c->server_cert);
	free(c->client_trust.err);
	free(c->server_trust.err);
	free(c->keyring_err);
	free(c->client_err);
	free(c->server_err);
	free(c);
}

static ssize_t hs_push(gnutls_transport_ptr_t ptr, const void *buf, size_t len)
{
	struct tls_hs *hs = ptr;
	ssize_t n = send(hs->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0)
		gnutls_transport_set_errno(hs->session, errno);
	return n;
}

static ssize_t hs_vec_push(gnutls_transport_ptr_t ptr, const giovec_t *iov,
			   int iovcnt)
{
	struct tls_hs *hs = ptr;
	struct msghdr msg = {
		/* giovec_t is struct iovec's twin (same layout by design). */
		.msg_iov = (struct iovec *)iov,
		.msg_iovlen = iovcnt,
	};
	ssize_t n = sendmsg(hs->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0)
		gnutls_transport_set_errno(hs->session, errno);
	return n;
}

static ssize_t hs_pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
	struct tls_hs *hs = ptr;
	ssize_t n = recv(hs->fd, buf, len, MSG_DONTWAIT);

	if (n < 0)
		gnutls_transport_set_errno(hs->session, errno);
	return n;
}

/* GnuTLS error -> the positive errno the kernel consumer gets. */
static int hs_status(struct tls_hs *hs, int r)
{
	switch (r) {
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
		if (gnutls_alert_get(hs->session) == GNUTLS_A_UNKNOWN_PSK_IDENTITY)
			return EKEYREJECTED;
		return EACCES;
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
	case GNUTLS_E_PUSH_ERROR:
	case GNUTLS_E_PULL_ERROR:
		return ECONNRESET;
	case GNUTLS_E_MEMORY_ERROR:
	case GNUTLS_E_INTERNAL_ERROR:
		return EIO;
	}
	if (hs->psk_sha384)
		return EIO;
	if (hs->psk_unknown)
		return EKEYREJECTED;
	/* Verification, name mismatch, no common parameters: refused. */
	return EACCES;
}

/*
 * A handshake is a few small flights, each of which Nagle would hold back
 * until the previous one is acknowledged: TCP_NODELAY while it runs, and
 * the consumer's own setting afterwards.
 */
static void nodelay_on(struct tls_hs *hs)
{
	int on = 0;
	socklen_t len = sizeof(on);

	if (getsockopt(hs->fd, IPPROTO_TCP, TCP_NODELAY, &on, &len) == 0 && !on &&
	    setsockopt(hs->fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int)) == 0)
		hs->nodelay_set = true;
}

static void nodelay_restore(struct tls_hs *hs)
{
	if (hs->nodelay_set)
		setsockopt(hs->fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 0 }, sizeof(int));
	hs->nodelay_set = false;
}

static void hs_free(struct tls_hs *hs)
{
	nodelay_restore(hs);
	sd_event_source_disable_unref(hs->io);
	sd_event_source_disable_unref(hs->timer);
	if (hs->session)
		gnutls_deinit(hs->session);
	if (hs->client_psk)
		gnutls_psk_free_client_credentials(hs->client_psk);
	local_cert_clear(&hs->own);
	tls_creds_free(hs->creds);
	free(hs);
}

static void hs_finish(struct tls_hs *hs, int status, const struct ktls_session *ks,
		      const struct tls_peer_id *peer)
{
	/*
	 * Off epoll before the callback closes the fd: the kernel holds the
	 * socket's file too, so close() alone would leave the registration
	 * (and its pointer to the freed source) in the epoll set.
	 */
	hs->io = sd_event_source_disable_unref(hs->io);
	hs->timer = sd_event_source_disable_unref(hs->timer);
	nodelay_restore(hs);	/* before the socket goes back */
	hs->cb(hs, status, ks, peer, hs->userdata);
	hs_free(hs);
}

static int export_dir(struct tls_hs *hs, int read, uint16_t version,
		      struct ktls_crypto *out, int *cipher)
{
	gnutls_datum_t iv, key;
	unsigned char seq[8];
	int r;

	r = gnutls_record_get_state(hs->session, read, NULL, &iv, &key, seq);
	if (r < 0) {
		log_err("cannot export record state: %s", gnutls_strerror(r));
		return -EIO;
	}
	r = ktls_map(version, gnutls_cipher_get(hs->session),
		     gnutls_mac_get(hs->session), &key, &iv, seq, out);
	gnutls_memset(seq, 0, sizeof(seq));
	if (r < 0) {
		log_err("negotiated %s / %s / %s cannot go to kTLS",
			gnutls_protocol_get_name(gnutls_protocol_get_version(hs->session)),
			gnutls_cipher_get_name(gnutls_cipher_get(hs->session)),
			gnutls_mac_get_name(gnutls_mac_get(hs->session)));
		return -EIO;
	}
	*cipher = r;
	return 0;
}

/*
 * What the peer proved. A client always verified the server's certificate
 * (gnutls_session_set_verify_cert2); a server only when it asked for one
 * and got one (verify_client() checked it).
 */
static void peer_identity(struct tls_hs *hs, struct tls_peer_id *peer)
{
	bool server = hs->params->role == HANDSHAKE_ROLE_SERVER;
	const gnutls_datum_t *certs;
	unsigned int n = 0;
	const char *name;

	peer->psk = -1;
	peer->psk_key = 0;
	peer->cert = NULL;
	switch (gnutls_auth_get_type(hs->session)) {
	case GNUTLS_CRD_PSK:
		if (!server) {
			/* We offer only the first. */
			peer->psk = hs->params->n_psk ? 0 : -1;
			break;
		}
		name = gnutls_psk_server_get_username(hs->session);
		for (size_t i = 0; name && i < hs->params->n_psk; i++)
			if (!strcmp(hs->params->psk[i].identity, name)) {
				peer->psk = (int)i;
				break;
			}
		if (peer->psk < 0)
			peer->psk_key = hs->psk_key;
		break;
	case GNUTLS_CRD_CERTIFICATE:
		if (server && !hs->verify_client)
			break;
		certs = gnutls_certificate_get_peers(hs->session, &n);
		if (certs && n)
			peer->cert = &certs[0];
		break;
	default:
		break;
	}
}

static void hs_succeeded(struct tls_hs *hs)
{
	struct ktls_session ks = { 0 };
	struct tls_peer_id peer;
	int cipher;

	/*
	 * Anything GnuTLS already read past the handshake would never reach
	 * the consumer once the kernel takes over the socket.
	 */
	if (gnutls_record_check_pending(hs->session)) {
		log_err("data arrived after the handshake; cannot hand over");
		hs_finish(hs, EIO, NULL, NULL);
		return;
	}
	if (gnutls_transport_is_ktls_enabled(hs->session)) {
		log_err("GnuTLS enabled its own kTLS (ktls in the GnuTLS config); refusing");
		hs_finish(hs, EIO, NULL, NULL);
		return;
	}
	ks.version = ktls_version(gnutls_protocol_get_version(hs->session));
	if (export_dir(hs, 0, ks.version, &ks.tx, &cipher) < 0 ||
	    export_dir(hs, 1, ks.version, &ks.rx, &cipher) < 0) {
		ktls_session_wipe(&ks);
		hs_finish(hs, EIO, NULL, NULL);
		return;
	}
	ks.cipher = cipher;
	peer_identity(hs, &peer);
	hs_finish(hs, 0, &ks, &peer);
	ktls_session_wipe(&ks);
}

static void log_verify_error(struct tls_hs *hs)
{
	unsigned int status = gnutls_session_get_verify_cert_status(hs->session);
	gnutls_datum_t out;

	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
							 &out, 0) >= 0) {
		log_info("server certificate rejected: %s", out.data);
		gnutls_free(out.data);
	}
}

static void hs_step(struct tls_hs *hs)
{
	int r, rounds = 0;

	/* Non-fatal results (warning alerts) mean "call again"; not forever. */
	do {
		r = gnutls_handshake(hs->session);
		if (r == GNUTLS_E_WARNING_ALERT_RECEIVED)
			log_debug("warning alert: %s",
				  gnutls_alert_get_name(gnutls_alert_get(hs->session)));
	} while (r < 0 && !gnutls_error_is_fatal(r) && r != GNUTLS_E_AGAIN &&
		 ++rounds < 32);
	if (r < 0 && r != GNUTLS_E_AGAIN && !gnutls_error_is_fatal(r)) {
		hs_finish(hs, EPROTO, NULL, NULL);
		return;
	}

	if (r == GNUTLS_E_AGAIN) {
		sd_event_source_set_io_events(hs->io,
			gnutls_record_get_direction(hs->session) ? EPOLLOUT : EPOLLIN);
		return;
	}
	if (r < 0) {
		int status = hs_status(hs, r);

		log_debug("handshake failed: %s", gnutls_strerror(r));
		if (r == GNUTLS_E_FATAL_ALERT_RECEIVED)
			log_debug("alert from the peer: %s",
				  gnutls_alert_get_name(gnutls_alert_get(hs->session)));
		if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
			log_verify_error(hs);
		/* Best effort: tell the peer why; never wait for it. */
		if (hs->psk_unknown)
			gnutls_alert_send(hs->session, GNUTLS_AL_FATAL,
					  GNUTLS_A_UNKNOWN_PSK_IDENTITY);
		else if (status != ECONNRESET)
			gnutls_alert_send_appropriate(hs->session, r);
		hs_finish(hs, status, NULL, NULL);
		return;
	}
	hs_succeeded(hs);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	(void)s;
	(void)fd;
	(void)revents;
	hs_step(userdata);
	return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)s;
	(void)usec;
	hs_finish(userdata, ETIMEDOUT, NULL, NULL);
	return 0;
}

static bool is_ip_literal(const char *name)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, buf) == 1 ||
	       inet_pton(AF_INET6, name, buf) == 1;
}

/*
 * The address the socket is connected to, raw (4 or 16 bytes; an
 * IPv4-mapped IPv6 address as IPv4), in hs->peer_ip. Returns its length,
 * or 0 if there is none.
 */
static unsigned int peer_address(struct tls_hs *hs)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);
	const struct sockaddr_in6 *sin6 = (const void *)&ss;

	if (getpeername(hs->fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET) {
		memcpy(hs->peer_ip, &((const struct sockaddr_in *)&ss)->sin_addr, 4);
		return 4;
	}
	if (ss.ss_family != AF_INET6)
		return 0;
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memcpy(hs->peer_ip, &sin6->sin6_addr.s6_addr[12], 4);
		return 4;
	}
	memcpy(hs->peer_ip, &sin6->sin6_addr, 16);
	return 16;
}

/*
 * Client: what the server's certificate must name. The peer name, as SNI
 * too if it is a DNS name; an IP address (given as the peer name, or the
 * connected address when there is no peer name) must be one of the
 * certificate's IP address SANs: never matched against DNS names or the
 * common name.
 */
static int hs_setup_name(struct tls_hs *hs)
{
	const char *name = hs->params->peername;
	char text[INET6_ADDRSTRLEN];
	unsigned int len = 0;

	if (name && *name && !is_ip_literal(name)) {
		gnutls_server_name_set(hs->session, GNUTLS_NAME_DNS, name,
				       strlen(name));
		hs->vdata.type = GNUTLS_DT_DNS_HOSTNAME;
		hs->vdata.data = (unsigned char *)name;
		hs->vdata.size = 0;
	} else {
		if (name && *name) {
			if (inet_pton(AF_INET, name, hs->peer_ip) == 1)
				len = 4;
			else if (inet_pton(AF_INET6, name, hs->peer_ip) == 1)
				len = 16;
		} else {
			len = peer_address(hs);
			if (!len) {
				log_err("no peer name, and the socket's peer address is "
					"unknown: nothing to check the server's certificate against");
				return -EIO;
			}
			inet_ntop(len == 4 ? AF_INET : AF_INET6, hs->peer_ip, text,
				  sizeof(text));
			log_debug("no peer name: the server's certificate must carry IP address %s",
				  text);
		}
		hs->vdata.type = GNUTLS_DT_IP_ADDRESS;
		hs->vdata.data = hs->peer_ip;
		hs->vdata.size = len;
	}
	gnutls_session_set_verify_cert2(hs->session, &hs->vdata, 1, 0);
	return 0;
}

/* Decide what to present and how to verify; EIO if config cannot do it. */
static int hs_setup_x509(struct tls_hs *hs, struct tls_creds *c)
{
	const struct tls_params *p = hs->params;
	bool server = p->role == HANDSHAKE_ROLE_SERVER;
	/*
	 * A client always verifies the server: "unauth" only means that it
	 * does not authenticate itself. A server verifies clients on x509
	 * requests, as client-auth says.
	 */
	bool verify = !server || (p->auth == HANDSHAKE_AUTH_X509 &&
				  c->client_auth != CLIENT_AUTH_NONE);
	const struct trust_state *trust;
	int r;

	if (p->cert && p->key) {
		r = local_cert_load(&hs->own, p->cert, p->key,
				    "certificate from key serials");
		if (r < 0)
			return r;
		hs->cert = &hs->own;
	} else if (server || p->auth == HANDSHAKE_AUTH_X509) {
		/* An unauthenticated client presents nothing. */
		const struct local_cert *lc = server ? &c->server_cert : &c->client_cert;
		const char *err = server ? c->server_err : c->client_err;

		if (err) {
			log_err("%s certificate %s is unusable", server ? "server" : "client", err);
			return -EIO;
		}
		if (lc->n) {
			hs->cert = lc;
		} else if (server) {
			log_err("no server certificate: set cert-file/key-file in [server]");
			return -EIO;
		} else {
			/* auth=unauth is the request for server-only authentication. */
			log_err("x509 client request without a client certificate: "
				"the request names none and [client] sets no cert-file/key-file");
			return -EIO;
		}
	}
	trust = server ? &c->server_trust : &c->client_trust;
	if (verify && trust->err) {
		log_err("cannot verify the peer: %s", trust->err);
		return -EIO;
	}

	r = gnutls_credentials_set(hs->session, GNUTLS_CRD_CERTIFICATE,
				   server ? c->server_x509 : c->client_x509);
	if (r < 0)
		return -EIO;
	if (server) {
		if (verify) {
			hs->verify_client = true;
			hs->require_client = c->client_auth == CLIENT_AUTH_REQUIRED;
			gnutls_certificate_server_set_request(hs->session,
				hs->require_client ? GNUTLS_CERT_REQUIRE
						   : GNUTLS_CERT_REQUEST);
		}
		return 0;
	}

	return hs_setup_name(hs);
}

static int hs_setup_psk(struct tls_hs *hs, struct tls_creds *c)
{
	const struct tls_params *p = hs->params;
	gnutls_datum_t key;
	int r;

	/* A server may find its PSKs in the keyrings alone. */
	if (p->role == HANDSHAKE_ROLE_SERVER)
		return gnutls_credentials_set(hs->session, GNUTLS_CRD_PSK,
					      c->server_psk) < 0 ? -EIO : 0;

	if (!p->n_psk) {
		log_err("PSK client request without any PSK");
		return -EIO;
	}
	/*
	 * GnuTLS offers one identity per ClientHello, and a connection does
	 * not outlive a failed handshake: the first is offered, the rest not.
	 */
	if (p->n_psk > 1)
		log_debug("PSK client: offering \"%s\", the first of %zu",
			  p->psk[0].identity, p->n_psk);
	if (psk_needs_sha384(p->psk[0].identity)) {
		log_sha384(p->psk[0].identity);
		return -EIO;
	}
	if (gnutls_psk_allocate_client_credentials(&hs->client_psk) < 0)
		return -ENOMEM;
	key.data = (unsigned char *)p->psk[0].key;
	key.size = p->psk[0].key_len;
	r = gnutls_psk_set_client_credentials(hs->client_psk, p->psk[0].identity,
					      &key, GNUTLS_PSK_KEY_RAW);
	if (r < 0) {
		log_err("PSK \"%s\" unusable: %s", p->psk[0].identity, gnutls_strerror(r));
		return -EIO;
	}
	return gnutls_credentials_set(hs->session, GNUTLS_CRD_PSK,
				      hs->client_psk) < 0 ? -EIO : 0;
}

int tls_hs_start(sd_event *e, struct tls_creds *c, int fd,
		 const struct tls_params *p, tls_done_fn cb, void *userdata,
		 struct tls_hs **out)
{
	bool server = p->role == HANDSHAKE_ROLE_SERVER;
	struct tls_hs *hs;
	int r;

	if (p->role != HANDSHAKE_ROLE_CLIENT && !server)
		return -EINVAL;
	hs = calloc(1, sizeof(*hs));
	if (!hs)
		return -ENOMEM;
	/* A reload may replace the credentials while this one runs. */
	hs->creds = c;
	c->refs++;
	hs->fd = fd;
	nodelay_on(hs);
	hs->params = p;
	hs->cb = cb;
	hs->userdata = userdata;

	/* No tickets: the session is never resumed, and kTLS cannot carry them. */
	r = gnutls_init(&hs->session, (server ? GNUTLS_SERVER : GNUTLS_CLIENT) |
			GNUTLS_NONBLOCK | GNUTLS_NO_TICKETS);
	if (r < 0) {
		hs->session = NULL;
		hs_free(hs);	/* and the reference to the credentials */
		return -ENOMEM;
	}
	gnutls_session_set_ptr(hs->session, hs);
	gnutls_transport_set_ptr(hs->session, hs);
	gnutls_transport_set_push_function(hs->session, hs_push);
	gnutls_transport_set_vec_push_function(hs->session, hs_vec_push);
	gnutls_transport_set_pull_function(hs->session, hs_pull);
	/* Our timer is the only deadline. */
	gnutls_handshake_set_timeout(hs->session, GNUTLS_INDEFINITE_TIMEOUT);

	switch (p->auth) {
	case HANDSHAKE_AUTH_PSK:
		r = gnutls_priority_set(hs->session, c->prio_psk) < 0 ?
		    -EIO : hs_setup_psk(hs, c);
		break;
	case HANDSHAKE_AUTH_X509:
	case HANDSHAKE_AUTH_UNAUTH:
		r = gnutls_priority_set(hs->session, c->prio_x509) < 0 ?
		    -EIO : hs_setup_x509(hs, c);
		break;
	default:
		r = -EINVAL;
	}
	if (r < 0)
		goto fail;

	r = sd_event_add_io(e, &hs->io, fd, server ? EPOLLIN : EPOLLOUT, on_io, hs);
	if (r < 0)
		goto fail;
	r = sd_event_add_time_relative(e, &hs->timer, CLOCK_MONOTONIC,
				       p->timeout_usec, 0, on_timeout, hs);
	if (r < 0)
		goto fail;
	*out = hs;
	return 0;
fail:
	hs_free(hs);
	return r;
}

void tls_hs_abort(struct tls_hs *hs)
{
	if (hs)
		hs_free(hs);
}
