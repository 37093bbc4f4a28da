// Package pb is the Go code protoc generates from proto/*.proto (never
// edited by hand: `go generate ./proto` rewrites it, and CI fails when the
// committed code differs from what the schemas generate). The message types
// are plain structs; wire converts between them and the domain types, with
// the limits and strictness described in docs/PROTOCOL.md.
package pb
