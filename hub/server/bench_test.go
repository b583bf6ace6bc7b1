package server_test

import (
	"context"
	"testing"

	"github.com/gokoji/gokoji/hub/hubtest"
)

// BenchmarkGetLoggedInUser is a full HTTP round trip of an authenticated
// call: encode, HTTP, decode, session check, query, encode, decode.
func BenchmarkGetLoggedInUser(b *testing.B) {
	for _, backend := range hubtest.Backends {
		b.Run(string(backend), func(b *testing.B) {
			h := hubtest.Start(b, hubtest.OpenDB(b, backend))
			c := h.Admin(b)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.Call(ctx, "getLoggedInUser"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
