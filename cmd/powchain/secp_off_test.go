//go:build !libsecp256k1

package main

const libsecpBuild = false
