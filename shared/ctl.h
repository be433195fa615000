/*
 * ctl: the pktmon control protocol carried inside TLS. Pure codec.
 *
 * Every message is a 4-octet header (version, type, body length, big endian)
 * and a body whose length must be allowed for its type. The tables in ctl.c
 * say which lengths each type may have, which side may send it and in which
 * state; ctl_check() applies them before any handler sees the body, and no
 * buffer is sized from a length that has not passed the check.
 */
#ifndef PM_CTL_H
#define PM_CTL_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

#define CTL_VERSION 1
#define CTL_HDR_LEN 4
#define CTL_MAX_BODY 256
#define CTL_MAX_MSG (CTL_HDR_LEN + CTL_MAX_BODY)
#define CTL_NONCE_LEN 16
#define CTL_ERRTEXT_MAX 200

enum ctl_type {
	CTL_HELLO = 1,		/* client -> server, first message */
	CTL_WELCOME = 2,	/* server -> client: limits; the session is up */
	CTL_OPEN = 3,		/* client asks for a probe session */
	CTL_ACCEPT = 4,		/* server grants it */
	CTL_RENEW = 5,		/* client asks to replace a probe session */
	CTL_RENEWED = 6,	/* server grants the replacement */
	CTL_CLOSE = 7,		/* client ends a probe session */
	CTL_CLOSED = 8,		/* server's final counts for it */
	CTL_KEEPALIVE = 9,	/* either way */
	CTL_ERROR = 10,		/* either way; the sender closes afterwards */
	CTL_TYPE_MAX_ = 11
};

enum ctl_state {
	CTL_ST_HELLO = 0,	/* TLS is up, HELLO/WELCOME not yet exchanged */
	CTL_ST_READY = 1,	/* control session established */
};

enum ctl_dir { CTL_FROM_CLIENT = 1, CTL_FROM_SERVER = 2 };

enum ctl_errcode {
	CTL_ERR_MALFORMED = 1,
	CTL_ERR_STATE = 2,
	CTL_ERR_LIMIT = 3,
	CTL_ERR_INTERNAL = 4,
	CTL_ERR_VERSION = 5,
	CTL_ERR_SESSION = 6,	/* unknown probe session */
	CTL_ERR_TIMEOUT = 7,
	CTL_ERR_ACCESS = 8,	/* authenticated, but not allowed here */
	CTL_ERR_CLIENTS = 9,	/* the server has as many clients as it takes */
};

/*
 * Feature bits of HELLO and WELCOME. LINGER: from the client, a CLOSE of an
 * SSID the server does not know gets CLOSED with both counts UINT64_MAX
 * instead of ERROR 6; from the server, the probe sessions of a connection
 * that ends without CLOSE stay answered for a while (docs/protocol.md).
 */
#define CTL_FEAT_LINGER (1u << 0)

enum ctl_renew_reason {
	CTL_RENEW_CONSECUTIVE = 1,
	CTL_RENEW_WINDOW = 2,
	CTL_RENEW_MANUAL = 3,
};

struct ctl_hdr {
	uint8_t version;
	uint8_t type;
	uint16_t len;
};

/* The terms of one probe session, in ACCEPT and RENEWED. */
struct ctl_grant {
	uint16_t ssid;
	uint16_t udp_port;	/* reflector port */
	uint32_t interval_us;	/* granted interval (never shorter than asked) */
	uint16_t size;		/* granted probe size, octets */
	uint8_t nonce[CTL_NONCE_LEN];	/* fresh per session; in the key context */
};

struct ctl_msg {
	enum ctl_type type;
	union {
		struct { uint32_t features; } hello;
		struct {
			uint32_t features;
			uint32_t keepalive_ms;
			uint32_t min_interval_us;
			uint16_t max_size;
			uint16_t max_sessions;
		} welcome;
		struct {
			uint32_t interval_us;
			uint16_t size;
			uint16_t udp_port;	/* client's probe source port */
		} open;
		struct ctl_grant accept;
		struct {
			uint16_t old_ssid;
			uint8_t reason;
			uint16_t udp_port;	/* client's new source port */
		} renew;
		struct {
			struct ctl_grant grant;
			uint16_t old_ssid;
		} renewed;
		struct { uint16_t ssid; } close;
		struct {
			uint16_t ssid;
			uint64_t received;	/* valid probes the reflector received */
			uint64_t reflected;	/* replies it sent */
		} closed;
		struct {
			uint16_t code;
			char text[CTL_ERRTEXT_MAX + 1];
		} error;
	} u;
};

const char *ctl_type_name(unsigned type);
const char *ctl_renew_reason_name(unsigned reason);

/* Decode and check a header: version, type, and a length allowed for it. */
int ctl_hdr_decode(const uint8_t *p, size_t len, struct ctl_hdr *h) PM_MUST_CHECK;
/* May a message of this type come from dir in state st? */
int ctl_check(const struct ctl_hdr *h, enum ctl_dir dir, enum ctl_state st) PM_MUST_CHECK;
/* Decode a body whose header already passed ctl_hdr_decode. */
int ctl_decode(const struct ctl_hdr *h, const uint8_t *body, struct ctl_msg *m) PM_MUST_CHECK;
/* Encode m with its header into out; returns the total length or < 0. */
int ctl_encode(const struct ctl_msg *m, uint8_t *out, size_t cap) PM_MUST_CHECK;

#endif
