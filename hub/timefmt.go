package hub

import "time"

// The store keeps times as microseconds since the epoch. Koji sends each time
// twice: *_time as a string like Python's isoformat(' ') and *_ts as a double.

// TimeString formats microseconds like Koji's *_time fields, in UTC:
// "2024-03-12 00:06:28.541893+00:00", with the fraction left out when zero.
func TimeString(us int64) string {
	t := time.UnixMicro(us).UTC()
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02 15:04:05-07:00")
	}
	return t.Format("2006-01-02 15:04:05.000000-07:00")
}

// TS converts microseconds to Koji's *_ts epoch double.
func TS(us int64) float64 { return float64(us) / 1e6 }

// OptTimeString is TimeString for a nullable column.
func OptTimeString(us *int64) *string {
	if us == nil {
		return nil
	}
	s := TimeString(*us)
	return &s
}

// OptTS is TS for a nullable column.
func OptTS(us *int64) *float64 {
	if us == nil {
		return nil
	}
	f := TS(*us)
	return &f
}
