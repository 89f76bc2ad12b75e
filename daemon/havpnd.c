/*
 * havpnd: one per node.
 *
 *   havpnd [-Fnv] [-f FILE] [-s SOCKET] [-p PIDFILE]
 *   havpnd -t [-f FILE]
 *   havpnd -C [-f FILE] [-s SOCKET] [-p PIDFILE]   (after havpnd ended)
 *
 * Start-up: read and check the configuration (any error: exit 1, nothing
 * starts; a file others may write is one), check it against the machine,
 * warn about the file's mode and missing capabilities, detach unless -F,
 * open the control socket, write the pid file, run the loop.
 *
 * Signals: SIGTERM and SIGINT stop in order (control socket and pid file
 * removed); SIGHUP re-reads the configuration and keeps the old one if the
 * new one has an error.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <linux/capability.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/lib.h"
#include "daemon/daemon.h"
#include "ipc/ipc.h"
#include "vrrp/vrrp.h"

#define CONF_DEFAULT	"/etc/havpn/havpn.conf"
#define PID_DEFAULT	"/run/havpn/havpnd.pid"

static void
usage(void)
{
	fprintf(stderr, "usage: havpnd [-Fv] [-f file] [-s socket] "
	    "[-p pidfile]\n       havpnd -t [-f file]\n"
	    "       havpnd -C [-f file] [-s socket] [-p pidfile]\n");
	exit(2);
}

static struct config *
load_config(const char *path, int syscheck)
{
	struct conf_diag diag = { stderr, 0, 0 };
	struct config	*cf;

	cf = conf_load(path, &diag);
	if (cf != NULL && syscheck && syscheck_config(cf, &diag) == -1) {
		conf_free(cf);
		cf = NULL;
	}
	return cf;
}

/*
 * The pid file: never through a symbolic link, a FIFO or a second name
 * of another file (O_NOFOLLOW, O_NONBLOCK, one link), and not truncated
 * before that is known.  Whoever can plant one in the run directory
 * would otherwise have havpnd (its capabilities, its user) overwrite the
 * file it names.
 */
