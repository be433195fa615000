/*
 * tls: the only file that speaks OpenSSL's TLS API. Mutually authenticated
 * TLS 1.3 over a non-blocking socket: contexts that trust only the
 * configured CA, no resumption, the STAMP key exporter, the peer's identity.
 */
#ifndef PM_TLS_H
#define PM_TLS_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "stamp_auth.h"

enum tls_role { TLS_ROLE_SERVER, TLS_ROLE_CLIENT };

struct tls_ctx;
struct tls_conn;

struct tls_files {
	const char *cert, *key, *ca;
	const char *crl;	/* optional: revoked peers are refused (alert 44) */
};

/*
 * Load certificate, key, CA and optional CRL. On failure returns PM_E_TLS
 * or PM_E_SYS and writes one line naming the file at fault into err.
 */
int tls_ctx_new(enum tls_role role, const struct tls_files *f,
    struct tls_ctx **out, char *err, size_t errlen) PM_MUST_CHECK;
/* Seconds until our own certificate expires (negative: already expired;
 * INT64_MAX when it cannot be read). */
int64_t tls_ctx_cert_expiry(const struct tls_ctx *ctx);
void tls_ctx_free(struct tls_ctx *ctx);

/*
 * Wrap a connected non-blocking socket (the caller keeps owning fd). For a
 * client, expect is the server name or IP address its certificate must
 * carry.
 */
int tls_conn_new(struct tls_ctx *ctx, int fd, const char *expect,
    struct tls_conn **out) PM_MUST_CHECK;
void tls_conn_free(struct tls_conn *c);

/* 0 when done, PM_E_AGAIN to call again when the fd is ready, PM_E_TLS. */
int tls_conn_handshake(struct tls_conn *c) PM_MUST_CHECK;
/* Bytes read (> 0), PM_E_AGAIN, PM_E_EOF or PM_E_TLS. */
int tls_conn_read(struct tls_conn *c, void *buf, size_t len) PM_MUST_CHECK;
/* Queue and try to send; PM_E_LIMIT when the peer stopped reading. */
int tls_conn_write(struct tls_conn *c, const void *buf, size_t len) PM_MUST_CHECK;
/* Send what is queued: 0 when empty, PM_E_AGAIN, or an error. */
int tls_conn_flush(struct tls_conn *c) PM_MUST_CHECK;
/* Does the connection need EPOLLOUT (queued bytes, or a handshake write)? */
int tls_conn_wants_write(const struct tls_conn *c);
/* Decrypted bytes buffered inside OpenSSL, invisible to epoll. */
int tls_conn_pending(const struct tls_conn *c);
void tls_conn_shutdown(struct tls_conn *c);

/* The last failure, one line, for a log message. */
const char *tls_conn_error(const struct tls_conn *c);
/* The peer certificate's subject CN (or "?"). */
const char *tls_conn_peer_name(const struct tls_conn *c);
const char *tls_conn_cipher(const struct tls_conn *c);
/*
 * Is the peer on the allowlist? Entries are a certificate name (subject CN
 * or a DNS SAN) or "sha256:" and the hex SHA-256 of the DER certificate
 * (colons optional, any case). An empty list allows every peer.
 */
int tls_conn_peer_allowed(const struct tls_conn *c, char *const *allow, size_t n);

/*
 * The per-session STAMP key: TLS exporter (RFC 8446 §7.5) with the label
 * "EXPORTER-pktmon-stamp-hmac-v1" and the context ssid (2 octets, big
 * endian) || nonce (16 octets from the server's ACCEPT/RENEWED). Both ends
 * compute it; it never crosses the wire.
 */
int tls_conn_stamp_key(struct tls_conn *c, uint16_t ssid,
    const uint8_t nonce[16], struct stamp_key *key) PM_MUST_CHECK;

/* Fill buf with cryptographically strong random bytes. */
int tls_random(void *buf, size_t len) PM_MUST_CHECK;

#endif
