#!/usr/bin/env python3
"""An independent powchain peer written from docs/PROTOCOL.md alone.

It was written without reading the Go code or the .proto files, to check
that the document is enough to interoperate; keep it that way: when the
protocol changes, change it from the document. Python 3 standard library
only (protobuf encoded by hand from the field tables).

It checks the worked examples of the document, then connects to a node of the `local` network over TCP, does the
version handshake, syncs and validates the headers of the node's best chain
(linkage, proof of work, aserti3-2d bits, median time past), fetches blocks
with getdata and checks their merkle roots, answers ping with pong, and
builds, signs (BIP340) and relays a transaction that spends a coinbase paid
to its own key, then sees it mined, and fetches that block in compact form
(short ids, SipHash-2-4) and rebuilds it with getblocktxn; then mines a
block of its own (in Python, at the node's difficulty) and submits it as
"Submitting a block" says, and sees it become the node's tip; last, it
submits an invalid block (whole) and checks the node's reject and that it
is disconnected.

Usage: client.py --datadir DIR [--p2p HOST:PORT] [--wait-ping]
  DIR is the node's data dir (<DIR>/local/.cookie and rpc.address are read
  to call generatetoaddress, getblockcount, getbestblockhash, getblockhash
  and getrawmempool over JSON-RPC, docs/RPC.md). --wait-ping also waits for
  the node's first ping (60 s) and checks the connection outlives it.
testnet/protospec_test.go runs it against a node.
"""

import argparse
import base64
import hashlib
import json
import os
import socket
import struct
import sys
import time
import urllib.request

# ---------------------------------------------------------------- hashes


def sha256(b):
    return hashlib.sha256(b).digest()


def sha256d(b):
    return sha256(sha256(b))


def tagged_hash(tag, m):
    t = sha256(tag.encode())
    return sha256(t + t + m)


# ---------------------------------------------------------------- secp256k1 / BIP340

P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def point_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and a[1] != b[1]:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], P - 2, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], P - 2, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return (x, (lam * (a[0] - x) - a[1]) % P)


def point_mul(pt, k):
    r = None
    while k:
        if k & 1:
            r = point_add(r, pt)
        pt = point_add(pt, pt)
        k >>= 1
    return r


def lift_x(x):
    if x >= P:
        return None
    y2 = (pow(x, 3, P) + 7) % P
    y = pow(y2, (P + 1) // 4, P)
    if y * y % P != y2:
        return None
    return (x, y if y % 2 == 0 else P - y)


def b32(i):
    return i.to_bytes(32, "big")


def i32(b):
    return int.from_bytes(b, "big")


def pubkey(sk):
    return b32(point_mul(G, sk)[0])


def schnorr_sign(sk, msg, aux):
    pt = point_mul(G, sk)
    d = sk if pt[1] % 2 == 0 else N - sk
    t = b32(d ^ i32(tagged_hash("BIP0340/aux", aux)))
    k0 = i32(tagged_hash("BIP0340/nonce", t + b32(pt[0]) + msg)) % N
    assert k0 != 0
    r = point_mul(G, k0)
    k = k0 if r[1] % 2 == 0 else N - k0
    e = i32(tagged_hash("BIP0340/challenge", b32(r[0]) + b32(pt[0]) + msg)) % N
    return b32(r[0]) + b32((k + e * d) % N)


def schnorr_verify(pk, msg, sig):
    pt = lift_x(i32(pk))
    if pt is None:
        return False
    r, s = i32(sig[:32]), i32(sig[32:])
    if r >= P or s >= N:
        return False
    e = i32(tagged_hash("BIP0340/challenge", sig[:32] + pk + msg)) % N
    R = point_add(point_mul(G, s), point_mul(pt, N - e))
    return R is not None and R[1] % 2 == 0 and R[0] == r


def key_hash(pk):
    return tagged_hash("powchain/keyhash", pk)[:20]


# ---------------------------------------------------------------- compact blocks

M64 = (1 << 64) - 1


def siphash24(k0, k1, m):
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D,
         k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]

    def rotl(x, b):
        return (x << b | x >> (64 - b)) & M64

    def rounds(n):
        for _ in range(n):
            v[0] = (v[0] + v[1]) & M64
            v[1] = rotl(v[1], 13) ^ v[0]
            v[0] = rotl(v[0], 32)
            v[2] = (v[2] + v[3]) & M64
            v[3] = rotl(v[3], 16) ^ v[2]
            v[0] = (v[0] + v[3]) & M64
            v[3] = rotl(v[3], 21) ^ v[0]
            v[2] = (v[2] + v[1]) & M64
            v[1] = rotl(v[1], 17) ^ v[2]
            v[2] = rotl(v[2], 32)

    tail = len(m) % 8
    words = [int.from_bytes(m[i:i + 8], "little") for i in range(0, len(m) - tail, 8)]
    words.append((len(m) & 0xFF) << 56 | int.from_bytes(m[len(m) - tail:], "little"))
    for w in words:
        v[3] ^= w
        rounds(2)
        v[0] ^= w
    v[2] ^= 0xFF
    rounds(4)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def short_id_keys(header, nonce):
    k = sha256(header.encode() + struct.pack("<Q", nonce))
    return struct.unpack("<QQ", k[:16])


