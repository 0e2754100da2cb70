package sandbox

import (
	"archive/tar"
	"archive/zip"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// Fetch fetches every URI into dir the way the Mesos fetcher does: the file
// keeps its base name (or output_file), executables get mode 0755, and
// archives are extracted into dir unless extract is false.
func Fetch(ctx context.Context, uris []mesos.CommandInfo_URI, dir string) error {
	for _, u := range uris {
		if err := fetchOne(ctx, u, dir); err != nil {
			return fmt.Errorf("fetching %q: %w", u.Value, err)
		}
	}
	return nil
}

func fetchOne(ctx context.Context, u mesos.CommandInfo_URI, dir string) error {
	name := u.GetOutputFile()
	if name == "" {
		name = path.Base(uriPath(u.Value))
	}
	if name == "" || name == "." || name == "/" {
		return errors.New("cannot tell the file name from the URI; set output_file")
	}
	dest := filepath.Join(dir, filepath.Clean("/" + name)[1:])
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	if err := download(ctx, u.Value, dest); err != nil {
		return err
	}
	if u.GetExecutable() {
		return os.Chmod(dest, 0o755)
	}
	if u.Extract == nil || *u.Extract {
		return extract(dest, dir)
	}
	return nil
}

func uriPath(raw string) string {
	if parsed, err := url.Parse(raw); err == nil && parsed.Scheme != "" {
		return parsed.Path
	}
	return raw
}

func download(ctx context.Context, raw, dest string) error {
	parsed, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("parsing the URI: %w", err)
	}
	switch parsed.Scheme {
	case "", "file":
		src := parsed.Path
		if parsed.Scheme == "" {
			src = raw
		}
		if !filepath.IsAbs(src) {
			return fmt.Errorf("the local path %q is relative; use an absolute path or a file:// URI", src)
		}
		return copyFile(src, dest)
	case "http", "https":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %s", resp.Status)
		}
		return writeFile(dest, resp.Body, 0o644)
	}
	return fmt.Errorf("the scheme %q is not supported by the local Mesos fetcher (use a local path, file:// or http(s)://)", parsed.Scheme)
}

func copyFile(src, dest string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	if info.IsDir() {
		return fmt.Errorf("%s is a directory", src)
	}
	return writeFile(dest, in, info.Mode().Perm())
}

func writeFile(dest string, r io.Reader, mode os.FileMode) error {
	out, err := os.OpenFile(dest, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// extract unpacks a recognised archive into dir; other files are left as
// they are, like the Mesos fetcher.
func extract(file, dir string) error {
	lower := strings.ToLower(file)
	switch {
	case strings.HasSuffix(lower, ".tar.gz"), strings.HasSuffix(lower, ".tgz"):
		return withFile(file, func(f *os.File) error {
			gz, err := gzip.NewReader(f)
			if err != nil {
				return fmt.Errorf("reading gzip archive: %w", err)
			}
			return untar(gz, dir)
		})
	case strings.HasSuffix(lower, ".tar.bz2"), strings.HasSuffix(lower, ".tbz2"):
		return withFile(file, func(f *os.File) error { return untar(bzip2.NewReader(f), dir) })
	case strings.HasSuffix(lower, ".tar.xz"), strings.HasSuffix(lower, ".txz"):
		out, err := exec.Command("tar", "-C", dir, "-xJf", file).CombinedOutput()
		if err != nil {
			return fmt.Errorf("extracting with tar: %v: %s", err, strings.TrimSpace(string(out)))
		}
		return nil
	case strings.HasSuffix(lower, ".tar"):
		return withFile(file, func(f *os.File) error { return untar(f, dir) })
	case strings.HasSuffix(lower, ".zip"):
		return unzip(file, dir)
	case strings.HasSuffix(lower, ".gz"):
		return withFile(file, func(f *os.File) error {
			gz, err := gzip.NewReader(f)
			if err != nil {
				return fmt.Errorf("reading gzip file: %w", err)
			}
			return writeFile(strings.TrimSuffix(file, filepath.Ext(file)), gz, 0o644)
		})
	}
	return nil
}

func withFile(name string, fn func(*os.File) error) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return fn(f)
}

// within returns the path of name inside dir, refusing paths that escape it.
func within(dir, name string) (string, error) {
	target := filepath.Join(dir, name)
	rel, err := filepath.Rel(dir, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("archive entry %q escapes the sandbox", name)
	}
	return target, nil
}

func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading tar archive: %w", err)
		}
		target, err := within(dir, hdr.Name)
		if err != nil {
			return err
		}
		mode := os.FileMode(hdr.Mode).Perm()
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, mode|0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			if err := writeFile(target, tr, mode); err != nil {
				return err
			}
			if err := os.Chmod(target, mode); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			_ = os.Remove(target)
			if err := os.Symlink(hdr.Linkname, target); err != nil {
				return err
			}
		case tar.TypeLink:
			src, err := within(dir, hdr.Linkname)
			if err != nil {
				return err
			}
			_ = os.Remove(target)
			if err := os.Link(src, target); err != nil {
				return err
			}
		}
	}
}

func unzip(file, dir string) error {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return fmt.Errorf("reading zip archive: %w", err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		target, err := within(dir, f.Name)
		if err != nil {
			return err
		}
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		err = writeFile(target, rc, f.Mode().Perm())
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
