/*
 * probe: one probe session on the client: its UDP socket (a fresh source
 * port), its SSID and key, and its fate accounting. Sends authenticated
 * STAMP probes and takes replies, dropping in silence anything that is not
 * a well-formed, correctly signed reply to this session.
 */
#ifndef PM_PROBE_H
#define PM_PROBE_H

#include <stdint.h>
#include "ctl.h"
#include "fate.h"
#include "net.h"
#include "stamp.h"
#include "stamp_auth.h"

enum probe_state {
	PROBE_OPENING,		/* socket open, OPEN/RENEW sent, no grant yet */
	PROBE_ACTIVE,		/* sending */
	PROBE_DRAINING,		/* no longer sending; waiting for replies */
	PROBE_CLOSING,		/* CLOSE sent; waiting for CLOSED */
	PROBE_DONE,
};

struct probe {
	void *owner;			/* the client engine, for callbacks */
	unsigned num;			/* 1, 2, ... in this run */
	int64_t renewed_to;		/* sessions.id of the successor, or 0 */
	int64_t hist_id;		/* sessions.id */
	int64_t renewal_id;		/* renewal that created it, or 0 */
	enum probe_state st;
	int fd;
	uint16_t ssid;
	uint16_t size;
	int64_t interval_ns;
	int64_t stop_mono;		/* when sending stopped */
	int got_reply;			/* 0 none yet, 1 first, 2 recorded */
	int reconnected;		/* outlived its control channel: replaced by
					 * the next channel's session */
	uint32_t after_n, after_lost;	/* first probes after a renewal */
	struct net_addr local, remote;
	struct stamp_key key;		/* kept for --keylog (pktmon sessions only) */
	struct stamp_mac *mac;		/* NULL when unauthenticated */
	struct fate *fate;
	int icmp;			/* 0 STAMP, 1 ICMP datagram, 2 ICMP raw */
	int plain;			/* --stamp: no control channel */
	enum stamp_mode mode;		/* authenticated unless plain without a key */
	uint16_t icmp_id;
	int tx_stamps;			/* kernel transmit timestamps enabled */
	uint32_t tx_sent;		/* datagrams the kernel took: next stamp id */
	uint64_t tx_seq[1024];		/* stamp id % 1024 -> probe seq */
	uint64_t host_drops;		/* SO_RXQ_OVFL */
	uint64_t peer_unsynced;		/* replies without the reflector's S bit */
	uint64_t local_unsynced;	/* replies to probes sent without ours */
	uint64_t bad_replies;		/* wrong size, SSID or HMAC: dropped */
	int warned_mtu;			/* said once that probes do not fit */
	int warned_silent;		/* --stamp: said once that nothing answers */
	struct fate_events ev;		/* the engine's; lost() passes through probe.c */
	int poll_replies;		/* replies read at each send, not on arrival */
	int64_t tx_window;		/* how long after its encoding a stamp is a probe's */
	int rx_timestamping;		/* receive stamps by SO_TIMESTAMPING */
	struct net_batch *rxb;		/* replies and transmit stamps, a batch at a time */
	uint8_t *txbuf;			/* NET_BATCH probes being sent */
	uint64_t send_errors;
	uint64_t tx_unmatched;		/* transmit stamps no probe took */
};

/* Open the UDP socket (new ephemeral port) for a session toward family,
 * from from's interface and source address, with its TTL. */
int probe_open(struct probe *p, int family, const struct net_origin *from)
    PM_MUST_CHECK;
/*
 * Take the server's grant: connect the socket to the reflector and create
 * the fate tracker. key is copied (the caller wipes its copy).
 */
int probe_start(struct probe *p, const struct ctl_grant *g,
    const struct net_addr *server, const struct stamp_key *key,
    int64_t timeout_ns, const struct fate_events *ev) PM_MUST_CHECK;
/*
 * ICMP echo toward dest instead (no pktmon server): open the socket and
 * start tracking. size is the whole ICMP message, header included.
 */
int probe_start_icmp(struct probe *p, const struct net_addr *dest,
    const struct net_origin *from, uint16_t size, int64_t interval_ns,
    int64_t timeout_ns, const struct fate_events *ev) PM_MUST_CHECK;
/*
 * Plain STAMP toward any RFC 8762 reflector at dest (--stamp): key NULL for
 * unauthenticated 44-octet mode. The SSID is chosen here.
 */
int probe_start_plain(struct probe *p, const struct net_addr *dest,
    const struct net_origin *from, const struct stamp_key *key, uint16_t size,
    int64_t interval_ns, int64_t timeout_ns, const struct fate_events *ev)
    PM_MUST_CHECK;
/* DSCP for the session's probes; 0 or PM_E_SYS. */
int probe_set_dscp(struct probe *p, int dscp) PM_MUST_CHECK;
/*
 * Send the next n probes (at most NET_BATCH) in one system call, for the
 * schedule's slots first_slot, first_slot + 1, ... (their rows carry the
 * slot as tag); one the kernel refuses is recorded as unsent
 * (send_errors). The number recorded: the slots after those had no probe.
 */
unsigned probe_send(struct probe *p, unsigned n, uint64_t first_slot);

/* Called for each counted reply (not stale); owd NULL unless both clocks
 * were synchronised. */
typedef void (*probe_reply_cb)(void *arg, struct probe *p, uint64_t seq,
    int64_t rtt_ns, int ttl, enum fate_rx kind, const struct fate_owd *owd);
/*
 * Take what the socket has, one batch: replies when readable, transmit
 * timestamps (or an ICMP error) when the kernel flagged the error queue.
 * The number of datagrams read.
 */
unsigned probe_recv(struct probe *p, int readable, int errqueue,
    probe_reply_cb cb, void *arg);
/* Datagrams probe_recv reads at most per call. */
#define PROBE_RX_BATCH NET_BATCH
/* Close the socket, wipe the key, free the tracker. */
void probe_free(struct probe *p);

#endif
