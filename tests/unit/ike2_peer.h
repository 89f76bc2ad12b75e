/*
 * A scripted IKEv2 initiator against an engine of the unit tests' pair
 * (tests/unit/ike_pair.h, node 0 at 10.0.0.11 answering): it sends
 * IKE_SA_INIT and requests sealed with the keys it derives, and opens
 * the answers, so tests and the fuzzer reach the encrypted exchanges.
 * Suite: AES-CBC-256, HMAC-SHA2-256, group 19; ESP: AES-GCM-256.
 */
#ifndef HAVPN_TEST_IKE2_PEER_H
#define HAVPN_TEST_IKE2_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "ike_pair.h"
#include "ike/v2/crypto.h"
#include "ike/v2/wire.h"

struct ike2_peer {
	struct pair	*p;
	const char	*psk;
	uint8_t		 spii[IKE2_SPI_LEN], spir[IKE2_SPI_LEN];
	struct ike2_suite suite;
	struct ike2_keys keys;
	uint8_t		 ni[32], nr[IKE2_NONCE_MAX];
	size_t		 nrlen;
	uint8_t		 init_i[1024], init_r[1024];
	size_t		 init_ilen, init_rlen;
	uint32_t	 msgid;
	uint32_t	 esp_spi;	/* ours, offered in IKE_AUTH */
	/* the last answer: bytes, and its plaintext when encrypted */
	uint8_t		 resp[IKE_MAX_MSG];
	size_t		 resplen;
	uint8_t		 plain[IKE_MAX_MSG];
	size_t		 plainlen;
	uint8_t		 plain_np;
	/* the last CREATE_CHILD_SA for a CHILD SA: its nonce and DH; the
	 * nonce all cnonce_byte when cnonce_fixed, else random (so too the
	 * nonces of IKE rekeys, ours and answers) */
	uint8_t		 cni[32];
	int		 cnonce_fixed;
	uint8_t		 cnonce_byte;
	struct ike_dh	*cdh;
	int		 mid_sync;	/* IKE_AUTH announces RFC 6311 (set
					   after ike2_peer_sa_init) */
	uint16_t	 sport, dport;	/* what we send from and to (0: 500;
					   to 4500 with the non-ESP marker) */
	uint8_t		 req_exchange;	/* the engine's last request's */
	int		 responder;	/* the engine is the SA's original
					   initiator (a rekey of its own) */
};

/* The configuration node 0 answers with (psk: the keyring's key). */
char		*ike2_peer_conf(const char *);

/* Node b's (10.0.0.20), the mirror of node a's: it initiates IKEv2 to
 * a for 172.21.91.0/24 <-> 192.168.20.0/24 with psk, offering groups
 * (the proposal's group line). */
char		*ike2_peer_conf_b(const char *, const char *);

/*
 * IKE_SA_INIT (ke_group: the KE payload's, 19 to succeed; cut: send only
 * the first cut bytes when not 0).  0 when an answer came with an SA and
 * the keys are derived; 1 when an answer came without (a notify: see
 * resp); -1 when none came.
 */
int		 ike2_peer_sa_init(struct ike2_peer *, struct pair *, int,
		    size_t);
/*
 * IKE_SA_INIT (group 19) then IKE_AUTH with psk, announcing RFC 6311 when
 * mid_sync: 0 when the answer to IKE_AUTH opened (see ike2_peer_notify
 * for a refusal), else as ike2_peer_request.
 */
int		 ike2_peer_establish(struct ike2_peer *, struct pair *,
		    const char *, int);
/* The IKE_AUTH request's plaintext (IDi AUTH SA TSi TSr) into buf. */
size_t		 ike2_peer_auth_body(struct ike2_peer *, uint8_t *, size_t,
		    uint8_t *);
/*
 * A request under the SA: plain (its first payload's type np) sealed in
 * SK; flip: an octet of the sealed message to corrupt (0: none).  The
 * answer's plaintext in plain/plainlen (0 if it opened), 1 if an answer
 * came that did not open, -1 if none came.  msgid advances.
 */