def short_id(keys, txid):
    return siphash24(keys[0], keys[1], txid) & 0xFFFFFFFFFFFF


# ---------------------------------------------------------------- bech32m

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (b >> i) & 1 else 0
    return chk


def hrp_expand(hrp):
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def address(hrp, kh):
    acc, bits, data = 0, 0, [0]
    for byte in kh:
        acc = acc << 8 | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            data.append(acc >> bits & 31)
    assert bits == 0
    pm = bech32_polymod(hrp_expand(hrp) + data + [0] * 6) ^ 0x2BC830A3
    data += [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[d] for d in data)


# ---------------------------------------------------------------- canonical encoding


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


class Tx:
    def __init__(self, version, inputs, outputs):
        self.version = version
        self.inputs = inputs  # [(txid, index, signature, pub_key)]
        self.outputs = outputs  # [(amount, key_hash)]

    def encode(self):
        b = u32(self.version) + u32(len(self.inputs))
        for txid, idx, sig, pk in self.inputs:
            b += txid + u32(idx) + sig + pk
        b += u32(len(self.outputs))
        for amt, kh in self.outputs:
            b += u64(amt) + kh
        return b

    def txid(self):
        return sha256d(self.encode())

    def sighash(self):
        b = u32(self.version) + u32(len(self.inputs))
        for txid, idx, _sig, pk in self.inputs:
            b += txid + u32(idx) + pk
        b += u32(len(self.outputs))
        for amt, kh in self.outputs:
            b += u64(amt) + kh
        return tagged_hash("powchain/sighash", b)

    def is_coinbase(self):
        return (len(self.inputs) == 1 and self.inputs[0][0] == bytes(32)
                and self.inputs[0][1] == 0xFFFFFFFF)


class Header:
    def __init__(self, version, prev, merkle, timestamp, bits, nonce):
        self.version, self.prev, self.merkle = version, prev, merkle
        self.timestamp, self.bits, self.nonce = timestamp, bits, nonce

    def encode(self):
        return (u32(self.version) + self.prev + self.merkle
                + struct.pack("<q", self.timestamp) + u32(self.bits) + u32(self.nonce))

    def id(self):
        return sha256d(self.encode())


def merkle_root(ids):
    if not ids:
        return bytes(32), False
    level, mutated = list(ids), False
    while len(level) > 1:
        for i in range(0, len(level) - 1, 2):
            if level[i] == level[i + 1]:
                mutated = True
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0], mutated


# ---------------------------------------------------------------- proof of work


def compact_to_target(bits):
    size = bits >> 24
    mant = bits & 0x007FFFFF
    neg = bits & 0x00800000
    value = mant >> 8 * (3 - size) if size <= 3 else mant << 8 * (size - 3)
    if neg and value != 0:
        return None
    if value == 0 or value >= 1 << 256:
        return None
    return value


def target_to_compact(t):
    size = (t.bit_length() + 7) // 8
    mant = t << 8 * (3 - size) if size <= 3 else t >> 8 * (size - 3)
    if mant & 0x00800000:
        mant >>= 8
        size += 1
    return size << 24 | mant


