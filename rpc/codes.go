package rpc

import "fmt"

// Error codes, as Bitcoin Core numbers them.
const (
	CodeMiscError            = -1
	CodeTypeError            = -3
	CodeInvalidAddress       = -5 // invalid address or key; also "not found"
	CodeInvalidParameter     = -8
	CodeDatabaseError        = -20
	CodeDeserialization      = -22
	CodeVerifyError          = -25
	CodeVerifyRejected       = -26
	CodeVerifyAlreadyInChain = -27
	// Peer-to-peer administration.
	CodeClientNodeAlreadyAdded  = -23
	CodeClientNodeNotAdded      = -24
	CodeClientNodeNotConnected  = -29
	CodeClientInvalidIPOrSubnet = -30
	CodeClientP2PDisabled       = -31

	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603
	CodeParseError     = -32700
)

// NewError returns an *Error with a formatted message.
func NewError(code int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
