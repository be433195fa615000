/*
 * tls: OpenSSL contexts and connections for the control channel.
 * The choices here follow the pitfalls OpenSSL leaves open by default:
 * TLS 1.3 only, a fixed group list, verification that fails without a peer
 * certificate, trust in the configured CA file only (never the system
 * store), hostname/IP checks on the client, and no session tickets or cache
 * so every connection presents and verifies a certificate.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"

#define TLS_GROUPS "X25519:P-256:P-384"
#define TLS_OUTBUF 16384
#define STAMP_EXPORTER_LABEL "EXPORTER-pktmon-stamp-hmac-v1"

struct tls_ctx {
	SSL_CTX *ctx;
	enum tls_role role;
};

struct tls_conn {
	SSL *ssl;
	int client;
	int want_write;
	size_t outlen;
	uint8_t out[TLS_OUTBUF];
	char err[256];
	char peer[128];
	char expect[128];	/* the name a client asked for, for messages */
};

static int
tls_file_check(const char *what, const char *path, char *err, size_t errlen)
{
	FILE *f;

	if (path == NULL || *path == '\0') {
		snprintf(err, errlen, "no %s file given", what);
		return PM_E_SYS;
	}
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot read %s file %s: %s", what, path,
		    strerror(errno));
		return PM_E_SYS;
	}
	fclose(f);
	return 0;
}

static int
tls_fail(const char *what, const char *path, char *err, size_t errlen)
{
	unsigned long e = ERR_peek_last_error();
	char buf[160];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "%s %s: %s", what, path,
	    e ? ERR_reason_error_string(e) ? ERR_reason_error_string(e) : buf :
	    "unusable");
	ERR_clear_error();
	return PM_E_TLS;
}

static int
tls_ctx_policy(SSL_CTX *ctx, enum tls_role role)
{
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set1_groups_list(ctx, TLS_GROUPS))
		return PM_E_TLS;
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* A control channel is idle but for a keepalive every few seconds:
	 * without RELEASE_BUFFERS each holds ~34 KiB of read and write
	 * buffers, a third of the server's memory at 1,000 clients. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
	    NULL);
	SSL_CTX_set_verify_depth(ctx, 4);
	/* The peer's certificate must carry the EKU for its role. */
	return SSL_CTX_set_purpose(ctx, role == TLS_ROLE_SERVER ?
	    X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER) ? 0 : PM_E_TLS;
}

static int
tls_ctx_crl(SSL_CTX *ctx, const char *crl, char *err, size_t errlen)
{
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	X509_LOOKUP *lu;

	if ((lu = X509_STORE_add_lookup(st, X509_LOOKUP_file())) == NULL ||
	    X509_load_crl_file(lu, crl, X509_FILETYPE_PEM) < 1)
		return tls_fail("cannot use CRL file", crl, err, errlen);
	/* Check the leaf only: the CA's own CRL covers the certificates it issued. */
	X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	return 0;
}

static int
tls_ctx_load(SSL_CTX *ctx, enum tls_role role, const char *cert,
    const char *key, const char *ca, char *err, size_t errlen)
{
	STACK_OF(X509_NAME) *names;

	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		return tls_fail("cannot use certificate", cert, err, errlen);
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		return tls_fail("cannot use private key", key, err, errlen);
	if (SSL_CTX_check_private_key(ctx) != 1)
		return tls_fail("private key does not match certificate", cert,
		    err, errlen);
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
		return tls_fail("cannot use CA file", ca, err, errlen);
	if (role == TLS_ROLE_SERVER) {
		if ((names = SSL_load_client_CA_file(ca)) == NULL)
			return tls_fail("no CA certificate in", ca, err, errlen);
		SSL_CTX_set_client_CA_list(ctx, names);
	}
	return 0;
}

/*
 * Our own certificate must be fit for our role: the peer refuses one that is
 * not with an alert that names nothing, so say it here, before any
 * connection (and at pktmon-server -n).
 */
