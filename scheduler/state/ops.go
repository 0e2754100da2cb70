package state

import (
	"fmt"
)

// OpKind says what an Op does.
type OpKind int

// The operations of an atomic commit.
const (
	// OpSet creates or overwrites Key with Value, creating missing parents.
	OpSet OpKind = iota + 1
	// OpCompareAndSet writes Key only if its version is Expected (NoVersion:
	// only if it is missing), creating missing parents.
	OpCompareAndSet
	// OpDelete removes Key; a missing key is skipped, a key with children
	// fails the commit.
	OpDelete
	// OpCheck writes nothing and fails the commit unless Key exists with
	// version Expected.
	OpCheck
)

func (k OpKind) String() string {
	switch k {
	case OpSet:
		return "set"
	case OpCompareAndSet:
		return "compare-and-set"
	case OpDelete:
		return "delete"
	case OpCheck:
		return "check"
	}
	return fmt.Sprintf("OpKind(%d)", int(k))
}

// Op is one operation of a Commit. Build it with SetOp, CompareAndSetOp,
// DeleteOp or CheckOp.
type Op struct {
	Kind     OpKind
	Key      string
	Value    []byte
	Expected Version
}

// SetOp creates or overwrites key.
func SetOp(key string, value []byte) Op { return Op{Kind: OpSet, Key: key, Value: value} }

// CompareAndSetOp writes key only if its version is expected.
func CompareAndSetOp(key string, value []byte, expected Version) Op {
	return Op{Kind: OpCompareAndSet, Key: key, Value: value, Expected: expected}
}

// DeleteOp removes key.
func DeleteOp(key string) Op { return Op{Kind: OpDelete, Key: key} }

// CheckOp asserts that key exists with version expected.
func CheckOp(key string, expected Version) Op { return Op{Kind: OpCheck, Key: key, Expected: expected} }

// ValidateOps checks a commit before anything is sent: known kinds, valid
// keys, each key at most once, value sizes, and the commit's total size.
func ValidateOps(ops []Op) error {
	seen := make(map[string]int, len(ops))
	total := 0
	for i, op := range ops {
		if err := validateOp(op); err != nil {
			if len(ops) == 1 {
				return fmt.Errorf("%s key %q: %w", op.Kind, op.Key, err)
			}
			return fmt.Errorf("commit operation %d (%s %q): %w", i, op.Kind, op.Key, err)
		}
		if j, dup := seen[op.Key]; dup {
			return fmt.Errorf("%w: key %q appears in operations %d and %d of one commit; merge them", ErrInvalidOp, op.Key, j, i)
		}
		seen[op.Key] = i
		total += len(op.Key) + len(op.Value) + CommitOpOverhead
	}
	if total > MaxCommitSize {
		return fmt.Errorf("%w: the commit of %d operations is %d bytes (keys, values and %d bytes per operation), over the %d-byte limit; split it", ErrValueTooLarge, len(ops), total, CommitOpOverhead, MaxCommitSize)
	}
	return nil
}

func validateOp(op Op) error {
	if err := ValidateKey(op.Key); err != nil {
		return err
	}
	switch op.Kind {
	case OpSet:
		return ValidateValue(op.Key, op.Value)
	case OpCompareAndSet:
		if op.Expected < NoVersion {
			return fmt.Errorf("%w: expected version %d is negative; use NoVersion for \"must not exist\"", ErrInvalidOp, op.Expected)
		}
		return ValidateValue(op.Key, op.Value)
	case OpDelete:
		return nil
	case OpCheck:
		if op.Expected < 0 {
			return fmt.Errorf("%w: a check needs the version the key must have, got %d", ErrInvalidOp, op.Expected)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown operation kind %d", ErrInvalidOp, int(op.Kind))
}
