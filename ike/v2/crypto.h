/*
 * ike/v2/crypto.h: the cryptography of IKEv2 (RFC 7296), internal to ike/.
 * OpenSSL 3 EVP only, through ike/crypto.c's prf (HMAC) and CBC ciphers.
 *
 *   prf+			RFC 7296 2.13
 *   SKEYSEED and SK_*		2.14; a rekeyed IKE SA's, 2.18
 *   CHILD SA KEYMAT		2.17
 *   AUTH with a shared key	2.15
 *   the Encrypted payload	3.14 (AES-CBC with an HMAC integrity
 *				algorithm) and RFC 5282 (AES-GCM)
 *
 * Every function is pure (no state beyond cached algorithm handles) so the
 * known-answer tests call it directly.  Key material in and out is caller
 * memory; callers wipe it.
 */
#ifndef HAVPN_IKE_V2_CRYPTO_H
#define HAVPN_IKE_V2_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "alg/alg.h"
#include "ike/crypto.h"
#include "ike/v2/wire.h"

/* an SK_e: AES-256 and RFC 5282's 4-byte salt */
#define IKE2_MAX_ENCKEY		36
/* prf+ gives at most 255 blocks (2.13) */
#define IKE2_PRFPLUS_MAX(h)	(255 * ike_hash_len(h))

/*
 * An IKE SA's algorithms.  enc is alg_enc(ALG_ENC_AES) (CBC, with integ)
 * or alg_esp_enc(ALG_ESP_GCM) (AES-GCM with a 16-byte ICV: RFC 5282, the
 * same transform ID as ESP's; integ 0); keybits its key size.
 */
struct ike2_suite {
	enum alg_hash		 prf;
	enum alg_hash		 integ;		/* 0 with an AEAD */
	const struct alg_cipher	*enc;
	int			 keybits;
};

/* Whether the suite is usable: known algorithms, an integ iff not AEAD. */
int		 ike2_suite_ok(const struct ike2_suite *);
/* SK_a (0 with an AEAD) and SK_e (the salt included) lengths in bytes. */
size_t		 ike2_integ_keylen(const struct ike2_suite *);
size_t		 ike2_enc_keylen(const struct ike2_suite *);

/* prf+(K, S) = T1 | T2 | ..., Tn = prf(K, Tn-1 | S | n); outlen at most
 * IKE2_PRFPLUS_MAX.  0 or -1. */
int		 ike2_prfplus(enum alg_hash, const uint8_t *, size_t,
		    const struct ike_iov *, int, uint8_t *, size_t);

/* The keys of an IKE SA, each as long as the suite says. */
struct ike2_keys {
	uint8_t		 d[IKE_MAX_HASH];
	uint8_t		 ai[IKE_MAX_HASH];
	uint8_t		 ar[IKE_MAX_HASH];
	uint8_t		 ei[IKE2_MAX_ENCKEY];
	uint8_t		 er[IKE2_MAX_ENCKEY];
	uint8_t		 pi[IKE_MAX_HASH];
	uint8_t		 pr[IKE_MAX_HASH];
	size_t		 prflen;	/* d, pi, pr */
	size_t		 alen;		/* ai, ar; 0 with an AEAD */
	size_t		 elen;		/* ei, er */
};

/*
 * A new IKE SA (2.14):
 *   SKEYSEED = prf(Ni | Nr, g^ir)
 *   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *     = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 * g^ir is the shared secret as ike_dh_derive gives it (2.14: the x
 * coordinate for ECP groups, RFC 5903).  0 or -1.
 */
int		 ike2_kdf_ike(const struct ike2_suite *, const uint8_t *,
		    size_t, const uint8_t *, size_t, const uint8_t *, size_t,
		    const uint8_t *, const uint8_t *, struct ike2_keys *);

/*
 * A rekeyed IKE SA (2.18): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni |
 * Nr), the old SA's prf; the keys then as above with the new suite, the
 * new SA's nonces and SPIs.  The old prf and SK_d come first.
 */
int		 ike2_kdf_rekey(enum alg_hash, const uint8_t *, size_t,
		    const struct ike2_suite *, const uint8_t *, size_t,
		    const uint8_t *, size_t, const uint8_t *, size_t,
		    const uint8_t *, const uint8_t *, struct ike2_keys *);

/*
 * A CHILD SA's keying material (2.17): KEYMAT = prf+(SK_d, Ni | Nr), or
 * prf+(SK_d, g^ir (new) | Ni | Nr) with PFS (gir NULL: none).  Taken in
 * order: the initiator-to-responder encryption then integrity key, then
 * the responder-to-initiator ones.
 */
int		 ike2_keymat(enum alg_hash, const uint8_t *, size_t,
		    const uint8_t *, size_t, const uint8_t *, size_t,
		    const uint8_t *, size_t, uint8_t *, size_t);

/*
 * AUTH with a shared key (2.15):
 *   AUTH = prf(prf(key, "Key Pad for IKEv2"), <SignedOctets>)
 *   SignedOctets = the sender's first message (IKE_SA_INIT) | the other
 *     side's nonce data | prf(SK_p, the sender's ID payload body)
 * where SK_p is the sender's (SK_pi for the initiator), and the ID
 * payload body is ID type | 3 reserved bytes | data.  out gets the prf's
 * length.  0 or -1.
 */
int		 ike2_psk_auth(enum alg_hash, const void *, size_t,
		    const uint8_t *, size_t, const uint8_t *, size_t,
		    const uint8_t *, size_t, const uint8_t *, size_t,
		    uint8_t *);

/*
 * One direction of the Encrypted payload (3.14): the sender's SK_e and
 * SK_a (SK_ei and SK_ai for messages the original initiator sends).
 * Borrowed.
 */
struct ike2_sk {
	const struct ike2_suite	*suite;
	const uint8_t		*ekey;		/* ike2_enc_keylen bytes */
	const uint8_t		*akey;		/* ike2_integ_keylen bytes */
};

/* IV bytes, and the body of an SK payload holding plainlen bytes of
 * inner payloads: IV | ciphertext (padded, pad length) | ICV. */
size_t		 ike2_sk_iv_len(const struct ike2_sk *);
size_t		 ike2_sk_body_len(const struct ike2_sk *, size_t);

/*
 * Seal an SK payload in place.  msg[0, aadlen) is the message up to and
 * including the SK payload's generic header, every length in it final
 * (the SK payload's is 4 + ike2_sk_body_len); the inner payloads are at
 * msg + aadlen + ike2_sk_iv_len, plainlen bytes, and the buffer holds
 * the whole body.  Writes the IV (given, for tests, or random when NULL),
 * pads, encrypts and appends the ICV: over the whole message up to it
 * with HMAC (3.14), or GCM with the message up to the IV as associated
 * data (RFC 5282 5.1).  0 or -1.
 */
int		 ike2_sk_seal(const struct ike2_sk *, uint8_t *, size_t,
		    size_t, const uint8_t *);

/*
 * Open an SK payload in place: msg[0, aadlen) as above, the body
 * msg[aadlen, aadlen + bodylen).  The ICV is checked before anything is
 * decrypted.  0 with *plain and *plainlen the inner payloads (in msg),
 * or -1 with a reason in err.
 */
int		 ike2_sk_open(const struct ike2_sk *, uint8_t *, size_t,
		    size_t, uint8_t **, size_t *, const char **);

#endif
