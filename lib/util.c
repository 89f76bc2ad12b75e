/* Addresses, memory, hex and the clock: small helpers without protocol. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "lib.h"

int
addr_parse(const char *s, struct in_addr *a)
{
	unsigned int	 part[4];
	int		 n, i;
	char		 tail;

	/* inet_aton accepts "1", "1.2" and octal; a config wants a dotted quad. */
	n = sscanf(s, "%u.%u.%u.%u%c", &part[0], &part[1], &part[2],
	    &part[3], &tail);
	if (n != 4)
		return -1;
	for (i = 0; i < 4; i++)
		if (part[i] > 255)
			return -1;
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] == '0' && (i == 0 || s[i - 1] == '.') &&
		    s[i + 1] >= '0' && s[i + 1] <= '9')
			return -1;	/* leading zero: ambiguous (octal?) */
	a->s_addr = htonl(part[0] << 24 | part[1] << 16 | part[2] << 8 |
	    part[3]);
	return 0;
}

int
addr_mask_valid(struct in_addr m)
{
	uint32_t h = ntohl(m.s_addr);

	/* ones then zeros: ~h + 1 is a power of two (or zero for /0) */
	return ((~h + 1) & ~h) == 0;
}

int
addr_mask_len(struct in_addr m)
{
	uint32_t h = ntohl(m.s_addr);
	int	 n = 0;

	while (h & 0x80000000u) {
		n++;
		h <<= 1;
	}
	return n;
}

struct in_addr
addr_mask_from_len(int len)
{
	struct in_addr m;

	m.s_addr = len <= 0 ? 0 : htonl(0xffffffffu << (32 - len));
	return m;
}

const char *
addr_str(struct in_addr a, char *out)
{
	return inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN);
}

int
addr_match_wildcard(struct in_addr a, struct in_addr base,
    struct in_addr wildcard)
{
	return ((a.s_addr ^ base.s_addr) & ~wildcard.s_addr) == 0;
}

void *
xmalloc(size_t n)
{
	void	*p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		fatal(LOG_MAIN, "malloc");
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void	*p = calloc(n == 0 ? 1 : n, sz == 0 ? 1 : sz);

	if (p == NULL)
		fatal(LOG_MAIN, "calloc");
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t sz)
{
	void	*q;

	if (sz != 0 && n > SIZE_MAX / sz) {
		errno = ENOMEM;
		fatal(LOG_MAIN, "reallocarray");
	}
	q = realloc(p, n * sz == 0 ? 1 : n * sz);
	if (q == NULL)
		fatal(LOG_MAIN, "realloc");
	return q;
}

char *
xstrdup(const char *s)
{
	char	*p = strdup(s);

	if (p == NULL)
		fatal(LOG_MAIN, "strdup");
	return p;
}

int
xasprintf(char **out, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(out, fmt, ap);
	va_end(ap);
	if (n == -1)
		fatal(LOG_MAIN, "asprintf");
	return n;
}

void
free_secret(void *p, size_t n)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, n);
	free(p);
}

void
hex_encode(const void *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t	*b = p;
	size_t		 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *s, void *out, size_t cap)
{
	size_t	 n = strlen(s), i;
	uint8_t	*b = out;
	int	 hi, lo;

	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (i = 0; i < n / 2; i++) {
		hi = hex_digit(s[2 * i]);
		lo = hex_digit(s[2 * i + 1]);
		if (hi == -1 || lo == -1)
			return -1;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

uint64_t
time_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
time_mono_ms(void)
{
	return time_mono_us() / 1000;
}