static int
tls_ctx_own_purpose(SSL_CTX *ctx, enum tls_role role, const char *path,
    char *err, size_t errlen)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	int server = role == TLS_ROLE_SERVER;
	const char *what = server ? "server" : "client";
	uint32_t xku;

	if (x == NULL)
		return 0;
	xku = X509_get_extended_key_usage(x);	/* UINT32_MAX: no EKU, any use */
	if (xku != UINT32_MAX && !(xku & (server ? XKU_SSL_SERVER : XKU_SSL_CLIENT))) {
		snprintf(err, errlen, "%s is not a %s certificate (no %s)", path,
		    what, server ? "serverAuth" : "clientAuth");
		return PM_E_TLS;
	}
	if (X509_check_purpose(x, server ? X509_PURPOSE_SSL_SERVER :
	    X509_PURPOSE_SSL_CLIENT, 0) != 1) {
		snprintf(err, errlen, "%s is not a %s certificate (its key usage "
		    "or certificate type does not allow TLS %s authentication)",
		    path, what, what);
		return PM_E_TLS;
	}
	return 0;
}

int
tls_ctx_new(enum tls_role role, const struct tls_files *f, struct tls_ctx **out,
    char *err, size_t errlen)
{
	struct tls_ctx *t;
	int r;

	if ((r = tls_file_check("certificate", f->cert, err, errlen)) != 0 ||
	    (r = tls_file_check("key", f->key, err, errlen)) != 0 ||
	    (r = tls_file_check("CA", f->ca, err, errlen)) != 0 ||
	    (f->crl && (r = tls_file_check("CRL", f->crl, err, errlen)) != 0))
		return r;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return PM_E_NOMEM;
	t->role = role;
	t->ctx = SSL_CTX_new(role == TLS_ROLE_SERVER ? TLS_server_method() :
	    TLS_client_method());
	if (t->ctx == NULL || tls_ctx_policy(t->ctx, role) != 0) {
		snprintf(err, errlen, "cannot set up TLS: %s",
		    ERR_reason_error_string(ERR_get_error()));
		tls_ctx_free(t);
		return PM_E_TLS;
	}
	if ((r = tls_ctx_load(t->ctx, role, f->cert, f->key, f->ca, err,
	    errlen)) != 0 ||
	    (r = tls_ctx_own_purpose(t->ctx, role, f->cert, err, errlen)) != 0 ||
	    (f->crl && (r = tls_ctx_crl(t->ctx, f->crl, err, errlen)) != 0)) {
		tls_ctx_free(t);
		return r;
	}
	*out = t;
	return 0;
}

int64_t
tls_ctx_cert_expiry(const struct tls_ctx *t)
{
	X509 *x = SSL_CTX_get0_certificate(t->ctx);
	int days = 0, secs = 0;

	if (x == NULL || !ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)))
		return INT64_MAX;	/* unknown: nothing to warn about */
	return (int64_t)days * 86400 + secs;
}

void
tls_ctx_free(struct tls_ctx *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

static int
tls_conn_expect(SSL *ssl, const char *expect)
{
	X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);

	/* An IP literal is checked against IP SANs, a name against DNS SANs. */
	if (X509_VERIFY_PARAM_set1_ip_asc(vp, expect) == 1)
		return 0;
	if (SSL_set1_host(ssl, expect) != 1)
		return PM_E_TLS;
	return SSL_set_tlsext_host_name(ssl, expect) == 1 ? 0 : PM_E_TLS;
}

int
tls_conn_new(struct tls_ctx *t, int fd, const char *expect, struct tls_conn **out)
{
	struct tls_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PM_E_NOMEM;
	if ((c->ssl = SSL_new(t->ctx)) == NULL || SSL_set_fd(c->ssl, fd) != 1)
		goto fail;
	if (t->role == TLS_ROLE_CLIENT) {
		if (expect == NULL || tls_conn_expect(c->ssl, expect) != 0)
			goto fail;
		c->client = 1;
		snprintf(c->expect, sizeof(c->expect), "%s", expect);
		SSL_set_connect_state(c->ssl);
	} else
		SSL_set_accept_state(c->ssl);
	*out = c;
	return 0;
fail:
	tls_conn_free(c);
	return PM_E_TLS;
}

void
tls_conn_free(struct tls_conn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);
	OPENSSL_cleanse(c->out, sizeof(c->out));
	free(c);
}

