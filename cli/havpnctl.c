/*
 * havpnctl: ask a running havpnd, over its control socket, and print the
 * answer in the IOS layout (or as JSON with --json).
 *
 *   havpnctl [-s SOCKET] [--json] COMMAND [ARGS]
 *   havpnctl help
 *
 * Command words may be abbreviated as on IOS ("sh run").  Exit status:
 * 0 done, 1 the daemon refused the command, 2 usage (also an unknown,
 * incomplete or ambiguous command, reported as IOS does by cmd_match()),
 * 3 no daemon answers.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/lib.h"
#include "cli/render.h"

static void
print_help(FILE *out)
{
	fprintf(out, "usage: havpnctl [-s socket] [--json] command [args]\n\n"
	    "Commands (words may be abbreviated, as on IOS):\n");
	for (int i = 0; i < CTL_NCOMMANDS; i++) {
		char	 line[128];

		snprintf(line, sizeof(line), "%s%s%s", ctl_command_words[i],
		    ctl_command_args[i][0] != '\0' ? " " : "",
		    ctl_command_args[i]);
		fprintf(out, "  %-42s %s\n", line, ctl_command_help[i]);
	}
	fprintf(out, "  %-42s %s\n", "help", "this list");
	fprintf(out, "\nOptions:\n  -s PATH   control socket (default %s)\n"
	    "  --json    print the reply's facts as JSON\n"
	    "  -r FILE   print the facts saved in FILE (a --json output) in "
	    "the IOS\n            layout, without asking havpnd\n",
	    CTL_SOCKET_DEFAULT);
}

static int
ask(const char *path, const char *request, char **reply)
{
	struct sockaddr_un sun;
	char	 buf[65536];
	size_t	 len = 0, rlen = strlen(request);
	ssize_t	 n;
	int	 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "havpnctl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "havpnctl: cannot reach havpnd at %s: %s (is "
		    "havpnd running?)\n", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	while (rlen > 0) {
		n = write(fd, request, rlen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "havpnctl: send to havpnd: %s\n",
			    strerror(errno));
			close(fd);
			return -1;
		}
		request += n;
		rlen -= (size_t)n;
	}
	*reply = NULL;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			fprintf(stderr, "havpnctl: read from havpnd: %s\n",
			    strerror(errno));
			free(*reply);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		*reply = xreallocarray(*reply, len + (size_t)n + 1, 1);
		memcpy(*reply + len, buf, (size_t)n);
		len += (size_t)n;
		(*reply)[len] = '\0';
	}
	close(fd);
	if (*reply == NULL) {
		fprintf(stderr, "havpnctl: havpnd closed the connection without "
		    "a reply\n");
		return -1;
	}
	return 0;
}

/*
 * Send one command (id, with args) and return the daemon's reply object,
 * or NULL after saying why on stderr (*rc: 3 no daemon, 1 bad reply).
 */
