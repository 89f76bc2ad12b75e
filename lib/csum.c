/*
 * The Internet checksum (RFC 1071): the one's complement of the one's
 * complement sum of 16-bit big-endian words.  Used for the IPv4 header,
 * TCP and UDP (esp/), and VRRP (vrrp/, which adds its pseudo-header).
 */
#include "lib.h"

/*
 * Four bytes a step into 64 bits: the carries pile up above bit 31 and
 * are folded back once at the end (RFC 1071 2(B), deferred carries).
 */
uint32_t
csum_add(uint32_t sum, const void *buf, size_t n)
{
	const uint8_t	*p = buf;
	uint64_t	 s = sum;

	while (n >= 4) {
		s += be32_get(p);
		p += 4;
		n -= 4;
	}
	if (n >= 2) {
		s += be16_get(p);
		p += 2;
		n -= 2;
	}
	if (n == 1)
		s += (uint32_t)p[0] << 8;	/* padded with a zero byte */
	while (s >> 32)
		s = (s & 0xffffffff) + (s >> 32);
	return (uint32_t)s;
}

uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}
