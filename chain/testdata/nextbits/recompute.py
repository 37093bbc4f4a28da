#!/usr/bin/env python3
"""Recomputes the NextBits vectors from docs/PROTOCOL.md ("Difficulty"),
independently of the Go code: Python integers, the formula as the spec
states it. Usage: recompute.py local|main > FILE. The Go test
(chain/nextbits_test.go) checks every line against Params.NextBits."""
import random
import sys

NETWORKS = {
    # name: (genesis bits = powLimit bits, spacing, half-life)
    "local": (0x1F00FFFF, 1, 10),
    "main": (0x1D00FFFF, 600, 172800),
}
BLOCK1_TIME = 1800000000  # 2027-01-15 08:00:00 UTC, long after genesis


def decode(bits):
    size, mantissa = bits >> 24, bits & 0x007FFFFF
    if size <= 3:
        return mantissa >> (8 * (3 - size))
    return mantissa << (8 * (size - 3))


def encode(target):
    size = (target.bit_length() + 7) // 8
    if size <= 3:
        mantissa = target << (8 * (3 - size))
    else:
        mantissa = target >> (8 * (size - 3))
    if mantissa & 0x00800000:
        mantissa >>= 8
        size += 1
    return size << 24 | mantissa


def trunc_div(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def next_bits(net, parent_height, parent_time, block1_time):
    genesis_bits, spacing, half_life = NETWORKS[net]
    if parent_height == 0:
        return genesis_bits
    limit = decode(genesis_bits)
    exponent = trunc_div((parent_time - block1_time - spacing * (parent_height - 1)) * 65536, half_life)
    shifts = exponent // 65536  # floor
    frac = exponent - shifts * 65536
    factor = 65536 + ((195766423245049 * frac + 971821376 * frac**2 + 5127 * frac**3 + 2**47) >> 48)
    target = limit * factor
    target = target << (shifts - 16) if shifts >= 16 else target >> (16 - shifts)
    target = min(max(target, 1), limit)
    return encode(target)


def scenario(net, rng):
    """(parent_height, parent_time) pairs: a fast start (many blocks per
    second), steady blocks, stalls, runs ahead of and behind schedule, and
    both clamps."""
    _, spacing, half_life = NETWORKS[net]
    rows = [(0, BLOCK1_TIME - 5 * spacing), (1, BLOCK1_TIME)]
    h, t = 1, BLOCK1_TIME
    for _ in range(60):  # burst: several blocks per spacing
        h += 1
        t += rng.choice([0, 0, 0, spacing // 2, spacing])
        rows.append((h, t))
    for _ in range(120):  # around the schedule, exponential-ish intervals
        h += 1
        t += int(rng.expovariate(1 / spacing) + 0.5)
        rows.append((h, t))
    for stall in (half_life // 3, half_life, 5 * half_life):  # behind schedule
        h += 1
        t += stall
        rows.append((h, t))
    for _ in range(20):  # timestamps may go backwards within the median rule
        h += 1
        t += rng.randint(-3 * spacing, 3 * spacing)
        rows.append((h, t))
    # Far ahead of schedule: the target bottoms out at 1; far behind: limit.
    rows += [(h + 40 * half_life // spacing, t), (h + 400 * half_life // spacing, t),
             (h + 10**9, BLOCK1_TIME), (h, t + 300 * half_life), (2, BLOCK1_TIME - 7 * spacing)]
    # Exponents just either side of zero, where truncation toward zero matters.
    for d in (-half_life - 1, -1, 1, half_life + 1, -(half_life * 16) - 1):
        rows.append((1000, BLOCK1_TIME + spacing * 999 + d))
    return rows


def main():
    net = sys.argv[1]
    rows = scenario(net, random.Random(net))
    print(f"## network: {net}")
    print(f"## block 1 time: {BLOCK1_TIME}")
    print(f"## iterations: {len(rows)}")
    print("# iteration parent_height parent_time next_bits")
    for i, (h, t) in enumerate(rows, 1):
        print(f"{i} {h} {t} 0x{next_bits(net, h, t, BLOCK1_TIME):08x}")


if __name__ == "__main__":
    main()