static json_object *
request(const char *path, int id, int argc, char **argv, int *rc)
{
	json_object	*req, *args, *reply;
	char		*text, *raw;

	req = json_object_new_object();
	json_object_object_add(req, "command",
	    json_object_new_string(ctl_command_words[id]));
	args = json_object_new_array();
	for (int i = 0; i < argc; i++)
		json_object_array_add(args, json_object_new_string(argv[i]));
	json_object_object_add(req, "args", args);
	xasprintf(&text, "%s\n", json_object_to_json_string_ext(req,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(req);
	if (ask(path, text, &raw) == -1) {
		free(text);
		*rc = 3;
		return NULL;
	}
	free(text);
	reply = json_tokener_parse(raw);
	free(raw);
	if (reply == NULL || !json_object_is_type(reply, json_type_object)) {
		fprintf(stderr, "havpnctl: havpnd sent a malformed reply\n");
		json_object_put(reply);
		*rc = 1;
		return NULL;
	}
	return reply;
}

/*
 * redundancy switchover: the daemon has asked the peer, which answers over
 * the sync channel.  Wait (at most 5 s) for the answer, so that a refusal
 * is this command's failure.  Returns 0, or 1 refused, 3 no daemon.
 */
#define SWITCHOVER_WAIT_MS	5000
static int
switchover_wait(const char *path, json_object *data)
{
	json_object	*sw = jget(data, "switchover"), *reply, *now;
	uint64_t	 refused = (uint64_t)jint(sw, "refused");
	int		 rc = 0;

	for (int ms = 0; sw != NULL && jbool(sw, "pending"); ms += 20) {
		if (ms >= SWITCHOVER_WAIT_MS) {
			fprintf(stderr, "havpnctl: no outcome in %d ms: see "
			    "show redundancy states\n", SWITCHOVER_WAIT_MS);
			return 1;
		}
		usleep(20000);
		if ((reply = request(path, CTL_SHOW_REDUNDANCY_STATES, 0, NULL,
		    &rc)) == NULL)
			return rc;
		now = json_object_get(jget(jget(reply, "data"), "switchover"));
		json_object_put(reply);
		if (now == NULL)
			break;
		json_object_object_add(data, "switchover", now);
		sw = now;
	}
	if (sw != NULL && (uint64_t)jint(sw, "refused") > refused) {
		fprintf(stderr, "havpnctl: switchover %s\n",
		    jstr(sw, "last_result"));
		return 1;
	}
	return 0;
}

/*
 * -r FILE: the facts a --json output saved, if they are this command's
 * (--json names its command; a file without the name is taken as is).
 * NULL after saying why.
 */
static json_object *
saved_load(const char *path, int id)
{
	json_object	*data, *cmd;
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			fprintf(stderr, "havpnctl: %s: no such file\n", path);
		else
			fprintf(stderr, "havpnctl: %s: %s\n", path,
			    strerror(errno));
		return NULL;
	}
	fclose(f);
	if ((data = json_object_from_file(path)) == NULL ||
	    !json_object_is_type(data, json_type_object)) {
		fprintf(stderr, "havpnctl: %s: not a JSON file\n", path);
		json_object_put(data);
		return NULL;
	}
	if (json_object_object_get_ex(data, "command", &cmd) &&
	    strcmp(json_object_get_string(cmd), ctl_command_words[id]) != 0) {
		fprintf(stderr, "havpnctl: %s holds the output of \"%s\", not "
		    "of \"%s\"\n", path, json_object_get_string(cmd),
		    ctl_command_words[id]);
		json_object_put(data);
		return NULL;
	}
	return data;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*path = CTL_SOCKET_DEFAULT, *saved = NULL;
	json_object	*reply, *data;
	char		 err[2048];
	int		 ch, json = 0, id, nw, rc = 0;
	render_fn	 fn;

	while ((ch = getopt_long(argc, argv, "+s:r:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		case 'r':
			saved = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			print_help(stdout);
			return 0;
		case 'V':
			printf("havpnctl %s\n", HAVPN_VERSION);
			return 0;
		default:
			print_help(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	/* --json may also come last, as "show ... --json" reads naturally */
	if (argc > 0 && strcmp(argv[argc - 1], "--json") == 0) {
		json = 1;
		argc--;
	}
	if (argc == 0 || strcmp(argv[0], "help") == 0 ||
	    strcmp(argv[0], "?") == 0) {
		print_help(argc == 0 ? stderr : stdout);
		return argc == 0 ? 2 : 0;
	}
	id = cmd_match(ctl_command_words, ctl_command_args, CTL_NCOMMANDS,
	    argc, argv, &nw, err, sizeof(err));
	if (id == -1) {
		/* IOS's report: the caret lines up under the line typed */
		fprintf(stderr, "%s\n", err);
		return 2;
	}

	if (saved != NULL) {
		/* facts saved earlier: render them as the daemon's reply */
		if ((data = saved_load(saved, id)) == NULL)
			return 2;
		if (json)
			printf("%s\n", json_object_to_json_string_ext(data,
			    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
		else if ((fn = render_lookup(id)) != NULL)
			fn(data, stdout);
		json_object_put(data);
		return 0;
	}

	if ((reply = request(path, id, argc - nw, argv + nw, &rc)) == NULL)
		return rc;
	if (!jbool(reply, "ok")) {
		fprintf(stderr, "havpnctl: %s\n", jstr(reply, "error"));
		json_object_put(reply);
		return 1;
	}
	data = jget(reply, "data");
	if (id == CTL_REDUNDANCY_SWITCHOVER &&
	    (rc = switchover_wait(path, data)) != 0) {
		json_object_put(reply);
		return rc;
	}
	if (json) {
		/* named, so that -r can tell whose facts a saved file holds */
		if (data != NULL)
			json_object_object_add(data, "command",
			    json_object_new_string(ctl_command_words[id]));
		printf("%s\n", json_object_to_json_string_ext(data,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
	} else if ((fn = render_lookup(id)) != NULL)
		fn(data, stdout);
	json_object_put(reply);
	return 0;
}
