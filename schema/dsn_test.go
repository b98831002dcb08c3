package schema

import "testing"

func TestDSN(t *testing.T) {
	for _, tc := range []struct {
		a    access
		want string
	}{
		{forBuild, "file:/x/index%20a.db?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=cache_size(-8192)"},
		{forRead, "file:/x/index%20a.db?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&mode=ro&_pragma=query_only(1)"},
		{forUpdate, "file:/x/index%20a.db?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)"},
		{forSync, "file:/x/index%20a.db?_pragma=busy_timeout(60000)&_pragma=foreign_keys(1)&_txlock=immediate"},
		{forRecovery, "file:/x/index%20a.db?_pragma=busy_timeout(5000)"},
	} {
		if got := dsn("/x/index a.db", tc.a); got != tc.want {
			t.Errorf("dsn(%q, %d) = %q, want %q", "/x/index a.db", tc.a, got, tc.want)
		}
	}
	if got, want := URI("/x/a?b#c.db"), "file:/x/a%3Fb%23c.db"; got != want {
		t.Errorf("URI(%q) = %q, want %q", "/x/a?b#c.db", got, want)
	}
}
