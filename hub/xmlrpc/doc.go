// Package xmlrpc is the XML-RPC wire codec of the hub, with Koji's extensions:
// <i8> for integers outside int32, <nil/> in both directions, and the trailing
// "__starstar" struct that carries keyword arguments.
//
// The decoder follows Python's xmlrpc.client, because that is what every Koji
// client and the reference hub use: the same value tags are accepted, a <value>
// without a type is a string, and namespace prefixes on element names are
// ignored. It is stricter than Python where Python silently drops content
// (unknown elements, stray text), and it refuses DTDs, oversized bodies and
// deep nesting so that a request cannot exhaust the server.
//
// Decoded values are always one of: nil, bool, int64, float64, string,
// []byte (base64), time.Time (dateTime.iso8601, in UTC), []any and
// map[string]any. Empty arrays and structs decode to non-nil empty values, so
// that re-encoding them does not turn them into <nil/>.
//
// The encoder writes the same layout as Python's marshaller (one element per
// line), so responses look like the reference hub's.
package xmlrpc
