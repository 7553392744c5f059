// Command notecheck is the independent side of Hanoi's signed-note cross-check: it runs
// golang.org/x/mod/sumdb/note on files the Python tests write.
//
//	notecheck open VERIFIER_KEY_FILE NOTE_FILE   print the verified text, or fail
//	notecheck sign SIGNER_KEY_FILE TEXT_FILE     print the text signed as a note
//	notecheck generate NAME                      print a new signer key, then its verifier key
//
// Key files hold one key string; surrounding white space is ignored. Every failure is
// one line on stderr and exit status 1.
package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
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
