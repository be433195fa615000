/*
 * conns: the server's control connections. Accepts TCP, runs non-blocking
 * TLS handshakes under a deadline and pre-authentication caps, then the
 * control state machine: HELLO/WELCOME, OPEN/ACCEPT, RENEW/RENEWED,
 * CLOSE/CLOSED, KEEPALIVE, ERROR. Probe sessions it grants are registered
 * with the reflector and removed when the client closes them; when the
 * client goes away without closing them they linger (linger.h).
 */
#ifndef PM_CONNS_H
#define PM_CONNS_H

#include <stdint.h>
#include "ev.h"
#include "reflector.h"
#include "tls.h"

struct server_limits {
	int64_t handshake_ns;		/* TCP accept to HELLO */
	int64_t keepalive_ns;		/* announced; peer dead after 3 of them */
	unsigned max_clients;
	unsigned max_per_identity;	/* authenticated connections per identity */
	unsigned max_preauth;		/* not yet authenticated, all sources */
	unsigned max_preauth_per_src;
	unsigned max_sessions;		/* probe sessions per client */
	uint32_t min_interval_us;	/* fastest probing granted */
	uint16_t max_size;		/* largest probe granted */
	uint16_t udp_port;		/* announced reflector port */
	int64_t session_idle_ns;	/* a live session without probes this long ends the client */
	int64_t linger_ns;		/* sessions of a vanished client stay this long; 0: none */
	char *const *allow;		/* client identities allowed (empty: all) */
	size_t nallow;
};

struct conn_stats {
	uint64_t accepted, refused_preauth, refused_clients, handshake_failed;
	uint64_t handshake_timeout, protocol_errors, sessions_opened;
	uint64_t refused_identity;
	uint64_t refused_identity_cap;	/* over max_per_identity */
	uint64_t refused_limit;		/* session limits after authentication */
	uint64_t session_idle;		/* clients closed for an idle probe session */
	uint64_t preauth_evicted;	/* closed to make room for a quieter source */
	uint64_t lingered;		/* sessions kept after their connection ended */
	uint64_t linger_closed;		/* of those, closed by the client's new connection */
	uint64_t linger_expired;	/* ... removed at the linger or idle time */
	uint64_t linger_dropped;	/* ... removed for the identity's newer ones */
	uint64_t accept_paused;		/* accept failed (out of fds): paused */
};

struct conns;

struct conns *conns_new(struct ev *ev, struct tls_ctx *tls,
    struct reflector *refl, const struct server_limits *lim);
void conns_free(struct conns *cs);
/* New certificates, CA, CRL or allowlist (SIGHUP): new connections use
 * them; established ones keep theirs. */
void conns_reload(struct conns *cs, struct tls_ctx *tls, char *const *allow,
    size_t nallow);
/*
 * Accept connections from the listening socket lfd (the caller keeps
 * owning it). PM_E_SYS when the event loop cannot take it.
 */
int conns_listen(struct conns *cs, int lfd) PM_MUST_CHECK;
/* Deadlines and keepalives; call a few times a second. */
void conns_tick(struct conns *cs, int64_t now_mono);
unsigned conns_count(const struct conns *cs);
/* Probe sessions lingering after their connection ended. */
unsigned conns_lingering(const struct conns *cs);
const struct conn_stats *conns_stats(const struct conns *cs);

#endif
