// Command notecheck is the independent side of Hanoi's signed-note cross-check: it runs
// golang.org/x/mod/sumdb/note on files the Python tests write.
//
//	notecheck open VERIFIER_KEY_FILE NOTE_FILE   print the verified text, or fail
//	notecheck sign SIGNER_KEY_FILE TEXT_FILE     print the text signed as a note
//	notecheck generate NAME                      print a new signer key, then its verifier key
//	notecheck tilepaths                          for each "L N W" line on stdin, print Go's
//	                                             tile path (height 8; L -1 for entries)
//	notecheck tilecheck DIR VERIFIER_KEY_FILE [INDEX...]
//	                                             read a tlog-tiles folder with tlog's
//	                                             TileHashReader, check its root against the
//	                                             signed checkpoint, prove and check the
//	                                             records INDEX and a consistency proof
//
// Key files hold one key string; surrounding white space is ignored. Every failure is
// one line on stderr and exit status 1.
package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "notecheck:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: notecheck open|sign|generate ...")
	}
	switch {
	case args[0] == "open" && len(args) == 3:
		return openNote(args[1], args[2])
	case args[0] == "sign" && len(args) == 3:
		return signText(args[1], args[2])
	case args[0] == "generate" && len(args) == 2:
		return generate(args[1])
	case args[0] == "tilepaths" && len(args) == 1:
		return tilePaths()
	case args[0] == "tilecheck" && len(args) >= 3:
		return tileCheck(args[1], args[2], args[3:])
	}
	return fmt.Errorf("unknown command or wrong arguments: %q", args)
}

func readKey(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(data)), nil
}

func openNote(keyPath, notePath string) error {
	vkey, err := readKey(keyPath)
	if err != nil {
		return err
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return fmt.Errorf("verifier key: %w", err)
	}
	msg, err := os.ReadFile(notePath)
	if err != nil {
		return err
	}
	opened, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	_, err = os.Stdout.WriteString(opened.Text)
	return err
}

func signText(keyPath, textPath string) error {
	skey, err := readKey(keyPath)
	if err != nil {
		return err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return fmt.Errorf("signer key: %w", err)
	}
	text, err := os.ReadFile(textPath)
	if err != nil {
		return err
	}
	msg, err := note.Sign(&note.Note{Text: string(text)}, signer)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	_, err = os.Stdout.Write(msg)
	return err
}

func generate(name string) error {
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return err
	}
	fmt.Println(skey)
	fmt.Println(vkey)
	return nil
}

// tilePaths prints tlog's path for each tile read from stdin, after checking that
// ParseTilePath reads it back to the same tile.
func tilePaths() error {
	scanner := bufio.NewScanner(os.Stdin)
	for scanner.Scan() {
		var l, w int
		var n int64
		if _, err := fmt.Sscan(scanner.Text(), &l, &n, &w); err != nil {
			return fmt.Errorf("bad line %q: %w", scanner.Text(), err)
		}
		t := tlog.Tile{H: 8, L: l, N: n, W: w}
		path := t.Path()
		back, err := tlog.ParseTilePath(path)
		if err != nil || back != t {
			return fmt.Errorf("%s does not parse back to %+v", path, t)
		}
		fmt.Println(path)
	}
	return scanner.Err()
}

// c2spPath turns tlog's tile/8/L/N path into the C2SP one: no height, "entries" for data.
func c2spPath(t tlog.Tile) string {
	rest := strings.TrimPrefix(t.Path(), "tile/8/")
	if strings.HasPrefix(rest, "data/") {
		rest = "entries/" + strings.TrimPrefix(rest, "data/")
	}
	return "tile/" + rest
}

type folderTiles struct{ dir string }

func (f folderTiles) Height() int { return 8 }

func (f folderTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := os.ReadFile(filepath.Join(f.dir, filepath.FromSlash(c2spPath(t))))
		if err != nil {
			return nil, err
		}
		data[i] = b
	}
	return data, nil
}

func (f folderTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// entry reads entry i from its bundle, decoding the uint16-length framing by hand.
func entry(dir string, size, i int64) ([]byte, error) {
	bundle := tlog.Tile{H: 8, L: -1, N: i / 256, W: 256}
	if rest := size - bundle.N*256; rest < 256 {
		bundle.W = int(rest)
	}
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(c2spPath(bundle))))
	if err != nil {
		return nil, err
	}
	for k := int64(0); ; k++ {
		if len(data) < 2 {
			return nil, fmt.Errorf("bundle %d ends before entry %d", bundle.N, i)
		}
		length := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+length {
			return nil, fmt.Errorf("bundle %d: entry %d truncated", bundle.N, k)
		}
		if bundle.N*256+k == i {
			return data[2 : 2+length], nil
		}
		data = data[2+length:]
	}
}

func tileCheck(dir, keyPath string, indexes []string) error {
	vkey, err := readKey(keyPath)
	if err != nil {
		return err
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return fmt.Errorf("verifier key: %w", err)
	}
	msg, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		return err
	}
	opened, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return fmt.Errorf("open checkpoint: %w", err)
	}
	lines := strings.Split(opened.Text, "\n")
	if len(lines) < 4 {
		return fmt.Errorf("checkpoint has too few lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return fmt.Errorf("checkpoint size: %w", err)
	}
	rootBytes, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootBytes) != tlog.HashSize {
		return fmt.Errorf("checkpoint root hash %q", lines[2])
	}
	var root tlog.Hash
	copy(root[:], rootBytes)
	tree := tlog.Tree{N: size, Hash: root}
	reader := tlog.TileHashReader(tree, folderTiles{dir})
	got, err := tlog.TreeHash(size, reader)
	if err != nil {
		return fmt.Errorf("tree hash: %w", err)
	}
	if got != root {
		return fmt.Errorf("tree hash %v, checkpoint says %v", got, root)
	}
	fmt.Printf("root ok %d %s\n", size, got)
	for _, s := range indexes {
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		proof, err := tlog.ProveRecord(size, i, reader)
		if err != nil {
			return fmt.Errorf("prove record %d: %w", i, err)
		}
		data, err := entry(dir, size, i)
		if err != nil {
			return err
		}
		if err := tlog.CheckRecord(proof, size, root, i, tlog.RecordHash(data)); err != nil {
			return fmt.Errorf("check record %d: %w", i, err)
		}
		fmt.Printf("record ok %d %d\n", i, len(proof))
	}
	if old := size / 2; old > 0 {
		oldHash, err := tlog.TreeHash(old, reader)
		if err != nil {
			return fmt.Errorf("tree hash at %d: %w", old, err)
		}
		proof, err := tlog.ProveTree(size, old, reader)
		if err != nil {
			return fmt.Errorf("prove tree %d: %w", old, err)
		}
		if err := tlog.CheckTree(proof, size, root, old, oldHash); err != nil {
			return fmt.Errorf("check tree %d: %w", old, err)
		}
		fmt.Printf("tree ok %d %s\n", old, oldHash)
	}
	return nil
}
