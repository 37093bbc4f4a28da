// Package proto holds powchain's protobuf schema (*.proto); the generated Go
// code lives in the subpackage pb. Run `go generate ./proto` after editing a
// schema; CI fails when the committed code differs from what it generates.
package proto
