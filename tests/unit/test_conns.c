/*
 * conns: granting, closing and releasing probe sessions, with the TLS
 * connection and the reflector replaced by stubs. A connection's tls
 * pointer is its identity string here; what the server would write to the
 * peer is decoded from the stub's buffer.
 */
#define tls_conn_stamp_key stub_stamp_key
#define tls_conn_write stub_write
#define tls_conn_peer_name stub_peer_name
#include "check.h"
#include "../../server/conns.c"
#include "../../server/linger.c"
#include "../../server/preauth.c"

static struct {
	int key_r, add_r;		/* results the stubs give */
	unsigned adds, removes;
	uint16_t next_ssid;
	struct refl_terms added;
	uint8_t out[CTL_MAX_MSG];
	size_t outlen;
	uint64_t rx[65536];		/* the reflector's received count */
	uint8_t live[65536];
} st;

int
stub_stamp_key(struct tls_conn *tc, uint16_t ssid, const uint8_t nonce[16],
    struct stamp_key *key)
{
	(void)tc;
	(void)ssid;
	(void)nonce;
	memset(key->k, 0x5a, sizeof(key->k));
	key->len = STAMP_KEY_LEN;
	return st.key_r;
}

int
stub_write(struct tls_conn *tc, const void *buf, size_t len)
{
	(void)tc;
	memcpy(st.out, buf, len);
	st.outlen = len;
	return 0;
}

const char *
stub_peer_name(const struct tls_conn *tc)
{
	return (const char *)tc;
}

uint16_t
refl_pick_ssid(struct reflector *r)
{
	(void)r;
	return st.next_ssid;
}

int
refl_add(struct reflector *r, const struct refl_terms *t)
{
	(void)r;
	st.adds++;
	st.added = *t;
	if (st.add_r == 0)
		st.live[t->ssid] = 1;
	return st.add_r;
}

void
refl_remove(struct reflector *r, uint16_t ssid, uint64_t *received,
    uint64_t *reflected)
{
	(void)r;
	st.removes++;
	st.live[ssid] = 0;
	if (received != NULL)
		*received = st.rx[ssid];
	if (reflected != NULL)
		*reflected = st.rx[ssid];
}

uint64_t
refl_received(const struct reflector *r, uint16_t ssid)
{
	(void)r;
	return st.rx[ssid];
}

static struct server_limits
limits(void)
{
	struct server_limits lim;

	memset(&lim, 0, sizeof(lim));
	lim.max_clients = 8;
	lim.max_preauth = 4;
	lim.max_preauth_per_src = 2;
	lim.max_sessions = 2;
	lim.min_interval_us = 1000;
	lim.max_size = 1472;
	lim.udp_port = 862;
	lim.keepalive_ns = 5 * NS_PER_SEC;
	lim.session_idle_ns = 60 * NS_PER_SEC;
	lim.linger_ns = 120 * NS_PER_SEC;
	return lim;
}

static struct conn *
ready_conn(struct conns *cs, const char *id, uint32_t features)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct sockaddr_in *sin;

	assert_non_null(c);
	c->cs = cs;
	c->tls = (struct tls_conn *)(uintptr_t)id;
	c->st = CONN_READY;
	c->features = features;
	snprintf(c->name, sizeof(c->name), "peer-%s", id);
	sin = (struct sockaddr_in *)&c->peer.ss;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->peer.len = sizeof(*sin);
	return c;
}

static void
reset_stubs(void)
{
	memset(&st, 0, sizeof(st));
	st.next_ssid = 100;
}

/* The message the server last wrote, decoded. */
static int
sent(struct ctl_msg *m)
{
	struct ctl_hdr h;

	memset(m, 0, sizeof(*m));
	if (st.outlen < CTL_HDR_LEN || ctl_hdr_decode(st.out, st.outlen, &h) != 0 ||
	    ctl_decode(&h, st.out + CTL_HDR_LEN, m) != 0)
		return check_fail("expected a message from the server, got %zu octets",
		    st.outlen);
	return 1;
}

static void
test_grant(void **state)
{
	static const struct {
		const char *name;
		uint16_t ssid;
		int key_r, add_r, want_r;
		unsigned want_adds;
	} cases[] = {
		{ "key exported, reflector takes it", 100, 0, 0, 0, 1 },
		/* issue 12 #7: a failed export was recorded as opened */
		{ "key export fails", 100, PM_E_TLS, 0, PM_E_TLS, 0 },
		{ "reflector refuses", 100, 0, PM_E_LIMIT, PM_E_LIMIT, 1 },
		{ "reflector out of memory", 100, 0, PM_E_NOMEM, PM_E_NOMEM, 1 },
		{ "no SSID free", 0, 0, 0, PM_E_LIMIT, 0 },
	};
	struct server_limits lim = limits();
	struct ctl_grant g;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		struct conns *cs = conns_new(NULL, NULL, (struct reflector *)&st, &lim);
		struct conn *c;
		int ok = cases[i].want_r == 0;

		assert_non_null(cs);
		c = ready_conn(cs, "alice", 0);
		reset_stubs();
		st.next_ssid = cases[i].ssid;
		st.key_r = cases[i].key_r;
		st.add_r = cases[i].add_r;
		check_err(desc("%s: result", cases[i].name), cases[i].want_r,
		    conn_grant(c, 20000, 200, 40001, &g));
		check_u64(desc("%s: reflector adds", cases[i].name),
		    cases[i].want_adds, st.adds);
		check_u64(desc("%s: sessions held", cases[i].name), ok, c->nsess);
		check_u64(desc("%s: sessions_opened", cases[i].name), ok,
		    cs->st.sessions_opened);
		if (ok)
			check_u64(desc("%s: held ssid", cases[i].name),
			    cases[i].ssid, c->sess[0].ssid);
		free(c);
		conns_free(cs);
	}
	check_done();
}

