package cachetest

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"sync"
)

// LFSThreshold is the size from which a file is LFS (named by its SHA-256)
// even without File.LFS; the Hub's default LFS limit.
const LFSThreshold = 10 << 20

// SparseSizes are the sizes Random gives sparse files. Their zero-content
// hashes are precomputed, so building them costs no hashing.
var SparseSizes = []int64{2_147_483_649, 3_000_000_000, 4_294_967_297}

// precomputed holds the SHA-256 of SparseSizes zero bytes (checked against
// `head -c N /dev/zero | sha256sum`).
var precomputed = map[int64]string{
	2_147_483_649: "b8030a8ab89280935633d8d991da3d9907c0f12e8b6fc3bfc515f4d440872b6e",
	3_000_000_000: "16b29649590001513483bb869fd5b39a6a8d3f2aea76680cea66d3feb21a2243",
	4_294_967_297: "fbb82f7b353676bb562eb82157fcf0ea42c36492ca13ee56dbf82c08b6802c5c",
}

type zeroKey struct {
	size int64
	lfs  bool
}

var zeroMemo = struct {
	sync.Mutex
	m map[zeroKey]string
}{m: map[zeroKey]string{}}

// content is the content of a file or blob: data, or size zero bytes.
type content struct {
	data   []byte
	size   int64
	zeros  bool
	sparse bool
}

func newContent(data []byte, size int64, sparse bool) content {
	if size != 0 || sparse {
		return content{size: size, zeros: true, sparse: sparse}
	}
	return content{data: data, size: int64(len(data))}
}

// etag returns the blob name of c: its git blob SHA-1, or its SHA-256 when
// lfs is set.
func etag(c content, lfs bool) string {
	if !c.zeros {
		return hashBytes(c.data, lfs)
	}
	k := zeroKey{c.size, lfs}
	zeroMemo.Lock()
	defer zeroMemo.Unlock()
	if s, ok := zeroMemo.m[k]; ok {
		return s
	}
	if s, ok := precomputed[c.size]; ok && lfs {
		zeroMemo.m[k] = s
		return s
	}
	h := newHash(c.size, lfs)
	buf := make([]byte, 1<<20)
	for left := c.size; left > 0; {
		n := min(left, int64(len(buf)))
		h.Write(buf[:n])
		left -= n
	}
	s := hex.EncodeToString(h.Sum(nil))
	zeroMemo.m[k] = s
	return s
}

func newHash(size int64, lfs bool) hash.Hash {
	if lfs {
		return sha256.New()
	}
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", size)
	return h
}

func hashBytes(b []byte, lfs bool) string {
	h := newHash(int64(len(b)), lfs)
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// gitBlobID returns the git blob SHA-1 the Hub reports as blob_id: of the
// content for a regular file, of the LFS pointer for an LFS file.
func gitBlobID(c content, lfs bool) string {
	if !lfs {
		return etag(c, false)
	}
	ptr := fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", etag(c, true), c.size)
	return hashBytes([]byte(ptr), false)
}

// xetHash derives the store key of a shared blob from its etag: any 64
// lowercase hex digits would do, since a Xet hash cannot be recomputed from
// the bytes without Xet chunking.
func xetHash(etag string) string {
	return hashBytes([]byte("cachetest-xet\x00"+etag), true)
}

// derived returns 40 hex digits derived from the parts, for names the spec
// leaves out (a missing commit, a missing blob).
func derived(parts ...string) string {
	h := sha1.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
