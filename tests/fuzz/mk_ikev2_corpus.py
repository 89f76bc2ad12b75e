#!/usr/bin/python3
"""Write the seed corpus of fuzz_ikev2: IKEv2 messages of each exchange as
strongSwan lays them out (RFC 7296 section 3); and the CREATE_CHILD_SA
seeds of fuzz_ikev2_session (records of its input format, see
fuzz_ikev2_session.c), which it seals under an established SA.  An SK payload's body is
the inner payloads in clear and nothing else (no IV, no ICV), as the
fuzzer reads the body as if it were already decrypted; the filler data
(keys, nonces, hashes) is derived from a name so that the corpus is the
same on every run."""
import hashlib
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus",
                   "ikev2")
OUT_SESSION = OUT + "_session"

SA, KE, IDI, IDR, CERT, CERTREQ, AUTH, NONCE, N, D, V, TSI, TSR, SK, CP, \
    EAP, SKF = 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, \
    48, 53
INIT, AUTHX, CHILD, INFO = 34, 35, 36, 37
I, R = 0x08, 0x20
ENCR, PRF, INTEG, DH, ESN = 1, 2, 3, 4, 5
SPII = bytes.fromhex("5a1f3c7e912b44d0")
SPIR = bytes.fromhex("c3d2e1f000112233")


def filler(tag, n):
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(tag.encode() + bytes([i])).digest()
        i += 1
    return out[:n]


def chain(payloads, flags=None):
    """payloads: (type, body); flags: the C/RESERVED octet of each."""
    out = b""
    for i, (t, body) in enumerate(payloads):
        nxt = payloads[i + 1][0] if i + 1 < len(payloads) else 0
        f = flags[i] if flags else 0
        out += struct.pack(">BBH", nxt, f, 4 + len(body)) + body
    return out


def msg(exch, flags, msgid, payloads, spir=SPIR, pflags=None):
    body = chain(payloads, pflags)
    first = payloads[0][0] if payloads else 0
    return (SPII + spir + struct.pack(">BBBBII", first, 0x20, exch, flags,
                                      msgid, 28 + len(body)) + body)


def sk(inner):
    """SK: its Next Payload is the first inner payload's type, its body
    the inner payloads."""
    first = inner[0][0] if inner else 0
    return (SK, first, chain(inner))


def enc_msg(exch, flags, msgid, outer, enc):
    """A message whose last payload is SK or SKF with its own Next
    Payload (enc: (type, np, body))."""
    t, np, body = enc
    head = chain(outer + [(t, b"")])[:-4] if outer else b""
    encpl = struct.pack(">BBH", np, 0, 4 + len(body)) + body
    total = head + encpl
    first = outer[0][0] if outer else t
    return (SPII + SPIR + struct.pack(">BBBBII", first, 0x20, exch, flags,
                                      msgid, 28 + len(total)) + total)


def attr_kl(bits):
    return struct.pack(">HH", 0x800e, bits)


def xforms(xs):
    out = b""
    for i, (t, tid, attrs) in enumerate(xs):
        body = struct.pack(">BBH", t, 0, tid) + attrs
        out += struct.pack(">BBH", 0 if i == len(xs) - 1 else 3, 0,
                           4 + len(body)) + body
    return out


def sa(props, first=1):
    """props: (protocol, spi, transforms)."""
    out = b""
    for i, (proto, spi, xs) in enumerate(props):
        body = struct.pack(">BBBB", first + i, proto, len(spi), len(xs)) + \
            spi + xforms(xs)
        out += struct.pack(">BBH", 0 if i == len(props) - 1 else 2, 0,
                           4 + len(body)) + body
    return (SA, out)


def notify(ntype, data=b"", proto=0, spi=b""):
    return (N, struct.pack(">BBH", proto, len(spi), ntype) + spi + data)


def ident(t, idtype, data):
    return (t, struct.pack(">BBBB", idtype, 0, 0, 0) + data)


def ts(t, sels):
    out = struct.pack(">BBBB", len(sels), 0, 0, 0)
    for typ, proto, sp, ep, a, b in sels:
        out += struct.pack(">BBHHH", typ, proto, 8 + 2 * len(a), sp, ep) + \
            a + b
    return (t, out)


def ke(group, n):
    return (KE, struct.pack(">HH", group, 0) + filler("ke%d" % group, n))


def nonce(tag):
    return (NONCE, filler(tag, 32))


def auth(method, data):
    return (AUTH, struct.pack(">BBBB", method, 0, 0, 0) + data)


