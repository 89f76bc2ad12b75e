/*
 * udp_blast: a UDP load generator cheap enough that the data plane under
 * test, not the generator, is what a benchmark measures.  Sends datagrams
 * of SIZE payload bytes (default 1372: 1400-byte IP packets) from SRC to
 * DST:PORT for SECONDS, 44 at a time as one UDP GSO datagram, and prints
 * how many it sent.
 *
 *   udp_blast SRC DST PORT SECONDS [SIZE]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include "lib/lib.h"

#define GSO_SEGS	44

int
main(int argc, char **argv)
{
	struct sockaddr_in src, dst;
	static uint8_t	 buf[GSO_SEGS * 1472];
	uint64_t	 sent = 0, end;
	size_t		 size;
	int		 fd, gso = 1;

	if (argc < 5) {
		fprintf(stderr, "usage: udp_blast SRC DST PORT SECONDS "
		    "[SIZE]\n");
		return 2;
	}
	size = argc > 5 ? strtoul(argv[5], NULL, 10) : 1372;
	if (size < 8 || size > 1472)
		return 2;
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	src.sin_family = dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)atoi(argv[3]));
	if (inet_pton(AF_INET, argv[1], &src.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1)
		return 2;
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1 ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == -1) {
		perror("udp_blast");
		return 1;
	}
	memset(buf, 0xa5, sizeof(buf));
	end = time_mono_ms() + strtoul(argv[4], NULL, 10) * 1000;
	while (time_mono_ms() < end) {
		for (int i = 0; i < 64; i++) {
			ssize_t	 r;

			if (gso) {
				char	 c[CMSG_SPACE(sizeof(uint16_t))];
				struct iovec iov = { buf, size * GSO_SEGS };
				struct msghdr m = { 0 };
				struct cmsghdr *cm;
				uint16_t seg = (uint16_t)size;

				m.msg_iov = &iov;
				m.msg_iovlen = 1;
				m.msg_control = c;
				m.msg_controllen = sizeof(c);
				cm = CMSG_FIRSTHDR(&m);
				cm->cmsg_level = IPPROTO_UDP;
				cm->cmsg_type = UDP_SEGMENT;
				cm->cmsg_len = CMSG_LEN(sizeof(seg));
				memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
				r = sendmsg(fd, &m, 0);
				if (r > 0) {
					sent += GSO_SEGS;
					continue;
				}
				if (errno == EIO || errno == EINVAL) {
					gso = 0;
					continue;
				}
			} else if ((r = send(fd, buf, size, 0)) > 0) {
				sent++;
				continue;
			}
			/* a full queue or an ICMP error: keep going */
		}
	}
	printf("sent %llu\n", (unsigned long long)sent);
	return 0;
}