static void
test_grant_terms(void **state)
{
	static const struct {
		uint32_t interval_us;
		uint16_t size;
		uint32_t want_interval;
		uint16_t want_size;
	} cases[] = {
		{ 20000, 200, 20000, 200 },
		{ 10, 200, 1000, 200 },		/* raised to --min-interval */
		{ 20000, 50, 20000, 112 },	/* raised to the authenticated size */
		{ 20000, 2000, 20000, 1472 },	/* lowered to --max-size */
		{ 20000, 112, 20000, 112 },
		{ 20000, 1472, 20000, 1472 },
	};
	struct server_limits lim = limits();
	struct conns *cs = conns_new(NULL, NULL, (struct reflector *)&st, &lim);
	struct ctl_grant g;
	struct conn *c;
	size_t i;

	(void)state;
	assert_non_null(cs);
	for (i = 0; i < NELEM(cases); i++) {
		c = ready_conn(cs, "alice", 0);
		reset_stubs();
		if (!check_err(desc("grant %u us %u octets", cases[i].interval_us,
		    cases[i].size), 0, conn_grant(c, cases[i].interval_us,
		    cases[i].size, 40001, &g))) {
			free(c);
			continue;
		}
		check_u64(desc("grant %u us: interval", cases[i].interval_us),
		    cases[i].want_interval, g.interval_us);
		check_u64(desc("grant %u octets: size", cases[i].size),
		    cases[i].want_size, g.size);
		check_u64("reflector size", cases[i].want_size, st.added.size);
		check_u64("reflector port (the client's)", 40001,
		    net_addr_port(&st.added.peer));
		check_u64("grant udp_port (the reflector's)", 862, g.udp_port);
		free(c);
	}
	conns_free(cs);
	check_done();
}

static void
open_one(struct conn *c, uint16_t ssid)
{
	struct ctl_grant g;

	st.next_ssid = ssid;
	if (conn_grant(c, 50000, 112, 40001, &g) != 0)
		fail_msg("grant of ssid %u failed", ssid);
}

static void
close_msg(struct conn *c, uint16_t ssid)
{
	struct ctl_msg m;

	memset(&m, 0, sizeof(m));
	m.type = CTL_CLOSE;
	m.u.close.ssid = ssid;
	st.outlen = 0;
	on_close(c, &m);
}

/* A connection ends; its sessions linger; the same identity closes them. */
static void
test_linger_close(void **state)
{
	struct server_limits lim = limits();
	struct conns *cs = conns_new(NULL, NULL, (struct reflector *)&st, &lim);
	struct conn *old, *back, *other;
	struct ctl_msg m;

	(void)state;
	assert_non_null(cs);
	reset_stubs();
	old = ready_conn(cs, "alice", CTL_FEAT_LINGER);
	open_one(old, 100);
	open_one(old, 101);
	old->sess[1].drain_until = 1;	/* renewed, draining */
	st.rx[100] = 42;
	conn_release(old, 1);
	check_u64("draining session lingers too", 1, st.live[101]);
	check_u64("live session still registered", 1, st.live[100]);
	check_u64("lingering", 2, linger_count(cs->lg));
	check_u64("lingered", 2, cs->st.lingered);

	/* Another identity cannot close it; with LINGER it hears "unknown". */
	other = ready_conn(cs, "mallory", CTL_FEAT_LINGER);
	close_msg(other, 100);
	if (sent(&m)) {
		check_u64("other identity: CLOSED", CTL_CLOSED, m.type);
		check_u64("other identity: received unknown", UINT64_MAX,
		    m.u.closed.received);
	}
	check_u64("other identity: session still registered", 1, st.live[100]);
	check_u64("other identity: connection kept", CONN_READY, other->st);

	/* The same identity, on a new connection, closes it for its counts. */
	back = ready_conn(cs, "alice", CTL_FEAT_LINGER);
	close_msg(back, 100);
	if (sent(&m)) {
		check_u64("same identity: CLOSED", CTL_CLOSED, m.type);
		check_u64("same identity: ssid", 100, m.u.closed.ssid);
		check_u64("same identity: received", 42, m.u.closed.received);
		check_u64("same identity: reflected", 42, m.u.closed.reflected);
	}
	check_u64("closed: removed from the reflector", 0, st.live[100]);
	check_u64("closed: the draining one still lingers", 1, linger_count(cs->lg));
	check_u64("linger_closed", 1, cs->st.linger_closed);

	/* Without the feature, the old rule: ERROR 6, connection ends. */
	free(other);
	other = ready_conn(cs, "alice", 0);
	close_msg(other, 100);
	if (sent(&m)) {
		check_u64("no feature: ERROR", CTL_ERROR, m.type);
		check_u64("no feature: code", CTL_ERR_SESSION, m.u.error.code);
	}
	check_u64("no feature: connection ends", CONN_DEAD, other->st);
	free(other);
	free(back);
	free(old);
	conns_free(cs);
	check_done();
}

