//go:build amd64 && !purego

#include "textflag.h"

// The SHA-NI kernel: SHA-256d of two messages sharing a midstate
// (see sha256d.go), the two lanes' instructions interleaved so that the
// rounds of one fill the latency of the other's.
//
// SHA256RNDS2 keeps the state as two registers, ABEF (dwords F, E, B, A
// from the lowest) and CDGH (H, G, D, C), and takes two rounds' message
// word plus round constant from the low dwords of X0. Lane 0 keeps its state
// in X1/X2 and its sixteen current message words in X3..X6; lane 1 in X7/X8
// and X9..X12. X13..X15 are scratch. AX points at the batch, BX at the
// round constants.

// Four rounds of one lane: msg holds their message words, koff is the
// offset of their constants.
#define ROUNDS4(msg, koff, abef, cdgh) \
	MOVOU       koff(BX), X0; \
	PADDD       msg, X0; \
	SHA256RNDS2 X0, abef, cdgh; \
	PSHUFD      $0x0e, X0, X0; \
	SHA256RNDS2 X0, cdgh, abef

// Replaces m0, the oldest four of the sixteen message words m0..m3, with
// the next four: W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16].
#define SCHEDULE4(m0, m1, m2, m3, tmp) \
	SHA256MSG1 m1, m0; \
	MOVO       m3, tmp; \
	PALIGNR    $4, m2, tmp; \
	PADDD      tmp, m0; \
	SHA256MSG2 m3, m0

// Four rounds of both lanes, lane 0's words in ma and lane 1's in mb.
#define QUAD(koff, ma, mb) \
	ROUNDS4(ma, koff, X1, X2); \
	ROUNDS4(mb, koff, X7, X8)

// The next four message words of both lanes; the arguments name lane 0's
// message registers from the oldest, lane 1's follow the same rotation.
#define NEXT(a0, a1, a2, a3, b0, b1, b2, b3) \
	SCHEDULE4(a0, a1, a2, a3, X13); \
	SCHEDULE4(b0, b1, b2, b3, X14)

// The 64 rounds of both lanes. Group g (rounds 4g..4g+3) uses message
// registers g mod 4; from group 3 on, each group first computes the words
// of the next.
#define COMPRESS \
	QUAD(0, X3, X9); \
	QUAD(16, X4, X10); \
	QUAD(32, X5, X11); \
	NEXT(X3, X4, X5, X6, X9, X10, X11, X12); \
	QUAD(48, X6, X12); \
	NEXT(X4, X5, X6, X3, X10, X11, X12, X9); \
	QUAD(64, X3, X9); \
	NEXT(X5, X6, X3, X4, X11, X12, X9, X10); \
	QUAD(80, X4, X10); \
	NEXT(X6, X3, X4, X5, X12, X9, X10, X11); \
	QUAD(96, X5, X11); \
	NEXT(X3, X4, X5, X6, X9, X10, X11, X12); \
	QUAD(112, X6, X12); \
	NEXT(X4, X5, X6, X3, X10, X11, X12, X9); \
	QUAD(128, X3, X9); \
	NEXT(X5, X6, X3, X4, X11, X12, X9, X10); \
	QUAD(144, X4, X10); \
	NEXT(X6, X3, X4, X5, X12, X9, X10, X11); \
	QUAD(160, X5, X11); \
	NEXT(X3, X4, X5, X6, X9, X10, X11, X12); \
	QUAD(176, X6, X12); \
	NEXT(X4, X5, X6, X3, X10, X11, X12, X9); \
	QUAD(192, X3, X9); \
	NEXT(X5, X6, X3, X4, X11, X12, X9, X10); \
	QUAD(208, X4, X10); \
	NEXT(X6, X3, X4, X5, X12, X9, X10, X11); \
	QUAD(224, X5, X11); \
	QUAD(240, X6, X12)

// State words H0..H3 in lo and H4..H7 in hi (dword order) to ABEF/CDGH.
#define TOSTATE(lo, hi, abef, cdgh) \
	MOVO       lo, abef; \
	PUNPCKLQDQ hi, abef; \
	PSHUFD     $0x1b, abef, abef; \
	MOVO       lo, cdgh; \
	PUNPCKHQDQ hi, cdgh; \
	PSHUFD     $0x1b, cdgh, cdgh

// ABEF/CDGH back to state words H0..H3 in lo and H4..H7 in hi.
#define TOWORDS(abef, cdgh, lo, hi) \
	MOVO       abef, lo; \
	PUNPCKHQDQ cdgh, lo; \
	PSHUFD     $0xb1, lo, lo; \
	MOVO       abef, hi; \
	PUNPCKLQDQ cdgh, hi; \
	PSHUFD     $0xb1, hi, hi

// The midstate as ABEF/CDGH in X13/X14 (clobbers X0 and X15).
#define MIDSTATE \
	MOVOU 0(AX), X0; \
	MOVOU 16(AX), X15; \
	TOSTATE(X0, X15, X13, X14)

