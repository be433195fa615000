/*
 * privsep: what the server gives up once its sockets are bound and its
 * keys loaded (OpenNTPD ntp.c, OpenSSH sandbox-seccomp-filter.c): root,
 * every capability, the right to gain privileges again, and every system
 * call the event loop does not need.
 */
#ifndef PM_PRIVSEP_H
#define PM_PRIVSEP_H

#include <stddef.h>
#include "err.h"

/*
 * As root: switch to user (NULL: "pktmon" if that account exists, else
 * "nobody"), with its group and no supplementary groups. As any user: set
 * no-new-privileges. err names the user on failure.
 */
int privsep_drop(const char *user, char *err, size_t errlen) PM_MUST_CHECK;
/*
 * Install the seccomp allowlist; a forbidden call kills the process with
 * SIGSYS. Returns PM_E_NOTFOUND when built without seccomp.
 */
int privsep_sandbox(char *err, size_t errlen) PM_MUST_CHECK;

#endif
