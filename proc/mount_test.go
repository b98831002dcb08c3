package proc

import (
	"reflect"
	"strings"
	"testing"
)

// mountinfo is a mount table of the kind a Linux machine shows, with a
// mount point and a source holding escaped characters, stacked mounts and
// each atime option.
const mountinfo = `21 26 0:20 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
26 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard
30 26 259:2 / /data rw,noatime shared:30 - xfs /dev/nvme0n1p2 rw,attr2,inode64
31 30 259:3 / /data/hub rw,relatime,nodiratime shared:31 master:4 - ext4 /dev/nvme1n1 rw,lazytime
32 30 0:40 /models /data/My\040Models rw,nosuid - fuse.sshfs user@host:/srv/My\040Models rw,user_id=0
33 26 0:41 / /mnt/strict rw shared:33 - tmpfs tmpfs rw,size=1024k
34 26 0:42 / /mnt/strict rw,noatime shared:34 - tmpfs tmpfs rw,size=2048k
35 26 0:43 / /mnt/back\134slash\011tab rw,relatime - ext4 /dev/sdb rw,lazytime
36 26 0:44 / /mnt/d rw,strictatime,nodiratime - ext4 /dev/sdc rw
`

func TestParseMountinfo(t *testing.T) {
	mounts, err := ParseMountinfo(strings.NewReader(mountinfo))
	if err != nil {
		t.Fatal(err)
	}
	if len(mounts) != 9 {
		t.Fatalf("ParseMountinfo: %d mounts, want 9", len(mounts))
	}
	want := Mount{
		ID: 31, Parent: 30, Major: 259, Minor: 3, Root: "/", Point: "/data/hub",
		Options: []string{"rw", "relatime", "nodiratime"}, FSType: "ext4", Source: "/dev/nvme1n1",
		Super: []string{"rw", "lazytime"},
	}
	if !reflect.DeepEqual(mounts[3], want) {
		t.Errorf("ParseMountinfo line 4 = %+v, want %+v", mounts[3], want)
	}
	if m := mounts[4]; m.Root != "/models" || m.Point != "/data/My Models" || m.Source != "user@host:/srv/My Models" || m.FSType != "fuse.sshfs" {
		t.Errorf("ParseMountinfo line 5 = %+v, want its escapes undone", m)
	}
	if p := mounts[7].Point; p != "/mnt/back\\slash\ttab" {
		t.Errorf("ParseMountinfo line 8: point %q, want %q", p, "/mnt/back\\slash\ttab")
	}

	tests := []struct {
		path  string
		point string
		atime string
	}{
		{"/", "/", "relatime"},
		{"/home/u/.cache/huggingface/hub", "/", "relatime"},
		{"/proc/self", "/proc", "relatime"},
		{"/data", "/data", "noatime"},
		{"/data/x", "/data", "noatime"},
		{"/data/hubby", "/data", "noatime"}, // a prefix of /data/hub, not inside it
		{"/data/hub", "/data/hub", "relatime,nodiratime,lazytime"},
		{"/data/hub/models--a--b/blobs/ab", "/data/hub", "relatime,nodiratime,lazytime"},
		{"/data/hub/../x", "/data", "noatime"},
		{"/data/My Models/m.bin", "/data/My Models", "strictatime"},
		{"/mnt/strict/f", "/mnt/strict", "noatime"}, // the later of two mounts on one point
		{"/mnt/back\\slash\ttab/f", "/mnt/back\\slash\ttab", "relatime,lazytime"},
		{"/mnt/d/f", "/mnt/d", "strictatime,nodiratime"},
	}
	for _, tt := range tests {
		m, ok := Containing(mounts, tt.path)
		if !ok || m.Point != tt.point || m.Atime().String() != tt.atime {
			t.Errorf("Containing(%q) = %q (%s), %v, want %q (%s)", tt.path, m.Point, m.Atime(), ok, tt.point, tt.atime)
		}
	}
	if m, ok := Containing(mounts, "data/hub"); ok {
		t.Errorf("Containing(%q) = %q, want none for a relative path", "data/hub", m.Point)
	}
	if m, ok := Containing(mounts[2:4], "/home"); ok {
		t.Errorf("Containing(%q) = %q, want none without a root mount", "/home", m.Point)
	}
}

func TestParseMountinfoBad(t *testing.T) {
	for _, text := range []string{
		"21 26 0:20 / /proc rw shared:12 proc proc rw\n",    // no "-"
		"21 26 0:20 / /proc rw - proc\n",                    // too short after "-"
		"x 26 0:20 / /proc rw - proc proc rw\n",             // id
		"21 26 0-20 / /proc rw - proc proc rw\n",            // device
		"21 26 0:20 / /proc rw - proc proc rw\n21 26 0:z\n", // second line
	} {
		if _, err := ParseMountinfo(strings.NewReader(text)); err == nil || !strings.HasPrefix(err.Error(), "mountinfo line ") {
			t.Errorf("ParseMountinfo(%q) error = %v, want one naming the line", text, err)
		}
	}
}

