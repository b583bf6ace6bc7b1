package hub

import (
	"math/rand"
	"testing"
	"time"
)

func TestTimeString(t *testing.T) {
	for _, c := range []struct {
		us   int64
		want string
	}{
		{0, "1970-01-01 00:00:00+00:00"},
		{1710201988541893, "2024-03-12 00:06:28.541893+00:00"},
		{1710201988000000, "2024-03-12 00:06:28+00:00"},
		{1710201988000001, "2024-03-12 00:06:28.000001+00:00"},
		{-1, "1969-12-31 23:59:59.999999+00:00"},
		{253402300799999999, "9999-12-31 23:59:59.999999+00:00"},
		{253402300800000000, "10000-01-01 00:00:00+00:00"},
		{253402300800500000, "10000-01-01 00:00:00.500000+00:00"},
	} {
		if got := TimeString(c.us); got != c.want {
			t.Errorf("TimeString(%d) = %q, want %q", c.us, got, c.want)
		}
	}
	// Against time.Format, which it replaces for speed.
	rnd := rand.New(rand.NewSource(1))
	for i := 0; i < 10000; i++ {
		us := rnd.Int63n(253402300799999999)
		tm := time.UnixMicro(us).UTC()
		layout := "2006-01-02 15:04:05.000000-07:00"
		if tm.Nanosecond() == 0 {
			layout = "2006-01-02 15:04:05-07:00"
		}
		if got, want := TimeString(us), tm.Format(layout); got != want {
			t.Fatalf("TimeString(%d) = %q, time.Format gives %q", us, got, want)
		}
	}
}