/*
 * The client gave up on its connection before the server saw it end: its
 * new connection's CLOSE takes the session from the earlier one.
 */
static void
test_close_from_earlier(void **state)
{
	struct server_limits lim = limits();
	struct conns *cs = conns_new(NULL, NULL, (struct reflector *)&st, &lim);
	struct conn *old, *back, *other;
	struct ctl_msg m;

	(void)state;
	assert_non_null(cs);
	reset_stubs();
	old = ready_conn(cs, "alice", CTL_FEAT_LINGER);
	other = ready_conn(cs, "mallory", CTL_FEAT_LINGER);
	back = ready_conn(cs, "alice", CTL_FEAT_LINGER);
	old->next = cs->head;		/* the list conn_holder walks */
	cs->head = old;
	other->next = cs->head;
	cs->head = other;
	open_one(old, 400);
	st.rx[400] = 7;

	close_msg(other, 400);
	if (sent(&m))
		check_u64("another identity: unknown", UINT64_MAX, m.u.closed.received);
	check_u64("another identity: still held", 1, old->nsess);

	close_msg(back, 400);
	if (sent(&m)) {
		check_u64("earlier connection's session: CLOSED", CTL_CLOSED, m.type);
		check_u64("earlier connection's session: received", 7,
		    m.u.closed.received);
	}
	check_u64("earlier connection no longer holds it", 0, old->nsess);
	check_u64("removed from the reflector", 0, st.live[400]);
	check_u64("counted as closed by a new connection", 1, cs->st.linger_closed);
	cs->head = NULL;
	free(back);
	free(other);
	free(old);
	conns_free(cs);
	check_done();
}

/* A reconnect loop: one identity leaves at most max_sessions behind. */
static void
test_linger_cap(void **state)
{
	struct server_limits lim = limits();
	struct conns *cs = conns_new(NULL, NULL, (struct reflector *)&st, &lim);
	struct conn *c;
	uint16_t ssid;

	(void)state;
	assert_non_null(cs);
	reset_stubs();
	for (ssid = 200; ssid < 205; ssid++) {
		c = ready_conn(cs, "loop", 0);
		open_one(c, ssid);
		conn_release(c, 1);
		free(c);
	}
	c = ready_conn(cs, "bob", 0);
	open_one(c, 300);
	conn_release(c, 1);
	free(c);
	check_u64("lingering: loop's newest 2 and bob's 1", 3, linger_count(cs->lg));
	for (ssid = 200; ssid < 203; ssid++)
		check_u64(desc("loop's ssid %u dropped", ssid), 0, st.live[ssid]);
	check_u64("loop's ssid 203 kept", 1, st.live[203]);
	check_u64("loop's ssid 204 kept", 1, st.live[204]);
	check_u64("bob's ssid kept", 1, st.live[300]);
	check_u64("linger_dropped", 3, cs->st.linger_dropped);

	/* A connection with a draining and two live sessions, over the cap of
	 * 2: the older lingering ones go, then the draining one. */
	c = ready_conn(cs, "loop", 0);
	open_one(c, 210);
	open_one(c, 211);
	open_one(c, 212);
	c->sess[1].drain_until = 1;	/* 211 drains */
	conn_release(c, 1);
	free(c);
	check_u64("cap: 203 dropped", 0, st.live[203]);
	check_u64("cap: 204 dropped", 0, st.live[204]);
	check_u64("cap: draining 211 dropped before a live one", 0, st.live[211]);
	check_u64("cap: live 210 kept", 1, st.live[210]);
	check_u64("cap: live 212 kept", 1, st.live[212]);

	/* Linger 0: nothing stays. */
	cs->lim.linger_ns = 0;
	c = ready_conn(cs, "bob", 0);
	open_one(c, 301);
	conn_release(c, 1);
	free(c);
	check_u64("linger 0: removed at once", 0, st.live[301]);

	/* Shutting down: every lingering session leaves the reflector. */
	conns_free(cs);
	check_u64("after conns_free: 210", 0, st.live[210]);
	check_u64("after conns_free: 212", 0, st.live[212]);
	check_u64("after conns_free: 300", 0, st.live[300]);
	check_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grant),
		cmocka_unit_test(test_grant_terms),
		cmocka_unit_test(test_linger_close),
		cmocka_unit_test(test_close_from_earlier),
		cmocka_unit_test(test_linger_cap),
	};

	log_init("test_conns", LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
