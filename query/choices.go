package query

import (
	"cmp"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
)

// ChoiceRepo is a repo as the interactive delete lists show it: its
// identity, its numbers and its revisions, oldest first.
type ChoiceRepo struct {
	Folder       string
	CacheID      string
	RepoType     string
	RepoID       string
	SizeOnDisk   int64
	LastAccessed float64
	LastModified float64
	Damaged      bool
	Revisions    []ChoiceRevision
}

// ChoiceRevision is one revision of a ChoiceRepo.
type ChoiceRevision struct {
	Hash         string
	Refs         []string
	SizeOnDisk   int64
	LastModified float64
}

// Key returns the revision's key in a Selection.
func (r ChoiceRevision) Key(repo *ChoiceRepo) RevisionKey {
	return RevisionKey{Folder: repo.Folder, Hash: r.Hash}
}

// Title returns the repo's type with a capital first letter, as the
// legacy delete-cache lists it ("Model", "Dataset").
func (r *ChoiceRepo) Title() string {
	if r.RepoType == "" {
		return ""
	}
	return strings.ToUpper(r.RepoType[:1]) + r.RepoType[1:]
}

// RefsText returns the revision's refs joined by ", ", or "(detached)".
func (r ChoiceRevision) RefsText() string {
	if len(r.Refs) == 0 {
		return "(detached)"
	}
	return strings.Join(r.Refs, ", ")
}

// ChoiceOrders are the orders `hfidx delete --sort` accepts, those of
// the legacy delete-cache.
var ChoiceOrders = []string{"alphabetical", "lastUpdated", "lastUsed", "size"}

// LoadChoices reads every repo and its revisions from the index, in the
// given order: "" is (type, repo id) byte-wise; "alphabetical" is (type,
// lower-cased repo id); "lastUpdated" puts the repo with the newest
// revision first (a repo without revisions counts its own modification
// time); "lastUsed" the most recently accessed first; "size" the largest
// first. Equal keys keep the default order. Revisions of a repo are listed
// oldest first. It returns a *UsageError for an unknown order, else the
// database error, if any.
func LoadChoices(db *sqlx.DB, order string) ([]ChoiceRepo, error) {
	if order != "" && !slices.Contains(ChoiceOrders, order) {
		return nil, usageErr("invalid sort %q: want one of %s", order, strings.Join(ChoiceOrders, ", "))
	}
	var repos []struct {
		ID           int64   `db:"repo"`
		Folder       string  `db:"folder"`
		CacheID      string  `db:"cache_id"`
		RepoType     string  `db:"repo_type"`
		RepoID       string  `db:"repo_id"`
		Size         int64   `db:"size_on_disk"`
		LastAccessed float64 `db:"last_accessed"`
		LastModified float64 `db:"last_modified"`
		Damaged      bool    `db:"damaged"`
	}
	if err := db.Select(&repos, `SELECT repo, folder, cache_id, repo_type, repo_id, size_on_disk,
		coalesce(last_accessed, 0) AS last_accessed, coalesce(last_modified, 0) AS last_modified, damaged FROM repo_usage`); err != nil {
		return nil, err
	}
	var revs []struct {
		Repo         int64   `db:"repo"`
		Hash         string  `db:"commit_hash"`
		Refs         string  `db:"refs"`
		Size         int64   `db:"size_on_disk"`
		LastModified float64 `db:"last_modified"`
	}
	if err := db.Select(&revs, `SELECT repo, commit_hash, coalesce(refs, '') AS refs, size_on_disk,
		coalesce(last_modified, 0) AS last_modified FROM revision_usage`); err != nil {
		return nil, err
	}
	byRepo := map[int64][]ChoiceRevision{}
	for _, v := range revs {
		refs := []string{}
		if v.Refs != "" {
			refs = strings.Split(v.Refs, ",")
		}
		byRepo[v.Repo] = append(byRepo[v.Repo], ChoiceRevision{Hash: v.Hash, Refs: refs, SizeOnDisk: v.Size, LastModified: v.LastModified})
	}
	out := make([]ChoiceRepo, 0, len(repos))
	for _, r := range repos {
		rv := byRepo[r.ID]
		slices.SortFunc(rv, func(a, b ChoiceRevision) int {
			return cmp.Or(cmp.Compare(a.LastModified, b.LastModified), strings.Compare(a.Hash, b.Hash))
		})
		out = append(out, ChoiceRepo{Folder: r.Folder, CacheID: r.CacheID, RepoType: r.RepoType, RepoID: r.RepoID,
			SizeOnDisk: r.Size, LastAccessed: r.LastAccessed, LastModified: r.LastModified, Damaged: r.Damaged, Revisions: rv})
	}
	slices.SortFunc(out, func(a, b ChoiceRepo) int {
		return cmp.Or(strings.Compare(a.RepoType, b.RepoType), strings.Compare(a.RepoID, b.RepoID), strings.Compare(a.Folder, b.Folder))
	})
	SortChoices(out, order)
	return out, nil
}

// SortChoices orders repos in place as LoadChoices describes; equal keys,
// and every key for an unknown order, keep the current order.
func SortChoices(repos []ChoiceRepo, order string) {
	switch order {
	case "alphabetical":
		slices.SortStableFunc(repos, func(a, b ChoiceRepo) int {
			return cmp.Or(strings.Compare(a.RepoType, b.RepoType), strings.Compare(pyLower(a.RepoID), pyLower(b.RepoID)))
		})
	case "lastUpdated":
		newest := func(r *ChoiceRepo) float64 {
			if len(r.Revisions) == 0 {
				return r.LastModified
			}
			m := r.Revisions[0].LastModified
			for _, v := range r.Revisions[1:] {
				m = max(m, v.LastModified)
			}
			return m
		}
		slices.SortStableFunc(repos, func(a, b ChoiceRepo) int { return cmp.Compare(newest(&b), newest(&a)) })
	case "lastUsed":
		slices.SortStableFunc(repos, func(a, b ChoiceRepo) int { return cmp.Compare(b.LastAccessed, a.LastAccessed) })
	case "size":
		slices.SortStableFunc(repos, func(a, b ChoiceRepo) int { return cmp.Compare(b.SizeOnDisk, a.SizeOnDisk) })
	}
}
