//go:build !race

package testnet

const raceBuild = false