/* Append to buf (a NUL-terminated string of size len), cutting at the end. */
static void
tls_append(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	if (n + 1 < len)
		snprintf(buf + n, len - n, "%s", s);
}

/* "localhost, 127.0.0.1, ::1": x's DNS and IP names, or its CN without any. */
static void
tls_cert_names(X509 *x, char *buf, size_t len)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	char one[256], *p;
	const GENERAL_NAME *g;
	int i, n = 0;

	buf[0] = '\0';
	for (i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans); i++) {
		g = sk_GENERAL_NAME_value(sans, i);
		one[0] = '\0';
		if (g->type == GEN_DNS)
			snprintf(one, sizeof(one), "%.*s",
			    ASN1_STRING_length(g->d.dNSName),
			    (const char *)ASN1_STRING_get0_data(g->d.dNSName));
		else if (g->type == GEN_IPADD && (g->d.iPAddress->length == 4 ||
		    g->d.iPAddress->length == 16))
			(void)inet_ntop(g->d.iPAddress->length == 4 ? AF_INET :
			    AF_INET6, g->d.iPAddress->data, one, sizeof(one));
		if (one[0] == '\0')
			continue;
		tls_append(buf, len, n++ ? ", " : "");
		tls_append(buf, len, one);
	}
	GENERAL_NAMES_free(sans);
	/* The CN counts only without DNS names (RFC 6125), as X509_check_host. */
	if (n == 0 && X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, buf, (int)len) < 0)
		snprintf(buf, len, "no name");
	for (p = buf; *p != '\0'; p++)	/* bound for a log line and a terminal */
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
}

/*
 * Verification failed: say why in words. The common cases get what to
 * check; the rest keep OpenSSL's text after "certificate verify failed:".
 */
static void
tls_verify_words(struct tls_conn *c, long vr)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(c->ssl);
	const char *why = X509_verify_cert_error_string(vr);
	char names[160];

	switch (vr) {
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		/* On a client the chain starts with the server's own certificate. */
		if (chain != NULL && sk_X509_num(chain) > 0) {
			tls_cert_names(sk_X509_value(chain, 0), names, sizeof(names));
			snprintf(c->err, sizeof(c->err), "server certificate names "
			    "%s, not %s", names, c->expect);
			return;
		}
		break;
	case X509_V_ERR_INVALID_PURPOSE:
		snprintf(c->err, sizeof(c->err), "certificate verify failed: %s "
		    "(the %s's certificate is not a %s certificate: no %s)", why,
		    c->client ? "server" : "client", c->client ? "server" : "client",
		    c->client ? "serverAuth" : "clientAuth");
		return;
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		snprintf(c->err, sizeof(c->err), "certificate verify failed: %s "
		    "(the %s's certificate does not chain to the --ca file)",
		    why, c->client ? "server" : "client");
		return;
	}
	snprintf(c->err, sizeof(c->err), "certificate verify failed: %s", why);
}

/*
 * TLS alerts by number (RFC 8446 6.2) and what the peer's refusal means;
 * cert: the alert is about our own certificate.
 */
static const struct {
	int alert, cert;
	const char *name, *means;
} tls_alerts[] = {
	{ 40, 0, "handshake_failure", "found no TLS parameters in common" },
	{ 42, 1, "bad_certificate", NULL },
	{ 43, 1, "unsupported_certificate", "not valid for this use" },
	{ 44, 1, "certificate_revoked", "revoked (on its CRL)" },
	{ 45, 1, "certificate_expired", "expired, or the CRL it checks against is out of date" },
	{ 46, 1, "certificate_unknown", NULL },
	{ 48, 1, "unknown_ca", "it does not chain to its CA file" },
	{ 51, 0, "decrypt_error", "could not verify the handshake signature" },
	{ 70, 0, "protocol_version", "does not speak TLS 1.3" },
	{ 116, 0, "certificate_required", "wants a client certificate and got none" },
};

