package buildroot

import (
	"reflect"
	"testing"
)

func TestParseRPMQA(t *testing.T) {
	epoch := func(n int64) *int64 { return &n }
	cases := []struct {
		name string
		out  string
		want []Package
	}{
		{"empty", "", nil},
		{"no epoch", "bash\t5.2.15\t3.fc39\t(none)\tx86_64\n",
			[]Package{{Name: "bash", Version: "5.2.15", Release: "3.fc39", Arch: "x86_64"}}},
		{"epoch, sorted by name", "perl-libs\t5.38.0\t501.fc39\t4\tx86_64\ncoreutils\t9.3\t4.fc39\t(none)\tx86_64\n",
			[]Package{{Name: "coreutils", Version: "9.3", Release: "4.fc39", Arch: "x86_64"},
				{Name: "perl-libs", Version: "5.38.0", Release: "501.fc39", Arch: "x86_64", Epoch: epoch(4)}}},
		{"epoch zero is an epoch", "tzdata\t2023c\t2.fc39\t0\tnoarch", // no final newline
			[]Package{{Name: "tzdata", Version: "2023c", Release: "2.fc39", Arch: "noarch", Epoch: epoch(0)}}},
		{"keys and noise skipped",
			"warning: something\ngpg-pubkey\t18b8e74c\t62f2920f\t(none)\t(none)\n\nfoo\t1\t1\t(none)\tnoarch\r\n",
			[]Package{{Name: "foo", Version: "1", Release: "1", Arch: "noarch"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseRPMQA([]byte(tc.out)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parseRPMQA(%q) = %+v, want %+v", tc.out, got, tc.want)
			}
		})
	}
}