V4ANY = (7, 0, 0, 65535, bytes(4), b"\xff" * 4)
V4NET = (7, 0, 0, 65535, bytes([172, 21, 91, 0]), bytes([172, 21, 91, 255]))
V6NET = (8, 17, 500, 500, bytes.fromhex("fd00" + "00" * 14),
         bytes.fromhex("fd00" + "ff" * 14))
V4OPAQUE = (7, 1, 65535, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 1]))

IKE_AES256 = [(ENCR, 12, attr_kl(256)), (INTEG, 12, b""), (PRF, 5, b""),
              (DH, 19, b"")]
# strongSwan's default IKE proposals: one with integrity, one AEAD
IKE_DEFAULT = [
    (1, b"", [(ENCR, 12, attr_kl(128)), (ENCR, 12, attr_kl(192)),
              (ENCR, 12, attr_kl(256)), (INTEG, 12, b""), (INTEG, 13, b""),
              (INTEG, 14, b""), (PRF, 5, b""), (PRF, 6, b""), (PRF, 7, b""),
              (DH, 19, b""), (DH, 20, b""), (DH, 21, b""), (DH, 31, b""),
              (DH, 15, b""), (DH, 14, b"")]),
    (1, b"", [(ENCR, 20, attr_kl(128)), (ENCR, 20, attr_kl(256)),
              (ENCR, 28, b""), (PRF, 5, b""), (PRF, 6, b""), (DH, 19, b""),
              (DH, 31, b""), (DH, 14, b"")]),
]
ESP_GCM = [(ENCR, 20, attr_kl(256)), (ESN, 0, b"")]
ESP_CBC = [(ENCR, 12, attr_kl(256)), (INTEG, 12, b""), (ESN, 0, b"")]
NATD = [notify(16388, filler("natd-s", 20)),
        notify(16389, filler("natd-d", 20))]

auth_req = [ident(IDI, 1, bytes([10, 0, 0, 11])), auth(2, filler("ai", 32)),
            notify(16384), sa([(3, b"\xc0\x01\x02\x03", ESP_GCM),
                               (3, b"\xc0\x01\x02\x03", ESP_CBC)]),
            ts(TSI, [V4NET]), ts(TSR, [V4ANY])]
auth_resp = [ident(IDR, 2, b"ha.example"), auth(2, filler("ar", 32)),
             sa([(3, b"\xd0\x01\x02\x03", ESP_GCM)], first=1),
             ts(TSI, [V4NET]), ts(TSR, [V4ANY]), notify(16391)]

