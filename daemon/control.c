/*
 * The control socket: a UNIX stream socket, mode 0600.  Each connection
 * carries one JSON request line and gets one JSON reply (daemon/ctl.h).
 * Nothing blocks the event loop: the reply is written as the client reads
 * it.  A client that has not sent its request, or not read its reply,
 * within CTL_TIMEOUT seconds is dropped, as is one that sends more than
 * CTL_MAX_REQUEST bytes; beyond CTL_MAX_CLIENTS connections at once a new
 * one gets an error line and is closed.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/lib.h"
#include "daemon/daemon.h"

#define CTL_TIMEOUT	5.0
#define CTL_MAX_CLIENTS	32

struct control {
	struct havpnd	*d;
	int		 fd;
	char		*path;
	ev_io		 accept_w;
	int		 nconns;
	uint64_t	 refused;	/* beyond CTL_MAX_CLIENTS */
	uint64_t	 timeouts;
	struct log_ratelimit rl;
};

struct ctl_conn {
	struct control	*ctl;
	int		 fd;
	char		*buf;		/* the request */
	size_t		 len;
	char		*out;		/* the reply, written as it drains */
	size_t		 outlen;
	size_t		 outoff;
	ev_io		 read_w;
	ev_io		 write_w;
	ev_timer	 timeout_w;
};

static void
conn_free(struct ctl_conn *c)
{
	struct ev_loop *loop = c->ctl->d->loop;

	ev_io_stop(loop, &c->read_w);
	ev_io_stop(loop, &c->write_w);
	ev_timer_stop(loop, &c->timeout_w);
	close(c->fd);
	free(c->buf);
	free(c->out);
	c->ctl->nconns--;
	free(c);
}

/* Write what the socket takes; the connection ends with the reply. */
static void
conn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_conn	*c = w->data;
	ssize_t		 n;

	(void)loop;
	(void)revents;
	while (c->outoff < c->outlen) {
		n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			log_warn(LOG_CTL, "reply to control client");
			break;
		}
		c->outoff += (size_t)n;
	}
	conn_free(c);
}

/*
 * The reply: s and a newline, written as the client reads it, within a
 * fresh CTL_TIMEOUT.  The connection is freed once it is written (or
 * fails); no more input is read.
 */
static void
conn_write(struct ctl_conn *c, const char *s)
{
	struct ev_loop *loop = c->ctl->d->loop;

	ev_io_stop(loop, &c->read_w);
	c->outlen = strlen(s) + 1;
	c->out = xmalloc(c->outlen);
	memcpy(c->out, s, c->outlen - 1);
	c->out[c->outlen - 1] = '\n';
	c->outoff = 0;
	ev_timer_stop(loop, &c->timeout_w);
	ev_timer_set(&c->timeout_w, CTL_TIMEOUT, 0);
	ev_timer_start(loop, &c->timeout_w);
	ev_io_init(&c->write_w, conn_write_cb, c->fd, EV_WRITE);
	c->write_w.data = c;
	ev_io_start(loop, &c->write_w);
}

static void
reply_error(struct ctl_conn *c, const char *msg)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "ok", json_object_new_boolean(0));
	json_object_object_add(r, "error", json_object_new_string(msg));
	conn_write(c, json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN));
	json_object_put(r);
}

static void
handle_request(struct ctl_conn *c)
{
	json_object	*req, *cmd, *args, *r, *data;
	const char	*name;
	char		*argv[64], err[512] = "";
	int		 argc = 0, id;
	size_t		 n;
	ctl_handler	 fn;

	req = json_tokener_parse(c->buf);
	if (req == NULL || !json_object_is_type(req, json_type_object) ||
	    !json_object_object_get_ex(req, "command", &cmd) ||
	    !json_object_is_type(cmd, json_type_string)) {
		reply_error(c, "malformed request: expected a JSON object with "
		    "a \"command\" string");
		json_object_put(req);
		return;
	}
	name = json_object_get_string(cmd);
	if (json_object_object_get_ex(req, "args", &args)) {
		if (!json_object_is_type(args, json_type_array) ||
		    json_object_array_length(args) > nitems(argv)) {
			reply_error(c, "malformed request: \"args\" must be an "
			    "array of at most 64 strings");
			json_object_put(req);
			return;
		}
		n = json_object_array_length(args);
		for (size_t i = 0; i < n; i++) {
			json_object *a = json_object_array_get_idx(args, i);

			if (!json_object_is_type(a, json_type_string)) {
				reply_error(c, "malformed request: \"args\" "
				    "must hold strings");
				json_object_put(req);
				return;
			}
			argv[argc++] = (char *)json_object_get_string(a);
		}
	}
	for (id = 0; id < CTL_NCOMMANDS; id++)
		if (strcmp(ctl_command_words[id], name) == 0)
			break;
	if (id == CTL_NCOMMANDS || (fn = command_handler(id)) == NULL) {
		snprintf(err, sizeof(err), "unknown command \"%s\"", name);
		reply_error(c, err);
		json_object_put(req);
		return;
	}
	log_debug(LOG_CTL, "command \"%s\" with %d argument(s)", name, argc);
	data = json_object_new_object();
	if (fn(c->ctl->d, argc, argv, data, err, sizeof(err)) == -1) {
		reply_error(c, err[0] != '\0' ? err : "command failed");
	} else {
		r = json_object_new_object();
		json_object_object_add(r, "ok", json_object_new_boolean(1));
		json_object_object_add(r, "command",
		    json_object_new_string(name));
		json_object_object_add(r, "data", json_object_get(data));
		conn_write(c, json_object_to_json_string_ext(r,
		    JSON_C_TO_STRING_PLAIN));
		json_object_put(r);
	}
	json_object_put(data);
	json_object_put(req);
}

