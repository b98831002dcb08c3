package query

import (
	"strings"
)

// CancelDeletion is the kill switch of the edit file: a selection holding
// it deletes nothing.
const CancelDeletion = "CANCEL_DELETION"

// editFileHeader explains the edit file; every line is a comment.
const editFileHeader = `# INSTRUCTIONS
# ------------
# This file was written by 'hfidx delete --disable-tui'. It lists every
# revision of your Hugging Face cache, each on a line that is commented out.
#
# To choose what is deleted:
#   - un-comment a revision's line (remove the '#' before its hash) to
#     delete that revision; only un-commented lines are deleted;
#   - commented lines, blank lines and lines you remove are ignored, and
#     anything after a '#' on a line is a comment;
#   - any target 'hfidx delete' takes works too, one per line: a hash prefix
#     of 8+ hex digits, model/org/name (whole repo), model/org/name@<hash>;
#   - un-commenting CANCEL_DELETION below cancels everything.
#
# Save the file, then answer in the terminal: hfidx shows what the selection
# frees and asks again; answering no lets you keep editing. This file is
# removed only once you have confirmed or cancelled.
# ------------

# KILL SWITCH
# ------------
# Un-comment the next line to cancel the deletion, whatever else is chosen.
# CANCEL_DELETION
# ------------

# REVISIONS
# ------------`

// EditFile renders the file `hfidx delete --disable-tui` asks the user to
// edit: the instructions, the kill switch, then for each repo a line
// `# <Type> <repo_id> (<size>, used <when>)` and one line per revision,
// `#    <hash> # Refs: <refs> # modified <when>`, commented out unless the
// revision is in selected (then without the '#'); a hash cached in several
// repos is written `<cache_id>@<hash>`. A repo without revisions
// gets one line naming it whole (its cache id), so it can be deleted too.
// Times are rendered relative to now (Unix seconds). The text has no
// trailing newline, as the legacy file. It never fails.
func EditFile(repos []ChoiceRepo, selected map[RevisionKey]bool, now float64) string {
	// A commit cached in several repos is written <type>/<id>@<hash>, so
	// that its line names one revision (a bare hash would be refused as
	// ambiguous).
	seen := map[string]int{}
	for _, r := range repos {
		for _, v := range r.Revisions {
			seen[strings.ToLower(v.Hash)]++
		}
	}
	var b strings.Builder
	b.WriteString(editFileHeader)
	for i := range repos {
		r := &repos[i]
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("\n# ")
		b.WriteString(RepoLine(r, now))
		if len(r.Revisions) == 0 {
			b.WriteString("\n#    ")
			b.WriteString(oneLine(r.CacheID))
			b.WriteString(" # no revisions: un-comment to delete the whole repo")
			continue
		}
		for _, v := range r.Revisions {
			if selected[v.Key(r)] {
				b.WriteString("\n    ")
			} else {
				b.WriteString("\n#    ")
			}
			if seen[strings.ToLower(v.Hash)] > 1 {
				b.WriteString(oneLine(r.CacheID) + "@")
			}
			b.WriteString(oneLine(v.Hash))
			b.WriteString(" # Refs: ")
			b.WriteString(oneLine(v.RefsText()))
			b.WriteString(" # modified ")
			b.WriteString(FormatTimeSince(v.LastModified, now))
		}
	}
	return b.String()
}

// RepoLine returns `<Type> <repo_id> (<size>, used <when>)`, with the
// damaged mark after the id of a damaged repo.
func RepoLine(r *ChoiceRepo, now float64) string {
	id := oneLine(r.RepoID)
	if r.Damaged {
		id += DamagedMark
	}
	return r.Title() + " " + id + " (" + FormatSize(r.SizeOnDisk) + ", used " + FormatTimeSince(r.LastAccessed, now) + ")"
}

// oneLine keeps a name from breaking the line structure of the edit file
// or the list: line breaks become spaces.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// ParseEditFile returns the selection written in an edit file, as the
// legacy delete-cache reads it: each line is stripped of surrounding
// white space; lines starting with '#' are dropped; of the others, the text
// before the first '#' is kept, stripped; empty results are dropped. Order
// and duplicates are kept; every result is a target for ParseTarget, or
// CancelDeletion. It never fails.
func ParseEditFile(text string) []string {
	out := []string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			continue
		}
		line, _, _ = strings.Cut(line, "#")
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}