int		 ike2_peer_request(struct ike2_peer *, uint8_t, uint8_t,
		    const uint8_t *, size_t, size_t);
/* The last message sent again (a retransmission of a request); as
 * ike2_peer_request. */
int		 ike2_peer_resend(struct ike2_peer *);
/* The first notify type in the answer's plaintext, 0 if none (RFC
 * 6311's IKEV2_MESSAGE_ID_SYNC_SUPPORTED passed over). */
uint16_t	 ike2_peer_notify(const struct ike2_peer *);
/* The answer carries a notify of this type. */
int		 ike2_peer_has_notify(const struct ike2_peer *, uint16_t);
/*
 * The plaintext of CREATE_CHILD_SA for a CHILD SA of the ACL's flows:
 * our ESP SPI spi (AES-GCM-256), a DH transform and a KE of ke_group
 * when not 0 (PFS), N(REKEY_SA) with SPI rekey when not 0.  Its length
 * (0: too long), the first payload's type in *np.
 */
size_t		 ike2_peer_child_body(struct ike2_peer *, uint32_t, uint32_t,
		    int, uint8_t *, size_t, uint8_t *);
/* The KEYMAT of the CHILD SA the last answer made, len bytes: 0 or -1. */
int		 ike2_peer_child_keymat(struct ike2_peer *, uint8_t *, size_t);
/*
 * Rekey the IKE SA (1.3.2): a new SPIi, a nonce and a KE (the payload
 * says ke_group, the key is group 19's).  0 with n the new SA (keys from
 * pe's SK_d, message IDs from 0); 1 when the answer carried no new SA
 * (ike2_peer_notify(pe) tells why); -1 when none came.
 */
int		 ike2_peer_rekey_ike(struct ike2_peer *, int, struct ike2_peer *);
/*
 * Answer the engine's rekey of the IKE SA (its request just taken, its
 * message ID msgid): INVALID_KE_PAYLOAD asking for want when its KE is
 * of another group (1 returned), else our SPI, a nonce and a KE of that
 * group (0 returned, n the new SA: the engine its original initiator, keys
 * from pe's SK_d, message IDs from 0); -1 if the request is not one.
 */
int		 ike2_peer_answer_rekey_ike(struct ike2_peer *, uint32_t, int,
		    struct ike2_peer *);
/*
 * The engine's last request of its own since the last call: opened into
 * plain/plainlen/plain_np, its message ID in *msgid.  0, or -1 when none
 * came or it did not open.
 */
int		 ike2_peer_take_request(struct ike2_peer *, uint32_t *);
/* An answer to the engine's request msgid (the exchange of the last one
 * taken): plain (first payload np) sealed; flip as ike2_peer_request. */
void		 ike2_peer_answer(struct ike2_peer *, uint32_t, uint8_t,
		    const uint8_t *, size_t, size_t);
/* IKE_SA_INIT's NAT detection hashes made wrong (both sides look
 * NATed) from now on, or right again. */
void		 ike2_peer_fake_nat(int);
/* Send this COOKIE first in the next IKE_SA_INIT, which keeps the SPIi
 * and Ni of the one before (2.6); NULL: none. */
void		 ike2_peer_cookie(const uint8_t *, size_t);
/* The engine of p's requests taken from now on (IKE_SA_INIT does it
 * for the pair it goes to). */
void		 ike2_peer_watch(struct pair *);
/* NAT keepalives the engine sent so far. */
int		 ike2_peer_keepalives(void);
/*
 * The plaintext answering the engine's CREATE_CHILD_SA for a CHILD SA:
 * our SPI spi (AES-GCM-256), a fresh nonce (kept in cni), the ACL's
 * flows with TSi the engine's side.  Its length, *np the first type.
 */
size_t		 ike2_peer_child_answer_body(struct ike2_peer *, uint32_t,
		    uint8_t *, size_t, uint8_t *);
/* What the peer holds (its DH). */
void		 ike2_peer_free(struct ike2_peer *);

#endif
