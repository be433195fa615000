/*
 * control: the client's end of the control channel. Connects, completes
 * TLS (verifying the server's name or IP against the configured CA), and
 * counts the channel as up only when the server's WELCOME arrives: in TLS
 * 1.3 the client finishes its handshake before the server has judged the
 * client's certificate. Afterwards all I/O is non-blocking.
 */
#ifndef PM_CONTROL_H
#define PM_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include "ctl.h"
#include "net.h"
#include "tls.h"

struct ctlc;

/*
 * Blocking connect + handshake + HELLO/WELCOME within timeout_ms, to the
 * addresses of host in from->family, from from's interface and source
 * address. On failure err gets one line naming the peer and why.
 */
int ctlc_connect(struct tls_ctx *tls, const char *host, uint16_t port,
    const struct net_origin *from, int timeout_ms, struct ctlc **out,
    char *err, size_t errlen) PM_MUST_CHECK;
void ctlc_free(struct ctlc *c);

int ctlc_fd(const struct ctlc *c);
const struct net_addr *ctlc_peer(const struct ctlc *c);
struct tls_conn *ctlc_tls(struct ctlc *c);
/* The server's limits from WELCOME. */
uint32_t ctlc_keepalive_ms(const struct ctlc *c);

int ctlc_send(struct ctlc *c, const struct ctl_msg *m) PM_MUST_CHECK;
/*
 * Read what arrived and hand each checked message to fn. Returns 0, or
 * PM_E_EOF / PM_E_TLS / PM_E_FORMAT when the channel is gone or broken
 * (err says why).
 */
int ctlc_read(struct ctlc *c, void (*fn)(void *, const struct ctl_msg *),
    void *arg, char *err, size_t errlen) PM_MUST_CHECK;
/* Nanoseconds since the server last sent anything. */
int64_t ctlc_silent_for(const struct ctlc *c, int64_t now_mono);
/* Send a keepalive when idle; PM_E_TIMEOUT when the server fell silent. */
int ctlc_tick(struct ctlc *c, int64_t now_mono) PM_MUST_CHECK;
int ctlc_wants_write(const struct ctlc *c);
int ctlc_flush(struct ctlc *c) PM_MUST_CHECK;

#endif
