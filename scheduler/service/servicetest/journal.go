package servicetest

import (
	"strings"
	"sync"
)

// Journal is one ordered record of what a service did to the outside:
// "write <key>", "delete <key>" or "delete-recursive <key>" for every key a
// store write touched, and "call <TYPE>" for every Mesos call the master
// accepted.
type Journal struct {
	mu      sync.Mutex
	entries []string
}

// add appends an entry.
func (j *Journal) add(entry string) {
	if j == nil {
		return
	}
	j.mu.Lock()
	j.entries = append(j.entries, entry)
	j.mu.Unlock()
}

// Entries returns a copy of the journal.
func (j *Journal) Entries() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.entries...)
}

// First returns the index of the first entry that starts with prefix, or
// -1.
func (j *Journal) First(prefix string) int {
	for i, e := range j.Entries() {
		if strings.HasPrefix(e, prefix) {
			return i
		}
	}
	return -1
}
