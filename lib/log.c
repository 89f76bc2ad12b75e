/*
 * Logging.  In the foreground each line goes to stderr (or a stream a test
 * chose) as "TIME LEVEL SUBSYS: message"; otherwise to syslog with the
 * subsystem tag in front.  Debug lines are off unless enabled per
 * subsystem (debug crypto isakmp) or globally (-v).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <sys/time.h>

#include "lib.h"

static const char *const subsys_names[LOG_NSUBSYS] = {
	[LOG_MAIN] = "MAIN",
	[LOG_CONF] = "CONF",
	[LOG_CTL] = "CTL",
	[LOG_IKE] = "IKE",
	[LOG_ESP] = "ESP",
	[LOG_VRRP] = "VRRP",
	[LOG_IPC] = "IPC",
	[LOG_HA] = "HA",
	[LOG_IKEV2] = "IKEv2",
};

static int	 log_foreground = 1;
static int	 log_verbose;
static int	 log_debug_on[LOG_NSUBSYS];
static FILE	*log_stream;

void
log_init(const char *ident, int foreground, int verbose)
{
	log_foreground = foreground;
	log_verbose = verbose;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_stream(FILE *f)
{
	log_stream = f;
}

void
log_set_debug(enum log_subsys s, int on)
{
	if (s < LOG_NSUBSYS)
		log_debug_on[s] = on;
}

int
log_debug_enabled(enum log_subsys s)
{
	return log_verbose || (s < LOG_NSUBSYS && log_debug_on[s]);
}

const char *
log_subsys_name(enum log_subsys s)
{
	return s < LOG_NSUBSYS ? subsys_names[s] : "?";
}

static void
vlog(int pri, enum log_subsys s, const char *fmt, va_list ap, int err)
{
	char		 msg[2048], stamp[64];
	struct timeval	 tv;
	struct tm	 tm;
	FILE		*f;
	static const char *const lvl[] = {
		[LOG_ERR] = "error", [LOG_WARNING] = "warning",
		[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
	};

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err) {
		size_t n = strlen(msg);

		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(err));
	}
	if (!log_foreground) {
		syslog(pri, "%s: %s", log_subsys_name(s), msg);
		return;
	}
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	f = log_stream != NULL ? log_stream : stderr;
	fprintf(f, "%s.%03ld %s %s: %s\n", stamp, (long)tv.tv_usec / 1000,
	    lvl[pri] != NULL ? lvl[pri] : "", log_subsys_name(s), msg);
	fflush(f);
}

#define LOGFN(name, pri, with_errno)					\
void									\
name(enum log_subsys s, const char *fmt, ...)				\
{									\
	va_list	 ap;							\
	int	 saved = errno;						\
									\
	va_start(ap, fmt);						\
	vlog(pri, s, fmt, ap, with_errno ? saved : 0);			\
	va_end(ap);							\
	errno = saved;							\
}

LOGFN(log_warn, LOG_WARNING, 1)
LOGFN(log_warnx, LOG_WARNING, 0)
LOGFN(log_info, LOG_INFO, 0)

void
log_debug(enum log_subsys s, const char *fmt, ...)
{
	va_list	 ap;

	if (!log_debug_enabled(s))
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, s, fmt, ap, 0);
	va_end(ap);
}

void
fatal(enum log_subsys s, const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog(LOG_ERR, s, fmt, ap, saved);
	va_end(ap);
	exit(1);
}

void
fatalx(enum log_subsys s, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, s, fmt, ap, 0);
	va_end(ap);
	exit(1);
}

int
log_ratelimit_ok(struct log_ratelimit *rl, uint64_t now_ms,
    uint64_t interval_ms, uint64_t *suppressed)
{
	if (rl->last_ms != 0 && now_ms - rl->last_ms < interval_ms) {
		rl->suppressed++;
		return 0;
	}
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	rl->last_ms = now_ms == 0 ? 1 : now_ms;
	return 1;
}
