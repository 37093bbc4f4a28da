// Package lograte keeps one log message from filling the disk: a
// slog.Handler that passes at most Limit lines of each message (the
// record's level and message text, without its attributes) per Window and
// drops the rest, as Bitcoin Core limits each log site (-logratelimit).
// A remote peer can make the node log: every connection it opens writes a
// "peer connected" and a "disconnecting peer" line, every ban a warning,
// so without a bound one stranger decides how fast the log grows.
//
// The first line a window drops is replaced by one warning that lines of
// that message are being dropped; the first line of the message after its
// window ends is preceded by one saying how many were. A window starts
// with the first line of the message after the previous one ended. Windows are
// measured on the records' own times (slog.Record.Time, which the logger
// sets when a line is logged), so the handler reads no clock and its
// behaviour is a function of the records it is given.
//
// # Invariants
//
//   - A message never passes more than Limit lines in a Window; the
//     warnings about it are not counted against it.
//   - At most MaxMessages messages are tracked; lines of further messages
//     pass unlimited (the node's messages are constant strings, far fewer).
//
// # Concurrency
//
// A Handler is safe for concurrent use. The handlers it returns from
// WithAttrs and WithGroup share its counts; one mutex guards them, held to
// count a line, never while the next handler writes it.
package lograte
