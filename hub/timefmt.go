package hub

import "time"

// The store keeps times as microseconds since the epoch. Koji sends each time
// twice: *_time as a string like Python's isoformat(' ') and *_ts as a double.

// TimeString formats microseconds like Koji's *_time fields, in UTC:
// "2024-03-12 00:06:28.541893+00:00", with the fraction left out when zero.
//
// Answers such as listTagged format tens of thousands of these, so the
// digits are written by hand rather than by time.Format's layout parser.
func TimeString(us int64) string {
	t := time.UnixMicro(us).UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		if t.Nanosecond() == 0 {
			return t.Format("2006-01-02 15:04:05-07:00")
		}
		return t.Format("2006-01-02 15:04:05.000000-07:00")
	}
	hour, minute, sec := t.Clock()
	var buf [32]byte
	b := appendDigits(buf[:0], year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, ' ')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	if micro := t.Nanosecond() / 1000; micro != 0 {
		b = append(b, '.')
		b = appendDigits(b, micro, 6)
	}
	b = append(b, "+00:00"...)
	return string(b)
}

// appendDigits appends n (not negative) zero-padded to width digits.
func appendDigits(b []byte, n, width int) []byte {
	var d [8]byte
	for i := width - 1; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[:width]...)
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
