package state

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestValidateKey(t *testing.T) {
	valid := []string{
		"FrameworkID", "Tasks/kafka-0-broker/TaskInfo", "Configurations/3f2b6c1e-0000-4000-8000-000000000000",
		"Properties/kafka-0-broker:task-status", "a.b", "...x", "ünïcode", strings.Repeat("k", MaxKeyLength),
	}
	for _, key := range valid {
		if err := ValidateKey(key); err != nil {
			t.Errorf("ValidateKey(%q) = %v, want nil", key, err)
		}
	}
	invalid := map[string]string{
		"":                                  "empty",
		"/FrameworkID":                      "starts with a slash",
		"Tasks/":                            "ends with a slash",
		"Tasks//x":                          "empty segment",
		"Tasks/../x":                        `".." segment`,
		"./x":                               `"." segment`,
		"a\x00b":                            "U+0000",
		"a\tb":                              "U+0009",
		"a\u0085b":                          "U+0085",
		"a\ue000b":                          "U+E000",
		"\xff":                              "not valid UTF-8",
		strings.Repeat("k", MaxKeyLength+1): "over the 1024-byte limit",
	}
	for key, want := range invalid {
		err := ValidateKey(key)
		if !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateKey(%.30q) = %v, want ErrInvalidKey mentioning %q", key, err, want)
		}
	}
	if err := ValidateKeyOrRoot(RootKey); err != nil {
		t.Errorf("ValidateKeyOrRoot(RootKey) = %v", err)
	}
	if err := ValidateKeyOrRoot("/x"); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("ValidateKeyOrRoot(/x) = %v", err)
	}
}

func TestKeyHelpers(t *testing.T) {
	if got := JoinKey("Tasks", "kafka-0-broker", "TaskInfo"); got != "Tasks/kafka-0-broker/TaskInfo" {
		t.Errorf("JoinKey = %q", got)
	}
	for key, want := range map[string][2]string{
		"Tasks/kafka-0-broker/TaskInfo": {"Tasks/kafka-0-broker", "TaskInfo"},
		"FrameworkID":                   {RootKey, "FrameworkID"},
	} {
		if p, b := ParentKey(key), BaseName(key); p != want[0] || b != want[1] {
			t.Errorf("ParentKey, BaseName(%q) = %q, %q; want %q, %q", key, p, b, want[0], want[1])
		}
	}
}

func TestValidateValue(t *testing.T) {
	if err := ValidateValue("k", make([]byte, MaxValueSize)); err != nil {
		t.Errorf("a value of exactly MaxValueSize: %v", err)
	}
	err := ValidateValue("Configurations/c1", make([]byte, MaxValueSize+1))
	if !errors.Is(err, ErrValueTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	for _, want := range []string{"Configurations/c1", fmt.Sprint(MaxValueSize + 1), fmt.Sprint(MaxValueSize)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("oversize error %q does not mention %q", err, want)
		}
	}
}

func TestValidateOps(t *testing.T) {
	ok := []Op{
		SetOp("a", []byte("1")), CompareAndSetOp("b", nil, NoVersion), CompareAndSetOp("c", nil, 3),
		DeleteOp("d"), CheckOp("e", 0), SetOp("big", make([]byte, MaxValueSize)),
	}
	if err := ValidateOps(ok); err != nil {
		t.Fatalf("ValidateOps(valid ops) = %v", err)
	}
	bad := map[string]struct {
		ops  []Op
		want error
	}{
		"duplicate key":      {[]Op{SetOp("a", nil), DeleteOp("a")}, ErrInvalidOp},
		"invalid key":        {[]Op{SetOp("a", nil), SetOp("a//b", nil)}, ErrInvalidKey},
		"unknown kind":       {[]Op{{Kind: 42, Key: "a"}}, ErrInvalidOp},
		"zero kind":          {[]Op{{Key: "a"}}, ErrInvalidOp},
		"negative expected":  {[]Op{CompareAndSetOp("a", nil, -2)}, ErrInvalidOp},
		"check of NoVersion": {[]Op{CheckOp("a", NoVersion)}, ErrInvalidOp},
		"oversize value":     {[]Op{SetOp("a", make([]byte, MaxValueSize+1))}, ErrValueTooLarge},
		"oversize CAS value": {[]Op{CompareAndSetOp("a", make([]byte, MaxValueSize+1), 0)}, ErrValueTooLarge},
		"oversize commit":    {[]Op{SetOp("a", make([]byte, MaxValueSize)), SetOp("b", make([]byte, 50_000))}, ErrValueTooLarge},
	}
	for name, c := range bad {
		if err := ValidateOps(c.ops); !errors.Is(err, c.want) {
			t.Errorf("%s: ValidateOps = %v, want %v", name, err, c.want)
		}
	}
}
