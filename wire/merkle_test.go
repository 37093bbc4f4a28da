package wire

import (
	"fmt"
	"testing"
)

// node is an independent merkle node: SHA-256d(left || right).
func node(l, r Hash) Hash {
	return Hash(sha256d(append(append([]byte(nil), l[:]...), r[:]...)))
}

// leaves returns n distinct ids.
func leaves(n int) []Hash {
	ids := make([]Hash, n)
	for i := range ids {
		ids[i] = DoubleSHA256([]byte(fmt.Sprintf("leaf %d", i)))
	}
	return ids
}

// refMerkle is an independent, recursive statement of the rule: pad an odd
// level by repeating its last node.
func refMerkle(level []Hash) Hash {
	if len(level) == 1 {
		return level[0]
	}
	if len(level)%2 == 1 {
		level = append(level[:len(level):len(level)], level[len(level)-1])
	}
	next := make([]Hash, len(level)/2)
	for i := range next {
		next[i] = node(level[2*i], level[2*i+1])
	}
	return refMerkle(next)
}

func TestMerkleRootSmall(t *testing.T) {
	l := leaves(3)
	a, b, c := l[0], l[1], l[2]

	if root, mut := MerkleRoot(nil); root != ZeroHash || mut {
		t.Errorf("empty: %s %v", root, mut)
	}
	if root, mut := MerkleRoot([]Hash{}); root != ZeroHash || mut {
		t.Errorf("empty slice: %s %v", root, mut)
	}
	if root, mut := MerkleRoot([]Hash{a}); root != a || mut {
		t.Errorf("one leaf: root %s, want the leaf %s; mutated %v", root, a, mut)
	}
	if root, mut := MerkleRoot([]Hash{a, b}); root != node(a, b) || mut {
		t.Errorf("two leaves: %s %v", root, mut)
	}
	if root, mut := MerkleRoot([]Hash{b, a}); root != node(b, a) || mut {
		t.Errorf("order matters: %s %v", root, mut)
	}
	want3 := node(node(a, b), node(c, c))
	if root, mut := MerkleRoot([]Hash{a, b, c}); root != want3 || mut {
		t.Errorf("three leaves: got %s %v, want %s false", root, mut, want3)
	}
}

// TestMerkleMutation is CVE-2012-2459: duplicating the tail of a list keeps
// the root and must be reported.
func TestMerkleMutation(t *testing.T) {
	l := leaves(6)
	a, b, c, d, e, f := l[0], l[1], l[2], l[3], l[4], l[5]
	for _, tc := range []struct {
		name        string
		short, long []Hash
	}{
		{"leaf level", []Hash{a, b, c}, []Hash{a, b, c, c}},
		{"upper level", []Hash{a, b, c, d, e, f}, []Hash{a, b, c, d, e, f, e, f}},
		{"five leaves", []Hash{a, b, c, d, e}, []Hash{a, b, c, d, e, e}},
	} {
		rs, ms := MerkleRoot(tc.short)
		rl, ml := MerkleRoot(tc.long)
		if rs != rl {
			t.Errorf("%s: roots differ (%s vs %s); the test's premise is wrong", tc.name, rs, rl)
		}
		if ms {
			t.Errorf("%s: genuine list reported as mutated", tc.name)
		}
		if !ml {
			t.Errorf("%s: duplicated list not reported as mutated", tc.name)
		}
	}
	// Equal neighbours anywhere are reported (Bitcoin Core's rule), even
	// when no shorter list has the same root.
	if _, mut := MerkleRoot([]Hash{a, a}); !mut {
		t.Error("[a a] not reported as mutated")
	}
	if _, mut := MerkleRoot([]Hash{a, b, a, b}); !mut {
		t.Error("[a b a b] (equal nodes at level 1) not reported as mutated")
	}
	// Equal ids that are not paired with each other are not a mutation.
	if _, mut := MerkleRoot([]Hash{a, b, a}); mut {
		t.Error("[a b a] reported as mutated")
	}
}

// TestMerkleRootAgainstReference compares many sizes with the recursive
// reference and checks that the input is not modified.
func TestMerkleRootAgainstReference(t *testing.T) {
	for n := 1; n <= 70; n++ {
		ids := leaves(n)
		saved := append([]Hash(nil), ids...)
		root, mut := MerkleRoot(ids)
		if want := refMerkle(ids); root != want {
			t.Errorf("%d leaves: root %s, want %s", n, root, want)
		}
		if mut {
			t.Errorf("%d distinct leaves reported as mutated", n)
		}
		for i := range ids {
			if ids[i] != saved[i] {
				t.Fatalf("%d leaves: MerkleRoot modified its input", n)
			}
		}
	}
}