/* An alert the peer sent (OpenSSL reports it as reason 1000 + the alert). */
static int
tls_alert_words(struct tls_conn *c, int reason)
{
	const char *peer = c->client ? "server" : "client";
	const char *me = c->client ? "client" : "server";
	size_t i;

	for (i = 0; i < sizeof(tls_alerts) / sizeof(tls_alerts[0]); i++) {
		if (reason != SSL_AD_REASON_OFFSET + tls_alerts[i].alert)
			continue;
		if (tls_alerts[i].cert)
			snprintf(c->err, sizeof(c->err), "the %s refused this %s's "
			    "certificate%s%s (alert %s)", peer, me,
			    tls_alerts[i].means ? ": " : "",
			    tls_alerts[i].means ? tls_alerts[i].means : "",
			    tls_alerts[i].name);
		else
			snprintf(c->err, sizeof(c->err), "the %s %s (alert %s)", peer,
			    tls_alerts[i].means, tls_alerts[i].name);
		return 1;
	}
	return 0;
}

/* A failure OpenSSL gives as an error code: in words, never the code. */
static void
tls_error_words(struct tls_conn *c, unsigned long e)
{
	int reason = ERR_GET_REASON(e), handshaking = !SSL_is_init_finished(c->ssl);
	const char *text = ERR_reason_error_string(e);

	if (ERR_GET_LIB(e) == ERR_LIB_SSL) {
		if (reason == SSL_R_WRONG_VERSION_NUMBER ||
		    reason == SSL_R_HTTP_REQUEST || reason == SSL_R_HTTPS_PROXY_REQUEST) {
			snprintf(c->err, sizeof(c->err), c->client ?
			    "this port is not a pktmon control port (is it HTTP or "
			    "plain TCP?)" : "the peer does not speak TLS (an HTTP or "
			    "plain TCP client?)");
			return;
		}
		if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING && handshaking) {
			snprintf(c->err, sizeof(c->err), c->client ?
			    "the connection closed during the TLS handshake (is this a "
			    "pktmon control port? a server at its connection limits "
			    "closes new connections too)" :
			    "the peer closed the connection during the TLS handshake");
			return;
		}
		if (reason == SSL_R_UNSUPPORTED_PROTOCOL) {
			snprintf(c->err, sizeof(c->err), "the %s offers no TLS 1.3, "
			    "only older versions", c->client ? "server" : "client");
			return;
		}
		if (tls_alert_words(c, reason))
			return;
	}
	if (text != NULL)
		snprintf(c->err, sizeof(c->err), "%s", text);
	else
		ERR_error_string_n(e, c->err, sizeof(c->err));
}

/* Map an SSL_* result to PM_E_* and remember why it failed. */
static int
tls_result(struct tls_conn *c, int ret)
{
	int e = SSL_get_error(c->ssl, ret);
	long vr;

	c->want_write = 0;
	switch (e) {
	case SSL_ERROR_WANT_READ:
		return PM_E_AGAIN;
	case SSL_ERROR_WANT_WRITE:
		c->want_write = 1;
		return PM_E_AGAIN;
	case SSL_ERROR_ZERO_RETURN:
		snprintf(c->err, sizeof(c->err), "peer closed the connection");
		return PM_E_EOF;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			snprintf(c->err, sizeof(c->err), "%s",
			    errno ? strerror(errno) : "connection closed");
			ERR_clear_error();
			return PM_E_EOF;
		}
		break;
	}
	vr = SSL_get_verify_result(c->ssl);
	if (vr != X509_V_OK)
		tls_verify_words(c, vr);
	else
		tls_error_words(c, ERR_peek_last_error());
	ERR_clear_error();
	return PM_E_TLS;
}

int
tls_conn_handshake(struct tls_conn *c)
{
	X509 *peer;
	int ret;

	ERR_clear_error();
	if ((ret = SSL_do_handshake(c->ssl)) != 1)
		return tls_result(c, ret);
	c->want_write = 0;
	if ((peer = SSL_get1_peer_certificate(c->ssl)) != NULL) {
		if (X509_NAME_get_text_by_NID(X509_get_subject_name(peer),
		    NID_commonName, c->peer, sizeof(c->peer)) < 0)
			snprintf(c->peer, sizeof(c->peer), "?");
		X509_free(peer);
	}
	return 0;
}

int
tls_conn_read(struct tls_conn *c, void *buf, size_t len)
{
	int n;

	ERR_clear_error();
	if ((n = SSL_read(c->ssl, buf, (int)len)) > 0)
		return n;
	return tls_result(c, n);
}