static int
write_pidfile(const char *path)
{
	struct stat	 st;
	char		*dir = xstrdup(path), buf[32];
	int		 fd, n;

	if (mkdir(dirname(dir), 0755) == -1 && errno != EEXIST)
		log_warn(LOG_MAIN, "mkdir for %s", path);
	free(dir);
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0644);
	if (fd == -1) {
		log_warn(LOG_MAIN, "pid file %s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1) {
		log_warnx(LOG_MAIN, "pid file %s: not a regular file with one "
		    "name: refused", path);
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || write(fd, buf, (size_t)n) != n) {
		log_warn(LOG_MAIN, "pid file %s", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * The configuration holds the keys.  conf refuses a file others may
 * write; what is merely unwise is said at each start and reload.
 */
static void
conf_mode_warn(const char *path)
{
	struct stat	 st;
	unsigned	 mode;

	if (stat(path, &st) == -1)
		return;
	mode = st.st_mode & 07777;
	if (st.st_mode & S_IROTH)
		log_warnx(LOG_CONF, "%s is readable by others (mode %04o) and "
		    "holds the keys: chmod o-r", path, mode);
	if (st.st_mode & S_IWGRP)
		log_warnx(LOG_CONF, "%s is writable by its group (gid %u, mode "
		    "%04o): its members can change the keys and peers", path,
		    (unsigned)st.st_gid, mode);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		log_warnx(LOG_CONF, "%s is owned by uid %u, neither root nor "
		    "havpnd's user: that user can change it", path,
		    (unsigned)st.st_uid);
}

/*
 * What the election, IKE and the data plane need (the systemd unit gives
 * havpnd these and no other): say which are missing, in one line, as
 * havpnd may still be of use without them (a lab, a look at the log).
 */
static void
caps_check(void)
{
	static const struct {
		unsigned	 cap;
		const char	*name;
	} need[] = {
		{ CAP_NET_ADMIN, "CAP_NET_ADMIN" },
		{ CAP_NET_RAW, "CAP_NET_RAW" },
		{ CAP_NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE" },
	};
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	char		 missing[80] = "";

	memset(&hdr, 0, sizeof(hdr));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) == -1) {
		log_warn(LOG_MAIN, "capget");
		return;
	}
	for (size_t i = 0; i < nitems(need); i++)
		if ((data[need[i].cap / 32].effective &
		    (1u << (need[i].cap % 32))) == 0)
			snprintf(missing + strlen(missing), sizeof(missing) -
			    strlen(missing), "%s%s", missing[0] ? ", " : "",
			    need[i].name);
	if (missing[0] != '\0')
		log_warnx(LOG_MAIN, "running without %s: the election, IKE "
		    "and the data plane need CAP_NET_ADMIN, CAP_NET_RAW and "
		    "CAP_NET_BIND_SERVICE", missing);
}

static void
sig_stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	log_info(LOG_MAIN, "signal %d: stopping", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static void
sig_hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct havpnd	*d = w->data;
	struct config	*cf, *old;
	struct conf_diag diag = { NULL, 0, 0 };
	char		*err = NULL;
	size_t		 errlen = 0;
	FILE		*f;

	(void)loop;
	(void)revents;
	/* collect the diagnostics so they reach the log, not a lost stderr */
	if ((f = open_memstream(&err, &errlen)) != NULL)
		diag.out = f;
	cf = conf_load(d->conf_path, &diag);
	if (cf != NULL && syscheck_config(cf, &diag) == -1) {
		conf_free(cf);
		cf = NULL;
	}
	if (f != NULL)
		fclose(f);
	if (cf == NULL) {
		d->reload_failures++;
		log_warnx(LOG_CONF, "SIGHUP: %s has errors, the running "
		    "configuration stays: %s", d->conf_path,
		    err != NULL ? err : "");
		free(err);
		return;
	}
	if (err != NULL && err[0] != '\0')
		log_warnx(LOG_CONF, "SIGHUP: %s", err);
	free(err);
	conf_mode_warn(d->conf_path);
	if (conf_equal(cf, d->cf)) {
		log_info(LOG_CONF, "SIGHUP: %s is unchanged", d->conf_path);
		conf_free(cf);
		return;
	}
	old = d->cf;
	d->cf = cf;
	modules_reload(d, old);
	conf_free(old);
	d->reloads++;
	log_info(LOG_CONF, "SIGHUP: loaded %s", d->conf_path);
}

/*
 * havpnd -C: what the systemd unit runs when havpnd has ended
 * (ExecStopPost).  After a clean stop there is nothing to do; after a
 * crash the VIPs are still on the interfaces and would answer beside the
 * node that took over: they go now.  Refused while a havpnd answers on
 * the control socket.
 */
static int
clean_after_crash(struct havpnd *d)
{
	struct sockaddr_un sun;
	struct config	*cf;
	int		 fd, n;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(d->ctl_path) >= sizeof(sun.sun_path))
		fatalx(LOG_MAIN, "control socket path too long");
	strcpy(sun.sun_path, d->ctl_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			log_warnx(LOG_MAIN, "havpnd is running (it answers on "
			    "%s): nothing removed", d->ctl_path);
			close(fd);
			return 1;
		}
		close(fd);
	}
	if ((cf = load_config(d->conf_path, 0)) == NULL)
		return 1;
	n = vrrp_remove_vips(cf);
	conf_free(cf);
	if (n == -1) {
		log_warn(LOG_MAIN, "removing virtual IPs");
		return 1;
	}
	log_info(LOG_MAIN, "after havpnd: %d virtual IP(s) removed", n);
	unlink(d->ctl_path);
	unlink(d->pid_path);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct havpnd	 d;
	int		 ch, check_only = 0, cleanup = 0, verbose = 0;

	memset(&d, 0, sizeof(d));
	d.conf_path = CONF_DEFAULT;
	d.ctl_path = CTL_SOCKET_DEFAULT;
	d.pid_path = PID_DEFAULT;
	while ((ch = getopt(argc, argv, "CFf:p:s:tv")) != -1) {
		switch (ch) {
		case 'C':
			cleanup = 1;
			break;
		case 'F':
			d.foreground = 1;
			break;
		case 'f':
			d.conf_path = optarg;
			break;
		case 'p':
			d.pid_path = optarg;
			break;
		case 's':
			d.ctl_path = optarg;
			break;
		case 't':
			check_only = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	log_init("havpnd", 1, verbose);
	if (check_only) {
		/* stricter than a start: what cannot carry a tunnel or sync */
		struct conf_diag diag = { stderr, 0, 0 };
		struct conf_host host = { ipc_kernel_has_sctp() };
		struct config *cf = conf_load_strict(d.conf_path, &host, &diag);

		if (cf == NULL)
			return 1;
		conf_free(cf);
		return 0;
	}
	if (cleanup)
		return clean_after_crash(&d);
	if ((d.cf = load_config(d.conf_path, 1)) == NULL)
		return 1;
	conf_mode_warn(d.conf_path);
	caps_check();
	if (!d.foreground) {
		if (daemon(0, 0) == -1)
			fatal(LOG_MAIN, "daemon");
		log_init("havpnd", 0, verbose);
	}
	signal(SIGPIPE, SIG_IGN);
	d.started = time(NULL);
	d.loop = ev_default_loop(EVFLAG_AUTO);
	if (d.loop == NULL)
		fatalx(LOG_MAIN, "libev: no event loop");
	if ((d.ctl = control_open(&d, d.ctl_path)) == NULL) {
		conf_free(d.cf);
		return 1;
	}
	if (write_pidfile(d.pid_path) == -1) {
		control_close(d.ctl);
		conf_free(d.cf);
		return 1;
	}
	if (modules_start(&d) == -1) {
		control_close(d.ctl);
		unlink(d.pid_path);
		conf_free(d.cf);
		return 1;
	}
	ev_signal_init(&d.sig_term, sig_stop_cb, SIGTERM);
	ev_signal_init(&d.sig_int, sig_stop_cb, SIGINT);
	ev_signal_init(&d.sig_hup, sig_hup_cb, SIGHUP);
	d.sig_hup.data = &d;
	ev_signal_start(d.loop, &d.sig_term);
	ev_signal_start(d.loop, &d.sig_int);
	ev_signal_start(d.loop, &d.sig_hup);

	log_info(LOG_MAIN, "havpnd %s started with %s, control socket %s",
	    HAVPN_VERSION, d.conf_path, d.ctl_path);
	ev_run(d.loop, 0);

	modules_stop(&d);
	control_close(d.ctl);
	unlink(d.pid_path);
	conf_free(d.cf);
	log_info(LOG_MAIN, "stopped");
	return 0;
}