def trunc_div(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def next_bits(params, h, t, t1):
    """bits of the block at height h+1 whose parent (height h) has time t."""
    genesis_bits, spacing, half_life = params["bits"], params["spacing"], params["half_life"]
    if h == 0 or half_life is None:
        return genesis_bits
    anchor = compact_to_target(genesis_bits)
    exponent = trunc_div((t - t1 - spacing * (h - 1)) * 65536, half_life)
    shifts = exponent >> 16
    frac = exponent - 65536 * shifts
    factor = 65536 + ((195766423245049 * frac + 971821376 * frac ** 2
                       + 5127 * frac ** 3 + (1 << 47)) >> 48)
    target = anchor * factor
    if shifts >= 16:
        target <<= shifts - 16
    else:
        target //= 1 << (16 - shifts)
    if target == 0:
        target = 1
    if target > anchor:
        target = anchor
    return target_to_compact(target)


NETWORKS = {
    "local": {"magic": b"POWL", "hrp": "pcrt", "bits": 0x1F00FFFF, "spacing": 1,
              "half_life": 10, "maturity": 10,
              "genesis": ("powchain local genesis", 1795219200, 66261,
                          "0000133f6e4127d51fc08dc146960688b1c143788a5c2d9e6be5ebfc7a88de88")},
    "regtest": {"magic": b"POWR", "hrp": "pcrg", "bits": 0x207FFFFF, "spacing": 600,
                "half_life": None, "maturity": 100,
                "genesis": ("powchain regtest genesis", 1795219200, 1,
                            "7b61ea8fe0a0a98dae602563ac57450368bc020f6a14088f224544b6aba8152e")},
}


def genesis_block(params):
    """The genesis block as "Genesis blocks" describes it, and its id."""
    tag, ts, nonce, gid = params["genesis"]
    cb = Tx(1, [(bytes(32), 0xFFFFFFFF, u64(0) + u64(0) + tag.encode().ljust(48, b"\0"), bytes(32))],
            [(5_000_000_000, bytes(20))])
    hdr = Header(1, bytes(32), cb.txid(), ts, params["bits"], nonce)
    check(hdr.id().hex() == gid, "genesis block built from the table has id %s" % hdr.id().hex())
    return hdr, [cb]

# ---------------------------------------------------------------- protobuf


def varint(v):
    if v < 0:
        v += 1 << 64
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_uint(field, v):
    return b"" if v == 0 else varint(field << 3) + varint(v)


def pb_bytes(field, b):
    return b"" if len(b) == 0 else varint(field << 3 | 2) + varint(len(b)) + b


def pb_msg(field, b):
    # a message field is sent even when empty (it is present)
    return varint(field << 3 | 2) + varint(len(b)) + b


def read_varint(b, i):
    shift = v = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


def pb_decode(b):
    """{field: [values]}: varints as int, length-delimited as bytes."""
    out, i = {}, 0
    while i < len(b):
        key, i = read_varint(b, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(b, i)
        elif wt == 2:
            n, i = read_varint(b, i)
            v = bytes(b[i:i + n])
            i += n
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(field, []).append(v)
    if i != len(b):
        raise ValueError("truncated protobuf")
    return out


def one(d, f, default):
    v = d.get(f)
    return v[-1] if v else default


def int64(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def header_to_pb(h):
    return (pb_uint(1, h.version) + pb_bytes(2, h.prev) + pb_bytes(3, h.merkle)
            + pb_uint(4, h.timestamp) + pb_uint(5, h.bits) + pb_uint(6, h.nonce))


def header_from_pb(b):
    d = pb_decode(b)
    h = Header(one(d, 1, 0), one(d, 2, b""), one(d, 3, b""), int64(one(d, 4, 0)),
               one(d, 5, 0), one(d, 6, 0))
    if len(h.prev) != 32 or len(h.merkle) != 32:
        raise ValueError("header hash not 32 bytes")
    return h


def tx_to_pb(tx):
    b = pb_uint(1, tx.version)
    for txid, idx, sig, pk in tx.inputs:
        b += pb_msg(2, pb_msg(1, pb_bytes(1, txid) + pb_uint(2, idx))
                    + pb_bytes(2, sig) + pb_bytes(3, pk))
    for amt, kh in tx.outputs:
        b += pb_msg(3, pb_uint(1, amt) + pb_bytes(2, kh))
    return b


def tx_from_pb(b):
    d = pb_decode(b)
    ins, outs = [], []
    for ib in d.get(2, []):
        di = pb_decode(ib)
        if 1 not in di:
            raise ValueError("input without prev_out")
        do = pb_decode(one(di, 1, b""))
        inp = (one(do, 1, b""), one(do, 2, 0), one(di, 2, b""), one(di, 3, b""))
        if (len(inp[0]), len(inp[2]), len(inp[3])) != (32, 64, 32):
            raise ValueError("input field length")
        ins.append(inp)
    for ob in d.get(3, []):
        do = pb_decode(ob)
        out = (one(do, 1, 0), one(do, 2, b""))
        if len(out[1]) != 20:
            raise ValueError("key hash length")
        outs.append(out)
    return Tx(one(d, 1, 0), ins, outs)


def block_from_pb(b):
    d = pb_decode(b)
    if 1 not in d:
        raise ValueError("block without header")
    return header_from_pb(one(d, 1, b"")), [tx_from_pb(t) for t in d.get(2, [])]


# Envelope field numbers = frame types
VERSION, VERACK, PING, PONG, INV, GETDATA, NOTFOUND, TX, BLOCK = range(1, 10)
GETHEADERS, HEADERS, GETADDR, ADDR, REJECT, SENDHEADERS, ANNOUNCE = range(10, 17)
SENDCMPCT, CMPCTBLOCK, GETBLOCKTXN, BLOCKTXN = range(17, 21)
NAMES = {v: k for k, v in dict(
    version=1, verack=2, ping=3, pong=4, inv=5, getdata=6, notfound=7, tx=8, block=9,
    getheaders=10, headers=11, getaddr=12, addr=13, reject=14, sendheaders=15,
    announce=16, sendcmpct=17, cmpctblock=18, getblocktxn=19, blocktxn=20).items()}
INV_TX, INV_BLOCK, INV_CMPCT_BLOCK = 1, 2, 3


def inventory(items):
    return b"".join(pb_msg(1, pb_uint(1, t) + pb_bytes(2, h)) for t, h in items)


def inventory_items(b):
    return [(one(v, 1, 0), one(v, 2, b"")) for v in map(pb_decode, pb_decode(b).get(1, []))]


# ---------------------------------------------------------------- peer


class Peer:
    def __init__(self, addr, magic, log):
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        self.magic, self.log = magic, log
        self.buf = b""
        self.pings_answered = 0
        self.headers_requests_answered = 0

    def send(self, typ, msg):
        env = pb_msg(typ, msg)
        self.sock.sendall(self.magic + bytes([typ]) + u32(len(env)) + env)
        self.log("-> %s (%d bytes)" % (NAMES[typ], len(env)))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("node closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_raw(self):
        hdr = self._read(9)
        if hdr[:4] != self.magic:
            raise ValueError("bad magic %r" % hdr[:4])
        typ = hdr[4]
        n = struct.unpack("<I", hdr[5:9])[0]
        env = pb_decode(self._read(n))
        if list(env) != [typ] or len(env[typ]) != 1:
            raise ValueError("envelope of type %d holds fields %s" % (typ, list(env)))
        self.log("<- %s (%d bytes)" % (NAMES.get(typ, typ), n))
        return typ, env[typ][0]

    def recv(self, want, deadline=30):
        """Next message whose type is in want; answers ping and getheaders meanwhile."""
        end = time.time() + deadline
        while True:
            self.sock.settimeout(max(0.1, end - time.time()))
            typ, msg = self.recv_raw()
            if typ == PING:
                self.send(PONG, pb_uint(1, one(pb_decode(msg), 1, 0)))
                self.pings_answered += 1
            elif typ == GETHEADERS and GETHEADERS not in want:
                # we keep no chain of our own to serve: "nothing after that"
                self.send(HEADERS, b"")
                self.headers_requests_answered += 1
            if typ in want:
                return typ, msg
            if time.time() > end:
                raise TimeoutError("no %s" % [NAMES[w] for w in want])


# ---------------------------------------------------------------- RPC


class RPC:
    def __init__(self, datadir, network):
        d = os.path.join(datadir, network)
        self.url = "http://" + open(os.path.join(d, "rpc.address")).read().strip() + "/"
        cookie = open(os.path.join(d, ".cookie")).read().strip()
        self.auth = "Basic " + base64.b64encode(cookie.encode()).decode()

    def __call__(self, method, *params):
        req = urllib.request.Request(self.url, json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode(),
            {"Authorization": self.auth, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            resp = json.load(r)
        if resp.get("error"):
            raise RuntimeError("%s: %s" % (method, resp["error"]))
        return resp["result"]


# ---------------------------------------------------------------- checks


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def worked_examples():
    """The test vectors at the end of PROTOCOL.md."""
    h = bytes.fromhex
    pk1, pk2 = pubkey(1), pubkey(2)
    check(pk1.hex() == "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "pub 1")
    check(pk2.hex() == "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5", "pub 2")
    kh1, kh2 = key_hash(pk1), key_hash(pk2)
    check(kh1.hex() == "4cb1bf55f25eac6375c0bf3748bc73d7e1b98256", "keyhash 1")
    check(kh2.hex() == "9454f270bb0d9f3640455f63ad762b0180c4d80f", "keyhash 2")
    check(address("pc", kh1) == "pc1qfjcm740jt6kxxawqhum530rn6lsmnqjkvmnmp8", "address 1")
    check(address("pc", kh2) == "pc1qj320yu9mpk0nvsz9ta366a3tqxqvfkq0lhcdrp", "address 2")
    tag = b"powchain worked example".ljust(48, b"\0")
    cb = Tx(1, [(bytes(32), 0xFFFFFFFF, u64(1) + u64(0x0102030405060708) + tag, bytes(32))],
            [(5_000_000_000, kh1)])
    check(len(cb.encode()) == 172, "coinbase size")
    check(cb.txid().hex() == "a54186678c7181c049718a901dc0028ffedae496b485aa0f7009a0f1d6c04e56", "cb txid")
    check(cb.sighash().hex() == "036d30eebc1262260944701ca53bda097cca06c92b649e369cf341470f3102a3", "cb sighash")
    sig = h("51c9db0235e983b5889f05e91aa1f53092bdb20a0cf81979f0121ef51797db39"
            "edfa27e295c56c7917d21ca830e34878163d808c60f376954810172ffb790232")
    tx = Tx(1, [(cb.txid(), 0, sig, pk1)], [(3_000_000_000, kh2), (1_999_990_000, kh1)])
    check(len(tx.encode()) == 200, "tx size")
    check(tx.sighash().hex() == "003fad1f82504147f685877d0dafd430fb5b654af474126b6350c0c1f1cb3079", "sighash")
    check(schnorr_verify(pk1, tx.sighash(), sig), "verify")
    check(tx.txid().hex() == "6b182044fd2f5bbd63e8e05f751a7c89710cb98520ad6a21d81fe9987fc1171a", "txid")
    # our signer against our verifier
    check(schnorr_verify(pk1, tx.sighash(), schnorr_sign(1, tx.sighash(), bytes(32))), "sign")
    root, _ = merkle_root([cb.txid(), tx.txid()])
    check(root.hex() == "66ba0b9ea00ce798ad2e3f7030f47196f4a58425745188a5883e4955bfa04b96", "merkle")
    prev = sha256d(b"powchain worked example parent")
    hdr = Header(1, prev, root, 1_700_000_000, 0x1F00FFFF, 184_960)
    check(hdr.id().hex() == "0000c2c36e7ff99ade38f8b29bfa471c41f5586c5864900095e087368ec96978", "block id")
    check(i32(hdr.id()) <= compact_to_target(0x1F00FFFF), "pow")
    check(len(hdr.encode() + u32(2) + cb.encode() + tx.encode()) == 460, "block size")
    # compact targets
    for bits, val in [(0x1D00FFFF, 0xFFFF << 208), (0x04123456, 0x12345600), (0x01123456, 0x12),
                      (0x01003456, None), (0x01803456, None), (0x04923456, None), (0x21010000, None)]:
        check(compact_to_target(bits) == val, "bits %08x" % bits)
    # aserti3-2d lines of `local`
    loc = NETWORKS["local"]
    for hh, t, bits in [(1, 1800000000, 0x1F00FFFF), (2, 1800000000, 0x1F00EEE1),
                        (13, 1800000002, 0x1E7FFF80)]:
        check(next_bits(loc, hh, t, 1800000000) == bits, "asert h=%d" % hh)
    # short ids ("Short transaction ids")
    sh = Header(1, bytes(range(32)), bytes(255 - i for i in range(32)), 1_700_000_000, 0x207FFFFF, 7)
    keys = short_id_keys(sh, 0x0102030405060708)
    check(keys == (0x2238823DACB7A171, 0x92B55BF943190828), "short id keys")
    sid = short_id(keys, bytes(3 * i for i in range(32)))
    check(sid == 0x483B9E7FAACA and struct.pack("<Q", sid)[:6].hex() == "caaa7f9e3b48", "short id")
    # a protobuf round trip of the header
    check(header_from_pb(header_to_pb(hdr)).encode() == hdr.encode(), "pb header")


def median_time_past(times):
    last = sorted(times[-11:])
    return last[len(last) // 2]


def validate_headers(params, genesis, headers, log):
    """Headers of the chain after genesis: linkage, pow, bits, time."""
    prev = genesis
    times = [genesis.timestamp]
    t1 = headers[0].timestamp if headers else None
    for i, hd in enumerate(headers):
        height = i + 1
        check(hd.prev == prev.id(), "header %d: prev_block is not the previous id" % height)
        target = compact_to_target(hd.bits)
        check(target is not None and target <= compact_to_target(params["bits"]),
              "header %d: bits out of range" % height)
        check(i32(hd.id()) <= target, "header %d: id above target" % height)
        want = next_bits(params, height - 1, prev.timestamp, t1)
        check(hd.bits == want, "header %d: bits %08x, aserti3-2d says %08x" % (height, hd.bits, want))
        check(hd.timestamp > median_time_past(times), "header %d: time not after MTP" % height)
        times.append(hd.timestamp)
        prev = hd
    log("validated %d headers: linkage, proof of work, aserti3-2d bits, median time past"
        % len(headers))


def fetch_block(peer, bid):
    peer.send(GETDATA, inventory([(INV_BLOCK, bid)]))
    typ, msg = peer.recv({BLOCK, NOTFOUND})
    check(typ == BLOCK, "getdata of block %s: notfound" % bid.hex())
    hdr, txs = block_from_pb(msg)
    check(hdr.id() == bid, "block served is not the one asked for")
    root, mutated = merkle_root([t.txid() for t in txs])
    check(root == hdr.merkle and not mutated, "block %s: merkle root mismatch" % bid.hex())
    check(txs and txs[0].is_coinbase(), "first transaction is not a coinbase")
    return hdr, txs


def check_compact(peer, hdr, txs, log):
    """Fetch hdr's block in compact form, rebuild it with getblocktxn."""
    bid = hdr.id()
    peer.send(GETDATA, inventory([(INV_CMPCT_BLOCK, bid)]))
    typ, msg = peer.recv({CMPCTBLOCK, BLOCK, NOTFOUND})
    check(typ == CMPCTBLOCK, "getdata of the tip in compact form: got %s" % NAMES[typ])
    d = pb_decode(msg)
    ch = header_from_pb(one(d, 1, b""))
    check(ch.id() == bid, "cmpctblock header")
    keys = short_id_keys(ch, one(d, 2, 0))
    sids = one(d, 3, b"")
    check(len(sids) % 6 == 0, "short ids a multiple of 6 bytes")
    prefilled, index = {}, -1
    for pb in d.get(4, []):
        p = pb_decode(pb)
        index += 1 + one(p, 1, 0)
        prefilled[index] = tx_from_pb(one(p, 2, b""))
    count = len(sids) // 6 + len(prefilled)
    check(count == len(txs), "compact block of %d transactions, block has %d" % (count, len(txs)))
    check(0 in prefilled and prefilled[0].encode() == txs[0].encode(), "coinbase prefilled")
    slots = iter(int.from_bytes(sids[i:i + 6], "little") for i in range(0, len(sids), 6))
    missing = []
    for i in range(count):
        if i not in prefilled:
            check(next(slots) == short_id(keys, txs[i].txid()), "short id of tx %d" % i)
            missing.append(i)
    # ask for every transaction not prefilled, as a node lacking them would
    deltas, prev = [], -1
    for i in missing:
        deltas.append(i - prev - 1)
        prev = i
    peer.send(GETBLOCKTXN, pb_bytes(1, bid) + b"".join(
        varint(2 << 3) + varint(x) for x in deltas))  # unpacked; proto3 parsers take both
    _, msg = peer.recv({BLOCKTXN})
    d = pb_decode(msg)
    check(one(d, 1, b"") == bid, "blocktxn block hash")
    got = [tx_from_pb(b) for b in d.get(2, [])]
    rebuilt = dict(prefilled)
    rebuilt.update(zip(missing, got))
    root, _ = merkle_root([rebuilt[i].txid() for i in range(count)])
    check(root == hdr.merkle, "rebuilt compact block's merkle root")
    log("compact block: %d short id(s) checked, rebuilt with getblocktxn, merkle root ok" % len(missing))


def submit_block(peer, params, chain, subsidy, kh, log, whole=False):
    """Mine a block on chain (genesis first, chain[-1] the tip) and submit
    it as "Submitting a block" says: a compact request is answered in kind
    unless whole. Returns the block's header."""
    tip, height = chain[-1], len(chain)
    t1 = chain[1].timestamp if len(chain) > 1 else None
    bits = next_bits(params, height - 1, tip.timestamp, t1)
    ts = max(int(time.time()), median_time_past([h.timestamp for h in chain]) + 1)
    tag = b"protospec".ljust(48, b"\0")
    cb = Tx(1, [(bytes(32), 0xFFFFFFFF, u64(height) + u64(0) + tag, bytes(32))], [(subsidy, kh)])
    hdr = Header(1, tip.id(), cb.txid(), ts, bits, 0)
    target = compact_to_target(bits)
    pre = hdr.encode()[:80]
    while i32(sha256d(pre + u32(hdr.nonce))) > target:
        hdr.nonce += 1
    bid = hdr.id()
    peer.send(INV, inventory([(INV_BLOCK, bid)]))
    _, msg = peer.recv({GETHEADERS})
    loc = pb_decode(msg).get(1, [])
    check(loc and loc[0] == tip.id(), "the node's locator starts at its tip")
    peer.send(HEADERS, pb_msg(1, header_to_pb(hdr)))
    _, msg = peer.recv({GETDATA})
    items = inventory_items(msg)
    check([h for _, h in items] == [bid], "getdata asks for our block")
    block = pb_msg(1, header_to_pb(hdr)) + pb_msg(2, tx_to_pb(cb))
    if items[0][0] == INV_CMPCT_BLOCK and not whole:
        peer.send(CMPCTBLOCK, pb_msg(1, header_to_pb(hdr)) + pb_msg(4, pb_msg(2, tx_to_pb(cb))))
    else:
        peer.send(BLOCK, block)
    log("submitted block %d %s (%d hashes), asked as type %d" % (height, bid.hex(), hdr.nonce + 1, items[0][0]))
    return hdr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--datadir", required=True)
    ap.add_argument("--network", default="local")
    ap.add_argument("--p2p", default="127.0.0.1:19444", help="the node's P2P address")
    ap.add_argument("--wait-ping", action="store_true")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args()
    params = NETWORKS[args.network]

    def log(s):
        if not args.quiet:
            print(s, flush=True)

    worked_examples()
    log("worked examples of PROTOCOL.md: all reproduced")

    rpc = RPC(args.datadir, args.network)
    sk = 0x5EC2E7 * 0x1000003
    pk = pubkey(sk)
    my_kh = key_hash(pk)
    my_addr = address(params["hrp"], my_kh)
    log("our address %s" % my_addr)
    # coinbases of blocks 1.. pay us; maturity + 2 blocks let block 1's be spent
    height0 = rpc("getblockcount")
    if height0 < params["maturity"] + 2:
        rpc("generatetoaddress", params["maturity"] + 2 - height0, my_addr)
    doc_genesis, doc_genesis_txs = genesis_block(params)
    genesis_id = doc_genesis.id()
    check(rpc("getblockhash", 0) == genesis_id.hex(), "the node's genesis is the table's")

    peer = Peer(args.p2p, params["magic"], log)
    # ---- handshake
    ver = (pb_bytes(1, args.network.encode()) + pb_bytes(2, genesis_id) + pb_uint(3, 1)
           + pb_uint(4, 0) + pb_bytes(5, b"/protospec-py:0.1/")
           + pb_uint(7, int.from_bytes(os.urandom(8), "little")) + pb_uint(8, int(time.time())))
    peer.send(VERSION, ver)
    got_version = got_verack = False
    while not (got_version and got_verack):
        typ, msg = peer.recv_raw()
        if typ == VERSION:
            check(not got_version, "second version")
            v = pb_decode(msg)
            check(one(v, 1, b"") == args.network.encode(), "network name")
            check(one(v, 2, b"") == genesis_id, "genesis id")
            check(one(v, 3, 0) >= 1, "protocol version")
            log("node version: %r height %d" % (one(v, 5, b"").decode(), one(v, 4, 0)))
            got_version = True
            peer.send(VERACK, b"")
        elif typ == VERACK:
            got_verack = True
        else:
            raise AssertionError("%s before the handshake ended" % NAMES.get(typ, typ))
    log("handshake complete")

    # ---- ping / pong
    nonce = int.from_bytes(os.urandom(8), "little") | 1
    peer.send(PING, pb_uint(1, nonce))
    _, msg = peer.recv({PONG})
    check(one(pb_decode(msg), 1, 0) == nonce, "pong nonce")
    log("pong carries our ping's nonce")

    # ---- the genesis block, fetched and checked like any other
    genesis, gtxs = fetch_block(peer, genesis_id)
    check(genesis.prev == bytes(32), "genesis prev_block")
    check(i32(genesis.id()) <= compact_to_target(genesis.bits), "genesis pow")
    check(genesis.encode() == doc_genesis.encode(), "genesis header as documented")
    check([t.encode() for t in gtxs] == [t.encode() for t in doc_genesis_txs], "genesis coinbase")

    # ---- headers from genesis
    headers = []
    while True:
        loc = headers[-1].id() if headers else genesis_id
        peer.send(GETHEADERS, pb_bytes(1, loc))
        _, msg = peer.recv({HEADERS})
        batch = [header_from_pb(b) for b in pb_decode(msg).get(1, [])]
        headers += batch
        if len(batch) < 2000:
            break
    tip_height = rpc("getblockcount")
    check(len(headers) == tip_height, "got %d headers, node at %d" % (len(headers), tip_height))
    validate_headers(params, genesis, headers, log)
    check(headers[-1].id().hex() == rpc("getbestblockhash"), "last header is the tip")

    # ---- blocks: check merkle roots and coinbase heights
    for height in (1, len(headers)):
        hdr, txs = fetch_block(peer, headers[height - 1].id())
        cb = txs[0]
        check(struct.unpack("<Q", cb.inputs[0][2][:8])[0] == height, "coinbase height")
        log("block %d: %d tx, merkle root ok, coinbase txid %s" % (height, len(txs), cb.txid().hex()))
    _, txs1 = fetch_block(peer, headers[0].id())
    coinbase1 = txs1[0]
    check(coinbase1.outputs[0][1] == my_kh, "block 1 pays us")

    # ---- a transaction: spend block 1's coinbase output 0
    amount = coinbase1.outputs[0][0]
    fee = 10_000
    kh2 = key_hash(pubkey(2))
    tx = Tx(1, [(coinbase1.txid(), 0, bytes(64), pk)], [(amount // 2, kh2), (amount - amount // 2 - fee, my_kh)])
    sig = schnorr_sign(sk, tx.sighash(), os.urandom(32))
    tx.inputs[0] = (coinbase1.txid(), 0, sig, pk)
    check(schnorr_verify(pk, tx.sighash(), sig), "own signature")
    txid = tx.txid()
    peer.send(SENDHEADERS, b"")
    peer.send(SENDCMPCT, pb_uint(2, 1))  # low bandwidth, version 1
    peer.send(INV, inventory([(INV_TX, txid)]))
    _, msg = peer.recv({GETDATA})
    check(inventory_items(msg) == [(INV_TX, txid)], "getdata asks for our tx")
    peer.send(TX, tx_to_pb(tx))
    # the node has it when RPC says so; meanwhile keep answering its messages
    end = time.time() + 20
    while txid.hex() not in rpc("getrawmempool"):
        check(time.time() < end, "tx %s not in the mempool" % txid.hex())
        peer.sock.settimeout(0.2)
        try:
            peer.recv(set(), deadline=0.2)
        except (socket.timeout, TimeoutError):
            pass
    log("tx %s accepted to the node's mempool" % txid.hex())

    # ---- mine it; the node announces the new block to us (we sent sendheaders)
    new = rpc("generatetoaddress", 1, my_addr)[0]
    typ, msg = peer.recv({ANNOUNCE, INV, CMPCTBLOCK})
    if typ == ANNOUNCE:
        ann = [header_from_pb(b) for b in pb_decode(msg).get(1, [])]
        check(ann[-1].id().hex() == new, "announce names the new tip")
        check(ann[0].prev == headers[-1].id(), "announce builds on our last header")
        validate_headers(params, genesis, headers + ann, lambda s: None)
    log("node announced the new block by %s" % NAMES[typ])
    hdr, txs = fetch_block(peer, bytes.fromhex(new))
    check([t.txid() for t in txs][1:] == [txid], "the new block holds our tx")
    check(txs[1].encode() == tx.encode(), "tx round trip")
    log("our tx mined in block %s" % new)
    check_compact(peer, hdr, txs, log)
    # ---- submit a block of our own; the node makes it its tip
    chain = [genesis] + headers + [hdr]
    subsidy = coinbase1.outputs[0][0]
    mine = submit_block(peer, params, chain, subsidy, my_kh, log)
    end = time.time() + 20
    while rpc("getbestblockhash") != mine.id().hex():
        check(time.time() < end, "the node did not take our block as its tip")
        try:
            peer.recv(set(), deadline=0.2)
        except (socket.timeout, TimeoutError):
            pass
    log("our block is the node's tip")
    if args.wait_ping:
        peer.recv({PING}, deadline=75)  # recv answers it
        nonce += 2
        peer.send(PING, pb_uint(1, nonce))
        _, msg = peer.recv({PONG})
        check(one(pb_decode(msg), 1, 0) == nonce, "pong nonce after the node's ping")
        log("answered the node's ping; still connected")

    # ---- an invalid block (the coinbase pays one base unit too many), sent
    # whole: the node answers reject, then disconnects us (a local address
    # is not banned)
    bad = submit_block(peer, params, chain + [mine], subsidy + 1, my_kh, log, whole=True)
    _, msg = peer.recv({REJECT})
    r = pb_decode(msg)
    check((one(r, 1, b""), one(r, 2, 0), one(r, 3, b""), one(r, 4, b"")) ==
          (b"block", 16, b"bad-cb-amount", bad.id()), "reject fields %r" % r)
    try:
        peer.recv(set(), deadline=10)
        raise AssertionError("still connected after the reject")
    except ConnectionError:
        pass
    check(rpc("getbestblockhash") == mine.id().hex(), "the invalid block is not the tip")
    log("invalid block: reject{block, 16, bad-cb-amount, its id}, then disconnected")
    log("answered %d ping(s), %d getheaders" % (peer.pings_answered, peer.headers_requests_answered))
    print("protospec client: OK")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one line for the caller
        print("protospec client: FAIL: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
