package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrDirNotSynced is wrapped (with the cause) by the error of WriteFile
// and WriteNew when the file is in place, replaced or created, but its
// directory could not be synced: readers see the new file now, but a
// crash or power loss may still undo the rename or the link (the old
// content comes back, or a new file vanishes). Any other error means the
// target was not touched.
var ErrDirNotSynced = errors.New("file in place, but its directory could not be synced")

// WriteFile atomically replaces path with data, with permissions perm.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return writeFile(path, data, perm, SyncDir)
}

// writeFile is WriteFile with syncDir syncing the directory (SyncDir, or
// in tests one that fails).
func writeFile(path string, data []byte, perm os.FileMode, syncDir func(string) error) error {
	tmp, err := writeTemp(path, data, perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // no-op after a successful rename
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return dirSynced(path, syncDir)
}

// WriteNew atomically creates path with data, with permissions perm, and
// never replaces a file already there: then it fails with an error that
// errors.Is fs.ErrExist. The data goes to a temporary file as WriteFile's, which
// is hard-linked to path (the link fails if path exists) and removed. On
// a file system without hard links it is renamed to path after a check
// that path does not exist, a check that only a lock every creator of
// path takes keeps from racing. An error that errors.Is ErrDirNotSynced
// means path was created (and holds data) but may not survive a crash.
func WriteNew(path string, data []byte, perm os.FileMode) error {
	return writeNew(path, data, perm, SyncDir)
}

// writeNew is WriteNew with syncDir syncing the directory (SyncDir, or in
// tests one that fails).
func writeNew(path string, data []byte, perm os.FileMode, syncDir func(string) error) error {
	tmp, err := writeTemp(path, data, perm)
	if err != nil {
		return err
	}
	err = linkNew(tmp, path)
	os.Remove(tmp) // after the link only a second name; RemoveTemps removes it if this fails
	if err != nil {
		return err
	}
	return dirSynced(path, syncDir)
}

// dirSynced syncs the directory of path, which is in place, with syncDir;
// a failure is ErrDirNotSynced and its cause.
func dirSynced(path string, syncDir func(string) error) error {
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("%s: %w: %w", path, ErrDirNotSynced, err)
	}
	return nil
}

// linkNew gives the file tmp the name path too, unless path exists; on a
// file system without hard links it renames tmp to path if path does not
// exist.
func linkNew(tmp, path string) error {
	err := os.Link(tmp, path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	if _, serr := os.Lstat(path); serr == nil {
		return &fs.PathError{Op: "link", Path: path, Err: fs.ErrExist}
	}
	return os.Rename(tmp, path)
}

// writeTemp writes data, with permissions perm, to a new temporary file
// beside path, synced and closed, and returns its name; when it fails it
// leaves none.
func writeTemp(path string, data []byte, perm os.FileMode) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), tempPrefix(path)+"*")
	if err != nil {
		return "", err
	}
	err = writeAndSync(tmp, data, perm)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}

// tempPrefix begins the names of the temporary files of WriteFile and
// WriteNew for path; os.CreateTemp ends them with a random decimal number.
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp" }

// RemoveTemps removes the temporary files a WriteFile or WriteNew of path
// left beside it when its process died before the rename or the removal
// (nothing else ever removes them), and returns their names. A name that only begins like them is
// another file's: ".f.tmp1.tmp2" is a temporary file of "f.tmp1", not of
// "f". Only the owner of path may call it, one that holds the lock every
// writer of path takes, so that no WriteFile of path runs meanwhile: a
// running writer's temporary file would be removed under it and its
// rename would fail.
func RemoveTemps(path string) ([]string, error) {
	dir, prefix := filepath.Dir(path), tempPrefix(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		suffix, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || suffix == "" || strings.Trim(suffix, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, err
		}
		removed = append(removed, e.Name())
	}
	if len(removed) == 0 {
		return nil, nil
	}
	return removed, SyncDir(dir)
}

func writeAndSync(f *os.File, data []byte, perm os.FileMode) error {
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Sync()
}

// SyncDir makes the creation, renaming or removal of files in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
