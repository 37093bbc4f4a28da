package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := WriteFile(path, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "two" {
		t.Fatalf("content %q, %v", got, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left temporary files behind: %v", entries)
	}
}

func TestWriteFileMissingDirectory(t *testing.T) {
	if err := WriteFile(filepath.Join(t.TempDir(), "no", "such", "f"), []byte("x"), 0o600); err == nil {
		t.Fatal("wrote into a missing directory")
	}
}

// TestRemoveTempsAfterCrash: the temporary file of a WriteFile whose
// process died before the rename (made here by the same call, partly
// written) is removed by RemoveTemps, and so is an empty one; the target,
// other files' temporary files and look-alikes stay.
func TestRemoveTempsAfterCrash(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	var crashed []string
	for _, data := range []string{"half a fi", ""} {
		tmp, err := os.CreateTemp(dir, tempPrefix(path)+"*")
		if err != nil {
			t.Fatal(err)
		}
		tmp.WriteString(data)
		tmp.Close()
		crashed = append(crashed, filepath.Base(tmp.Name()))
	}
	others := []string{".f.tmp", ".f.tmp12x", ".f.tmp1.tmp2", ".g.tmp3", "f.tmp4", ".f.new5"}
	for _, name := range others {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".f.tmp6"), 0o700); err != nil {
		t.Fatal(err)
	}
	removed, err := RemoveTemps(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(removed, sortedCopy(crashed)) {
		t.Fatalf("removed %v, want %v", removed, crashed)
	}
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := sortedCopy(append(others, ".f.tmp6", "f")); !reflect.DeepEqual(left, want) {
		t.Fatalf("left %v, want %v", left, want)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Fatalf("target now %q", got)
	}
	if removed, err := RemoveTemps(path); removed != nil || err != nil {
		t.Fatalf("second RemoveTemps: %v, %v", removed, err)
	}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// TestWriteNewNeverReplaces: WriteNew creates the file with its data and
// permissions, refuses (fs.ErrExist) to replace one, and leaves no
// temporary file either way.
func TestWriteNewNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := WriteNew(path, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteNew(path, []byte("second"), 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second WriteNew: %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "first" {
		t.Fatalf("file holds %q", got)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stat: %v, %v", fi, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("directory holds %v", entries)
	}
}

// TestDirSyncFails: when syncing the directory fails after the rename or
// the link, WriteFile and WriteNew say so with ErrDirNotSynced (and the
// cause), the file is in place with its data, and no temporary file is
// left; a failure before (the target exists) is not ErrDirNotSynced.
func TestDirSyncFails(t *testing.T) {
	cause := errors.New("injected: input/output error")
	var synced []string
	failSync := func(dir string) error {
		synced = append(synced, dir)
		return cause
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	for _, tc := range []struct {
		name  string
		write func() error
		want  string
	}{
		{"WriteNew", func() error { return writeNew(path, []byte("new"), 0o600, failSync) }, "new"},
		{"WriteFile", func() error { return writeFile(path, []byte("replaced"), 0o600, failSync) }, "replaced"},
	} {
		synced = nil
		err := tc.write()
		if !errors.Is(err, ErrDirNotSynced) || !errors.Is(err, cause) {
			t.Fatalf("%s: %v, want ErrDirNotSynced wrapping %v", tc.name, err, cause)
		}
		if !slices.Equal(synced, []string{dir}) {
			t.Fatalf("%s synced %v, want [%s]", tc.name, synced, dir)
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != tc.want {
			t.Fatalf("%s: file holds %q, %v; want %q", tc.name, got, err, tc.want)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Fatalf("%s: directory holds %v", tc.name, entries)
		}
	}
	synced = nil
	err := writeNew(path, []byte("again"), 0o600, failSync)
	if !errors.Is(err, fs.ErrExist) || errors.Is(err, ErrDirNotSynced) || synced != nil {
		t.Fatalf("WriteNew over an existing file: %v (synced %v); want fs.ErrExist only, no sync", err, synced)
	}
}