func TestAtime(t *testing.T) {
	tests := []struct {
		options, super []string
		want           Atime
	}{
		{[]string{"rw", "relatime"}, []string{"rw"}, Atime{Mode: Relatime}},
		{[]string{"rw"}, []string{"rw"}, Atime{Mode: Strictatime}},
		{[]string{"ro", "noatime"}, nil, Atime{Mode: Noatime}},
		{[]string{"rw", "noatime", "relatime"}, nil, Atime{Mode: Noatime}},
		{[]string{"rw", "nodiratime", "relatime"}, []string{"rw", "lazytime"}, Atime{Mode: Relatime, NoDir: true, Lazy: true}},
		{[]string{"rw", "lazytime"}, nil, Atime{Mode: Strictatime, Lazy: true}},
	}
	for _, tt := range tests {
		if got := (Mount{Options: tt.options, Super: tt.super}).Atime(); got != tt.want {
			t.Errorf("Mount{Options: %q, Super: %q}.Atime() = %+v, want %+v", tt.options, tt.super, got, tt.want)
		}
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct{ in, want string }{
		{`plain`, `plain`},
		{`a\040b`, "a b"},
		{`\011\012\134`, "\t\n\\"},
		{`trail\`, `trail\`},
		{`\04`, `\04`},
		{`\400`, `\400`}, // not a byte
		{`\08x`, `\08x`},
	}
	for _, tt := range tests {
		if got := unescape(tt.in); got != tt.want {
			t.Errorf("unescape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnderAny(t *testing.T) {
	tests := []struct {
		path  string
		roots []string
		want  bool
	}{
		{"/a/hub/x", []string{"/a/hub"}, true},
		{"/a/hub", []string{"/a/hub"}, true},
		{"/a/hubby/x", []string{"/a/hub"}, false},
		{"/a/hu", []string{"/a/hub"}, false},
		{"/b/x", []string{"/a/hub", "/b"}, true},
		{"/anything", []string{"/"}, true},
		{"/anything", nil, true},
	}
	for _, tt := range tests {
		if got := underAny([]byte(tt.path), tt.roots); got != tt.want {
			t.Errorf("underAny(%q, %q) = %v, want %v", tt.path, tt.roots, got, tt.want)
		}
	}
}

func TestSummary(t *testing.T) {
	ps := &Processes{Denied: []Denied{{UID: 1000, User: "alice", Processes: 10}, {UID: 1001, User: "bob", Processes: 1}, {UID: 1005, Processes: 1}}}
	want := "12 processes of 3 users could not be checked: alice (10), bob (1), uid 1005 (1)"
	if got := ps.Summary(); got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if got := (&Processes{Denied: []Denied{{UID: 0, User: "root", Processes: 1}}}).Summary(); got != "1 process of 1 user could not be checked: root (1)" {
		t.Errorf("Summary() = %q", got)
	}
	if got := (&Processes{}).Summary(); got != "" {
		t.Errorf("Summary() of none = %q, want \"\"", got)
	}
}

func TestCommand(t *testing.T) {
	tests := []struct {
		p    Process
		want string
	}{
		{Process{Comm: "python3", Args: []string{"/usr/bin/python3", "serve.py", "--port", "80"}}, "python3 serve.py --port 80"},
		{Process{Comm: "python", Args: []string{"python", "serve.py"}}, "python serve.py"},
		{Process{Comm: "sleep"}, "[sleep]"},
		{Process{Comm: "postgres", Args: []string{"postgres: writer process   "}}, "postgres: writer process   "},
		{Process{Comm: "nginx", Args: []string{"nginx: master process /usr/sbin/nginx"}}, "nginx: master process /usr/sbin/nginx"},
		{Process{Comm: "x", Args: []string{"", "a"}}, "x a"},
	}
	for _, tt := range tests {
		if got := tt.p.Command(); got != tt.want {
			t.Errorf("%+v.Command() = %q, want %q", tt.p, got, tt.want)
		}
	}
	if got := (Holder{PID: 4711, Command: "python serve.py"}).String(); got != "4711 (python serve.py)" {
		t.Errorf("Holder.String() = %q", got)
	}
}

func FuzzParseMountinfo(f *testing.F) {
	for _, l := range strings.Split(mountinfo, "\n") {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line string) {
		mounts, err := ParseMountinfo(strings.NewReader(line))
		if err != nil {
			return
		}
		for _, m := range mounts {
			m.Atime()
			Containing(mounts, m.Point)
		}
	})
}