msgs = {
    # charon: [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG)
    # N(REDIR_SUP) ]
    "init_req": msg(INIT, I, 0, [sa([(1, b"", IKE_AES256)]), ke(19, 64),
                                 nonce("ni")] + NATD +
                    [notify(16430), notify(16431,
                                           struct.pack(">HHHH", 2, 3, 4, 5)),
                     notify(16406)], spir=bytes(8)),
    "init_req_default": msg(INIT, I, 0, [sa(IKE_DEFAULT), ke(31, 32),
                                         nonce("ni2")] + NATD +
                            [notify(16430)], spir=bytes(8)),
    # [ SA KE No N(NATD_S_IP) N(NATD_D_IP) CERTREQ N(FRAG_SUP) N(HASH_ALG)
    # N(CHDLESS_SUP) N(MULT_AUTH) ]
    "init_resp": msg(INIT, R, 0, [sa([(1, b"", IKE_AES256)]), ke(19, 64),
                                  nonce("nr")] + NATD +
                     [(CERTREQ, b"\x04" + filler("ca", 40)), notify(16430),
                      notify(16431, struct.pack(">HHH", 2, 3, 4)),
                      notify(16418), notify(16404)]),
    "init_cookie": msg(INIT, I, 0, [notify(16390, filler("cookie", 32)),
                                    sa([(1, b"", IKE_AES256)]), ke(19, 64),
                                    nonce("ni")], spir=bytes(8)),
    "init_invalid_ke": msg(INIT, R, 0, [notify(17, struct.pack(">H", 14))],
                           spir=bytes(8)),
    "init_v_cert": msg(INIT, I, 0, [sa([(1, b"", IKE_AES256)]), ke(14, 256),
                                    nonce("ni"),
                                    (V, filler("vendor", 16)),
                                    (CERTREQ, b"\x04" + filler("ca2", 20))],
                       spir=bytes(8)),
    "auth_req": enc_msg(AUTHX, I, 1, [], sk(auth_req)),
    "auth_resp": enc_msg(AUTHX, R, 1, [], sk(auth_resp)),
    "auth_cp_cert": enc_msg(AUTHX, I, 1, [], sk(
        [ident(IDI, 9, filler("dn", 40)),
         (CERT, b"\x04" + filler("cert", 120)),
         (CERTREQ, b"\x04" + filler("ca", 20)),
         auth(14, bytes([15]) + filler("algid", 15) + filler("sig", 64)),
         (CP, struct.pack(">BBBB", 1, 0, 0, 0) +
          struct.pack(">HHHHHH", 1, 0, 3, 0, 8, 0)),
         sa([(3, b"\xc0\x01\x02\x04", ESP_GCM)]),
         ts(TSI, [V4ANY, V6NET]), ts(TSR, [V4OPAQUE])])),
    "auth_frag1": enc_msg(AUTHX, I, 1, [], (SKF, IDI, struct.pack(
        ">HH", 1, 2) + chain(auth_req)[:60])),
    "auth_frag2": enc_msg(AUTHX, I, 1, [], (SKF, 0, struct.pack(
        ">HH", 2, 2) + chain(auth_req)[60:])),
    "child_rekey": enc_msg(CHILD, I, 2, [], sk(
        [notify(16393, proto=3, spi=b"\xc0\x01\x02\x03"),
         sa([(3, b"\xc0\x05\x06\x07", ESP_GCM + [(DH, 31, b"")])]),
         nonce("nc"), ke(31, 32), ts(TSI, [V4NET]), ts(TSR, [V4ANY])])),
    "ike_rekey": enc_msg(CHILD, R, 3, [], sk(
        [sa([(1, b"\x01\x02\x03\x04\x05\x06\x07\x08", IKE_AES256)]),
         nonce("nk"), ke(19, 64)])),
    "info_delete": enc_msg(INFO, I, 4, [], sk(
        [(D, struct.pack(">BBH", 3, 4, 2) + b"\xc0\x01\x02\x03" +
          b"\xc0\x05\x06\x07")])),
    "info_delete_ike": enc_msg(INFO, R, 5, [], sk([(D, struct.pack(
        ">BBH", 1, 0, 0))])),
    "info_liveness": enc_msg(INFO, I, 6, [], sk([])),
    # RFC 6311: IKEV2_MESSAGE_ID_SYNC in an INFORMATIONAL with ID 0
    "info_msgid_sync": enc_msg(INFO, I, 0, [], sk(
        [notify(16422, b"\xde\xad\xbe\xef" + struct.pack(">II", 7, 9))])),
    "auth_msgid_sync_supported": enc_msg(AUTHX, R, 1, [], sk(
        auth_resp + [notify(16420), notify(16421)])),
    "info_errors": enc_msg(INFO, R, 7, [], sk(
        [notify(24), notify(14), notify(38),
         notify(44, proto=3, spi=b"\x00\x00\x00\x01"), notify(43),
         notify(7)])),
    # an unknown payload (200) not critical, then one critical (201)
    "unknown": msg(INFO, I, 8, [notify(16384), (200, b"abcd"),
                                (201, b"efgh")], pflags=[0, 0, 0x80]),
    "ikev1": bytes(SPII + bytes(8) + struct.pack(">BBBBII", 1, 0x10, 2, 0, 0,
                                                  28)),
}

os.makedirs(OUT, exist_ok=True)
for name, data in msgs.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)

# fuzz_ikev2_session: the first octet's bit 0 runs the genuine IKE_AUTH;
# each record is an exchange selector (2: CREATE_CHILD_SA), the first
# inner payload's type and a 16-bit length of the chain that follows.
# The KE of group 19 is P-256's generator, a valid point, so the DH and
# the keys are reached.
P256_G = bytes.fromhex(
    "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")
ESP_GCM = [(ENCR, 20, attr_kl(256)), (ESN, 0, b"")]
V4PEER = (7, 0, 0, 65535, bytes([172, 21, 91, 0]), bytes([172, 21, 91, 255]))
V4OURS = (7, 0, 0, 65535, bytes([192, 168, 20, 0]),
          bytes([192, 168, 20, 255]))


def record(selector, payloads):
    body = chain(payloads)
    return struct.pack(">BBH", selector, payloads[0][0], len(body)) + body


def child_req(spi, extra=(), group=0):
    xs = ESP_GCM + ([(DH, group, b"")] if group else [])
    pls = list(extra) + [sa([(3, spi, xs)]), nonce("cn" + spi.hex())]
    if group:
        pls.append((KE, struct.pack(">HH", group, 0) + P256_G))
    return pls + [ts(TSI, [V4PEER]), ts(TSR, [V4OURS])]


