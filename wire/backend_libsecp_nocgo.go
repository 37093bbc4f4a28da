//go:build libsecp256k1 && !cgo

package wire

// The libsecp256k1 backend is C called through cgo. Without cgo
// (CGO_ENABLED=0, or no C compiler found) the build stops here with an
// error that says so, rather than with the backend's names missing.
var _ = libsecp256k1_build_tag_needs_cgo__set_CGO_ENABLED_1_and_install_a_C_compiler