int
tls_conn_flush(struct tls_conn *c)
{
	int n;

	while (c->outlen > 0) {
		ERR_clear_error();
		if ((n = SSL_write(c->ssl, c->out, (int)c->outlen)) <= 0)
			return tls_result(c, n);
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	c->want_write = 0;
	return 0;
}

int
tls_conn_write(struct tls_conn *c, const void *buf, size_t len)
{
	int r;

	if (len > sizeof(c->out) - c->outlen)
		return PM_E_LIMIT;
	memcpy(c->out + c->outlen, buf, len);
	c->outlen += len;
	r = tls_conn_flush(c);
	return r == PM_E_AGAIN ? 0 : r;
}

int
tls_conn_wants_write(const struct tls_conn *c)
{
	return c->want_write || c->outlen > 0;
}

int
tls_conn_pending(const struct tls_conn *c)
{
	return SSL_pending(c->ssl);
}

void
tls_conn_shutdown(struct tls_conn *c)
{
	int r;

	ERR_clear_error();
	r = tls_conn_flush(c);	/* best effort: the connection is ending */
	(void)r;
	if (SSL_is_init_finished(c->ssl))
		(void)SSL_shutdown(c->ssl);
	ERR_clear_error();
}

const char *
tls_conn_error(const struct tls_conn *c)
{
	return c->err[0] ? c->err : "unknown TLS error";
}

const char *
tls_conn_peer_name(const struct tls_conn *c)
{
	return c->peer[0] ? c->peer : "?";
}

const char *
tls_conn_cipher(const struct tls_conn *c)
{
	return SSL_get_cipher_name(c->ssl);
}

/* "sha256:AB:cd..." -> 32 bytes; 0 on success. */
static int
tls_parse_fp(const char *s, uint8_t out[32])
{
	size_t n = 0;
	unsigned v;

	if (strncasecmp(s, "sha256:", 7) != 0)
		return -1;
	for (s += 7; *s != '\0' && n < 32; s += 2) {
		if (*s == ':')
			s++;
		if (sscanf(s, "%2x", &v) != 1 || s[1] == '\0')
			return -1;
		out[n++] = (uint8_t)v;
	}
	return n == 32 && *s == '\0' ? 0 : -1;
}

static int
tls_peer_has_name(X509 *x, const char *name)
{
	char cn[256];

	if (X509_check_host(x, name, strlen(name), X509_CHECK_FLAG_NO_WILDCARDS,
	    NULL) == 1)
		return 1;
	return X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
	    cn, sizeof(cn)) > 0 && strcmp(cn, name) == 0;
}

int
tls_conn_peer_allowed(const struct tls_conn *c, char *const *allow, size_t n)
{
	X509 *x = SSL_get0_peer_certificate(c->ssl);
	uint8_t md[32], want[32];
	unsigned int mdlen = 0;
	size_t i;

	if (n == 0)
		return 1;
	if (x == NULL || !X509_digest(x, EVP_sha256(), md, &mdlen) || mdlen != 32)
		return 0;
	for (i = 0; i < n; i++) {
		if (tls_parse_fp(allow[i], want) == 0) {
			if (CRYPTO_memcmp(md, want, 32) == 0)
				return 1;
		} else if (tls_peer_has_name(x, allow[i]))
			return 1;
	}
	return 0;
}

int
tls_conn_stamp_key(struct tls_conn *c, uint16_t ssid, const uint8_t nonce[16],
    struct stamp_key *key)
{
	uint8_t context[2 + 16];

	context[0] = (uint8_t)(ssid >> 8);
	context[1] = (uint8_t)ssid;
	memcpy(context + 2, nonce, 16);
	if (SSL_export_keying_material(c->ssl, key->k, STAMP_KEY_LEN,
	    STAMP_EXPORTER_LABEL, sizeof(STAMP_EXPORTER_LABEL) - 1,
	    context, sizeof(context), 1) != 1)
		return PM_E_TLS;
	key->len = STAMP_KEY_LEN;
	return 0;
}

int
tls_random(void *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : PM_E_TLS;
}