sessions = {
    "child_new": b"\x01" + record(2, child_req(b"\xc0\xff\xee\x02")),
    "child_pfs": b"\x01" + record(2, child_req(b"\xc0\xff\xee\x02",
                                                 group=19)),
    "child_rekey": b"\x01" + record(2, child_req(
        b"\xc0\xff\xee\x03", [notify(16393, proto=3,
                                       spi=b"\xc0\xff\xee\x01")])) +
    record(1, [(D, struct.pack(">BBH", 3, 4, 1) + b"\xc0\xff\xee\x01")]),
    "ike_rekey": b"\x01" + record(2, [
        sa([(1, b"\x01\x02\x03\x04\x05\x06\x07\x08",
             [(ENCR, 12, attr_kl(256)), (PRF, 5, b""), (INTEG, 12, b""),
              (DH, 19, b"")])]),
        nonce("rk"), (KE, struct.pack(">HH", 19, 0) + P256_G)]) +
    record(2, child_req(b"\xc0\xff\xee\x04")) +
    record(1, [(D, struct.pack(">BBH", 1, 0, 0))]),
}

# answers to the engine's requests (selector bit 6): the message ID
# sync's (ID 0, after IKE_AUTH with RFC 6311 announced, the first octet's
# bit 1), a Delete's answer (bit 2: the SA cleared, ID 0), an empty one
MID_SYNC_ANSWER = notify(16422, b"\x00\x00\x00\x00" +
                         struct.pack(">II", 5, 7))
sessions["answer_mid_sync"] = b"\x03" + record(0x40, [MID_SYNC_ANSWER])
sessions["answer_delete"] = b"\x05" + struct.pack(">BBH", 0x40, 0, 0)
# the engine's own IKE rekey (bit 3: 541 s of its 600 s lifetime pass):
# answered with one IKE proposal of ours, a nonce and a group 19 KE, then
# the old SA's Delete answered (ID 1); and INVALID_KE_PAYLOAD for 14
IKE_REKEY_ANSWER = [
    sa([(1, b"\x11\x12\x13\x14\x15\x16\x17\x18",
         [(ENCR, 12, attr_kl(256)), (PRF, 5, b""), (INTEG, 12, b""),
          (DH, 19, b"")])]),
    nonce("rr"), (KE, struct.pack(">HH", 19, 0) + P256_G)]
sessions["answer_ike_rekey"] = b"\x09" + record(0x40, IKE_REKEY_ANSWER) + \
    struct.pack(">BBH", 0x41, 0, 0)
sessions["answer_ike_rekey_invalid_ke"] = b"\x09" + record(
    0x40, [notify(17, struct.pack(">H", 14))])

os.makedirs(OUT_SESSION, exist_ok=True)
for name, data in sessions.items():
    with open(os.path.join(OUT_SESSION, name), "wb") as f:
        f.write(data)

# fuzz_ikev2_initiator: the first octet's bit 0 (clear: answers to node
# b's IKE_SA_INIT in clear; set: a answered it, the records are IKE_AUTH
# answers' plaintext), bit 1 (a's answers in RFC 7383 fragments), bit 2
# (the fragments last to first); a record is the first payload's type, a flags
# octet (IKE_SA_INIT: the header's, 0x20 the R flag), a 16-bit length
# and the chain.
OUT_INITIATOR = OUT + "_initiator"


def record2(flags, payloads):
    body = chain(payloads)
    return struct.pack(">BBH", payloads[0][0], flags, len(body)) + body


IKE_OURS = [(ENCR, 12, attr_kl(256)), (PRF, 5, b""), (INTEG, 12, b""),
            (DH, 19, b"")]
initiator = {
    "init_answer": b"\x00" + record2(0x20, [
        sa([(1, b"", IKE_OURS)]), (KE, struct.pack(">HH", 19, 0) + P256_G),
        nonce("nr")]),
    "init_cookie": b"\x00" + record2(0x20, [notify(16390, filler("ck", 17))]),
    "init_invalid_ke": b"\x00" + record2(0x20, [notify(17,
                                                      struct.pack(">H", 14))]),
    "init_no_proposal": b"\x00" + record2(0x20, [notify(14)]),
    "auth_answer": b"\x01" + record2(0, [
        ident(IDR, 1, bytes([10, 0, 0, 11])), auth(2, filler("au", 32)),
        sa([(3, b"\xc0\xff\xee\x07", ESP_GCM)]), ts(TSI, [V4PEER]),
        ts(TSR, [V4OURS])]),
    "auth_refused": b"\x01" + record2(0, [notify(24)]),
}
initiator["auth_answer_fragments"] = b"\x03" + initiator["auth_answer"][1:]
initiator["auth_answer_fragments_reversed"] = b"\x07" + \
    initiator["auth_answer"][1:]
os.makedirs(OUT_INITIATOR, exist_ok=True)
for name, data in initiator.items():
    with open(os.path.join(OUT_INITIATOR, name), "wb") as f:
        f.write(data)