// func sha256dSHANI(b *batch)
TEXT ·sha256dSHANI(SB), NOSPLIT, $0-8
	MOVQ b+0(FP), AX
	LEAQ k256<>(SB), BX

	// First block: each lane's last block onto the midstate.
	MIDSTATE
	MOVO  X13, X1
	MOVO  X14, X2
	MOVO  X13, X7
	MOVO  X14, X8
	MOVOU 32(AX), X3
	MOVOU 48(AX), X4
	MOVOU 64(AX), X5
	MOVOU 80(AX), X6
	MOVOU 96(AX), X9
	MOVOU 112(AX), X10
	MOVOU 128(AX), X11
	MOVOU 144(AX), X12
	COMPRESS
	MIDSTATE
	PADDD X13, X1
	PADDD X14, X2
	PADDD X13, X7
	PADDD X14, X8

	// Second block: the first hash and its padding, from the initial state.
	TOWORDS(X1, X2, X3, X4)
	TOWORDS(X7, X8, X9, X10)
	MOVOU pad32<>+0(SB), X5
	MOVOU pad32<>+16(SB), X6
	MOVO  X5, X11
	MOVO  X6, X12
	MOVOU iv<>+0(SB), X1
	MOVOU iv<>+16(SB), X2
	MOVO  X1, X7
	MOVO  X2, X8
	COMPRESS
	MOVOU iv<>+0(SB), X13
	MOVOU iv<>+16(SB), X14
	PADDD X13, X1
	PADDD X14, X2
	PADDD X13, X7
	PADDD X14, X8

	// The digests, H0..H7 in order.
	TOWORDS(X1, X2, X3, X4)
	TOWORDS(X7, X8, X9, X10)
	MOVOU X3, 160(AX)
	MOVOU X4, 176(AX)
	MOVOU X9, 192(AX)
	MOVOU X10, 208(AX)
	RET

// func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL subleaf+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// SHA-256's initial state as ABEF, CDGH.
DATA iv<>+0(SB)/8, $0x510e527f9b05688c
DATA iv<>+8(SB)/8, $0x6a09e667bb67ae85
DATA iv<>+16(SB)/8, $0x1f83d9ab5be0cd19
DATA iv<>+24(SB)/8, $0x3c6ef372a54ff53a
GLOBL iv<>(SB), RODATA|NOPTR, $32

// Message words 8..15 of the padded block holding a 32-byte message.
DATA pad32<>+0(SB)/8, $0x0000000080000000
DATA pad32<>+8(SB)/8, $0
DATA pad32<>+16(SB)/8, $0
DATA pad32<>+24(SB)/8, $0x0000010000000000
GLOBL pad32<>(SB), RODATA|NOPTR, $32

// SHA-256's round constants.
DATA k256<>+0(SB)/8, $0x71374491428a2f98
DATA k256<>+8(SB)/8, $0xe9b5dba5b5c0fbcf
DATA k256<>+16(SB)/8, $0x59f111f13956c25b
DATA k256<>+24(SB)/8, $0xab1c5ed5923f82a4
DATA k256<>+32(SB)/8, $0x12835b01d807aa98
DATA k256<>+40(SB)/8, $0x550c7dc3243185be
DATA k256<>+48(SB)/8, $0x80deb1fe72be5d74
DATA k256<>+56(SB)/8, $0xc19bf1749bdc06a7
DATA k256<>+64(SB)/8, $0xefbe4786e49b69c1
DATA k256<>+72(SB)/8, $0x240ca1cc0fc19dc6
DATA k256<>+80(SB)/8, $0x4a7484aa2de92c6f
DATA k256<>+88(SB)/8, $0x76f988da5cb0a9dc
DATA k256<>+96(SB)/8, $0xa831c66d983e5152
DATA k256<>+104(SB)/8, $0xbf597fc7b00327c8
DATA k256<>+112(SB)/8, $0xd5a79147c6e00bf3
DATA k256<>+120(SB)/8, $0x1429296706ca6351
DATA k256<>+128(SB)/8, $0x2e1b213827b70a85
DATA k256<>+136(SB)/8, $0x53380d134d2c6dfc
DATA k256<>+144(SB)/8, $0x766a0abb650a7354
DATA k256<>+152(SB)/8, $0x92722c8581c2c92e
DATA k256<>+160(SB)/8, $0xa81a664ba2bfe8a1
DATA k256<>+168(SB)/8, $0xc76c51a3c24b8b70
DATA k256<>+176(SB)/8, $0xd6990624d192e819
DATA k256<>+184(SB)/8, $0x106aa070f40e3585
DATA k256<>+192(SB)/8, $0x1e376c0819a4c116
DATA k256<>+200(SB)/8, $0x34b0bcb52748774c
DATA k256<>+208(SB)/8, $0x4ed8aa4a391c0cb3
DATA k256<>+216(SB)/8, $0x682e6ff35b9cca4f
DATA k256<>+224(SB)/8, $0x78a5636f748f82ee
DATA k256<>+232(SB)/8, $0x8cc7020884c87814
DATA k256<>+240(SB)/8, $0xa4506ceb90befffa
DATA k256<>+248(SB)/8, $0xc67178f2bef9a3f7
GLOBL k256<>(SB), RODATA|NOPTR, $256
