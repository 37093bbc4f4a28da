package wire

// MerkleRoot computes Bitcoin's merkle root of ids: pairs are hashed with
// SHA-256d and a level with an odd number of nodes pairs its last node with
// itself. The root of a single id is the id; of no ids, the zero hash.
//
// Pairing the last node with itself means the lists [a b c] and [a b c c]
// have the same root (CVE-2012-2459). mutated reports whether any level paired
// two equal nodes from distinct positions (Bitcoin Core's rule): every list
// that shares its root with a shorter one that way is mutated, and so is a
// list in which two equal ids are paired ([a a] has no shorter twin; its
// duplicate transaction is invalid anyway). Consensus rejects such blocks as
// malformed data without marking their header invalid, so the trick cannot
// make a node refuse the genuine block with the same id.
func MerkleRoot(ids []Hash) (root Hash, mutated bool) {
	if len(ids) == 0 {
		return ZeroHash, false
	}
	level := append([]Hash(nil), ids...)
	var pair [2 * HashSize]byte
	for len(level) > 1 {
		next := level[:0]
		for i := 0; i < len(level); i += 2 {
			left, right := level[i], level[i]
			if i+1 < len(level) {
				right = level[i+1]
				if left == right {
					mutated = true
				}
			}
			copy(pair[:HashSize], left[:])
			copy(pair[HashSize:], right[:])
			next = append(next, DoubleSHA256(pair[:]))
		}
		level = next
	}
	return level[0], mutated
}
