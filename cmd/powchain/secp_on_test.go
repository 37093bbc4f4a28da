//go:build libsecp256k1

package main

// libsecpBuild: the tests run with the libsecp256k1 signature backend, so
// the binary they drive is built with it too.
const libsecpBuild = true