static void
conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_conn	*c = w->data;
	char		 tmp[4096], *nl;
	ssize_t		 n;

	(void)loop;
	(void)revents;
	n = read(c->fd, tmp, sizeof(tmp));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_free(c);
		return;
	}
	if (c->len + (size_t)n > CTL_MAX_REQUEST) {
		reply_error(c, "request too large");
		return;
	}
	c->buf = xreallocarray(c->buf, c->len + (size_t)n + 1, 1);
	memcpy(c->buf + c->len, tmp, (size_t)n);
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if ((nl = memchr(c->buf, '\n', c->len)) == NULL)
		return;
	*nl = '\0';
	if (strlen(c->buf) != (size_t)(nl - c->buf)) {
		reply_error(c, "malformed request: NUL byte");
		return;
	}
	handle_request(c);
}

static void
conn_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl_conn *c = w->data;

	(void)loop;
	(void)revents;
	c->ctl->timeouts++;
	log_debug(LOG_CTL, "control client timed out (%s)", c->out == NULL ?
	    "no request" : "reply not read");
	conn_free(c);
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control	*ctl = w->data;
	struct ctl_conn	*c;
	int		 fd;

	(void)revents;
	fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn(LOG_CTL, "accept");
		return;
	}
	if (ctl->nconns >= CTL_MAX_CLIENTS) {
		static const char busy[] = "{\"ok\":false,\"error\":\"too many "
		    "control clients at once: try again\"}\n";
		uint64_t sup;

		/* one try, never waiting: the line fits any socket buffer */
		(void)!write(fd, busy, sizeof(busy) - 1);
		close(fd);
		ctl->refused++;
		if (log_ratelimit_ok(&ctl->rl, time_mono_ms(), 5000, &sup))
			log_warnx(LOG_CTL, "%d control clients at once: a new "
			    "one refused (%llu similar lines suppressed)",
			    CTL_MAX_CLIENTS, (unsigned long long)sup);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->ctl = ctl;
	c->fd = fd;
	ctl->nconns++;
	ev_io_init(&c->read_w, conn_read_cb, fd, EV_READ);
	c->read_w.data = c;
	ev_io_start(loop, &c->read_w);
	ev_timer_init(&c->timeout_w, conn_timeout_cb, CTL_TIMEOUT, 0);
	c->timeout_w.data = c;
	ev_timer_start(loop, &c->timeout_w);
}

struct control *
control_open(struct havpnd *d, const char *path)
{
	struct control	*ctl;
	struct sockaddr_un sun;
	char		*dir;
	mode_t		 old;
	int		 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx(LOG_CTL, "control socket path %s is too long", path);
		return NULL;
	}
	strcpy(sun.sun_path, path);
	dir = xstrdup(path);
	if (mkdir(dirname(dir), 0700) == -1 && errno != EEXIST) {
		log_warn(LOG_CTL, "mkdir %s", dir);
		free(dir);
		return NULL;
	}
	free(dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn(LOG_CTL, "socket");
		return NULL;
	}
	/* a live daemon answers on an existing socket: do not steal it */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ||
	    errno == EAGAIN) {
		log_warnx(LOG_CTL, "another havpnd answers on %s", path);
		close(fd);
		return NULL;
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn(LOG_CTL, "socket");
		return NULL;
	}
	unlink(path);
	old = umask(0077);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		log_warn(LOG_CTL, "bind %s", path);
		close(fd);
		return NULL;
	}
	umask(old);
	if (chmod(path, 0600) == -1 || listen(fd, 16) == -1) {
		log_warn(LOG_CTL, "control socket %s", path);
		close(fd);
		unlink(path);
		return NULL;
	}
	ctl = xcalloc(1, sizeof(*ctl));
	ctl->d = d;
	ctl->fd = fd;
	ctl->path = xstrdup(path);
	ev_io_init(&ctl->accept_w, accept_cb, fd, EV_READ);
	ctl->accept_w.data = ctl;
	ev_io_start(d->loop, &ctl->accept_w);
	return ctl;
}

void
control_counts(const struct control *ctl, int *n, uint64_t *refused,
    uint64_t *timeouts)
{
	*n = ctl->nconns;
	*refused = ctl->refused;
	*timeouts = ctl->timeouts;
}

void
control_close(struct control *ctl)
{
	if (ctl == NULL)
		return;
	ev_io_stop(ctl->d->loop, &ctl->accept_w);
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}
