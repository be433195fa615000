/*
 * record: rows of a pktmon history as the report sees them. query.c fills
 * these from SQLite; everything else reads them without knowing SQL.
 */
#ifndef PM_REPORT_RECORD_H
#define PM_REPORT_RECORD_H

#include <stdint.h>

#include "fates.h"

/* Probe fates: the codes of shared/fates.h, the one definition. */
enum rec_fate {
	REC_ANSWERED = PM_FATE_ANSWERED,
	REC_REORDERED = PM_FATE_REORDERED,
	REC_LATE = PM_FATE_LATE,
	REC_LOST_FORWARD = PM_FATE_LOST_FWD,
	REC_LOST_BACKWARD = PM_FATE_LOST_BWD,
	REC_LOST = PM_FATE_LOST,	/* direction unknown */
	REC_UNSENT = PM_FATE_UNSENT,	/* no probe could be sent for the slot */
	REC_FATES = PM_FATES
};

struct rec_probe {
	int64_t session_id;
	int64_t seq;
	int64_t sent_ns;
	int64_t rtt_ns;		/* -1 when the probe was lost */
	int64_t ttl;		/* -1 when unknown */
	enum rec_fate fate;
	uint32_t dups;
	int has_owd;		/* one-way delays measured (both clocks synced) */
	int64_t owd_fwd_ns, owd_bwd_ns;
};

struct rec_session {
	int64_t id;
	int64_t ssid;
	int64_t started_ns;
	int64_t ended_ns;	/* end, or its last probe's send time while open */
	int64_t interval_ns;
	int open;		/* no end recorded: running, or its client died */
	char server[128];
	char mode[16];
	char end_reason[16];
};

struct rec_renewal {
	int64_t id;
	int64_t from_session;
	int64_t to_session;	/* -1 when the request failed */
	int64_t requested_ns;
	int64_t first_loss_ns;	/* -1 when unknown */
	int64_t first_reply_ns;	/* -1 when unknown */
	double loss_before_pct;
	double loss_after_pct;	/* negative when unknown */
	char reason[32];
	char detail[96];
};

/* The fates table's name for a fate ("answered", "lost_forward", ...). */
const char *rec_fate_name(enum rec_fate f);
/* A fate that counts as received (answered, reordered, late). */
int rec_fate_received(enum rec_fate f);

#endif
