/*
 * privsep: user switch, no-new-privileges, seccomp allowlist.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "privsep.h"

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

static const struct passwd *
privsep_user(const char *user)
{
	const struct passwd *pw;

	if (user != NULL)
		return getpwnam(user);
	/* The Debian package creates "pktmon"; stock systems have "nobody". */
	if ((pw = getpwnam("pktmon")) != NULL)
		return pw;
	return getpwnam("nobody");
}

int
privsep_drop(const char *user, char *err, size_t errlen)
{
	const struct passwd *pw;
	uid_t uid;
	gid_t gid;

	if (geteuid() == 0) {
		if ((pw = privsep_user(user)) == NULL) {
			snprintf(err, errlen, "user %s does not exist",
			    user ? user : "pktmon or nobody");
			return PM_E_NOTFOUND;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		if (uid == 0) {
			snprintf(err, errlen, "refusing to run as root (user %s)",
			    pw->pw_name);
			return PM_E_LIMIT;
		}
		if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0 ||
		    setresuid(uid, uid, uid) != 0) {
			snprintf(err, errlen, "cannot switch to user %s: %s",
			    pw->pw_name, strerror(errno));
			return PM_E_SYS;
		}
		/* Make sure there is no way back. */
		if (setuid(0) == 0 || seteuid(0) == 0) {
			snprintf(err, errlen, "could regain root after dropping it");
			return PM_E_SYS;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "cannot set no-new-privileges: %s",
		    strerror(errno));
		return PM_E_SYS;
	}
	return 0;
}

#ifdef HAVE_SECCOMP
/* What the event loop, OpenSSL and SQLite-free logging need; nothing else. */
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(close), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_ctl), SCMP_SYS(recvmsg), SCMP_SYS(recvfrom),
	SCMP_SYS(recvmmsg), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
	SCMP_SYS(sendmmsg), SCMP_SYS(accept4), SCMP_SYS(getsockopt),
	SCMP_SYS(setsockopt), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
	SCMP_SYS(shutdown), SCMP_SYS(timerfd_settime), SCMP_SYS(timerfd_gettime),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(gettimeofday), SCMP_SYS(getrandom), SCMP_SYS(brk),
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	SCMP_SYS(mprotect), SCMP_SYS(futex), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(fcntl), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(lseek),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(restart_syscall), SCMP_SYS(sched_yield), SCMP_SYS(getuid),
	SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
	/* adjtimex with modes 0 only reads the clock's sync state (clocksync);
	 * without CAP_SYS_TIME the kernel refuses any change. */
	SCMP_SYS(adjtimex), SCMP_SYS(clock_adjtime),
	/* SIGHUP re-reads certificates, CA, CRL: files only, read-only. */
	SCMP_SYS(openat), SCMP_SYS(open), SCMP_SYS(stat), SCMP_SYS(access),
	SCMP_SYS(faccessat), SCMP_SYS(getdents64), SCMP_SYS(uname),
};

int
privsep_sandbox(char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	size_t i;
	int r = 0;

	if (ctx == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return PM_E_NOMEM;
	}
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && r == 0; i++)
		if (allowed[i] >= 0)	/* absent on this architecture: skip */
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r != 0) {
		snprintf(err, errlen, "cannot install the seccomp filter: %s",
		    strerror(-r));
		return PM_E_SYS;
	}
	return 0;
}
#else
int
privsep_sandbox(char *err, size_t errlen)
{
	snprintf(err, errlen, "built without seccomp");
	return PM_E_NOTFOUND;
}
#endif
