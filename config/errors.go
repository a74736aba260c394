package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yaml.v3's messages name a line and Go types ("line 7: cannot unmarshal !!str `30 min...`
// into time.Duration"). An operator knows keys and values: plainErrors says which key, what it
// wants, and what it got.
var (
	reUnknown = regexp.MustCompile("^line (\\d+): field (.+) not found in type \\S+$")
	reType    = regexp.MustCompile("^line (\\d+): cannot unmarshal (!!\\w+)(?: `(.*)`)? into (\\S+)$")
	reTwice   = regexp.MustCompile(`^line (\d+): (?:mapping key "(.+)" already defined|field (.+) already set in type \S+)(?: at line (\d+))?$`)
)

// plainErrors rewrites the messages of a decoding error of the file b.
func plainErrors(b []byte, err error) error {
	var root yaml.Node
	if yaml.Unmarshal(b, &root) != nil {
		root = yaml.Node{}
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		// A syntax error: "yaml: line 3: did not find expected key" says enough without its prefix.
		return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		msgs[i] = plainMessage(&root, m)
	}
	return errors.New(strings.Join(msgs, "; "))
}

func plainMessage(root *yaml.Node, m string) string {
	if g := reUnknown.FindStringSubmatch(m); g != nil {
		line, name := atoi(g[1]), g[2]
		path := keyPath(root, line, name)
		parent := parentKey(path)
		msg := fmt.Sprintf("%s: no such key (line %d)", path, line)
		if known := keysAt(reflect.TypeFor[File](), parent); len(known) > 0 {
			where := "here"
			if parent != "" {
				where = "in " + parent
			}
			msg += fmt.Sprintf("; the keys %s are %s", where, strings.Join(known, ", "))
		}
		return msg
	}
	if g := reType.FindStringSubmatch(m); g != nil {
		line, tag, goType := atoi(g[1]), g[2], g[4]
		path, v := find(root, "", func(_, v *yaml.Node) bool { return v.Line == line && v.ShortTag() == tag })
		got := map[string]string{"!!map": "a section of keys", "!!seq": "a list"}[tag]
		if got == "" {
			got = strconv.Quote(g[3])
			if v != nil {
				got = strconv.Quote(v.Value) // the message cuts long values short
			}
		}
		if path == "" {
			path = "line " + g[1]
		}
		return fmt.Sprintf("%s: want %s, got %s (line %d)", path, typeWords(goType), got, line)
	}
	if g := reTwice.FindStringSubmatch(m); g != nil {
		line, name := atoi(g[1]), g[2]+g[3]
		path := keyPath(root, line, name)
		if g[4] != "" {
			return fmt.Sprintf("%s: set twice (lines %s and %d)", path, g[4], line)
		}
		return fmt.Sprintf("%s: set twice (line %d)", path, line)
	}
	return m
}

// keyPath is the dotted path of the key name at line, or name itself when it is not found.
func keyPath(root *yaml.Node, line int, name string) string {
	if path, _ := find(root, "", func(k, _ *yaml.Node) bool { return k != nil && k.Line == line && k.Value == name }); path != "" {
		return path
	}
	return name
}

// typeWords says what a Go type wants, in words.
func typeWords(goType string) string {
	switch {
	case goType == "time.Duration":
		return "a duration such as 90s, 30m or 2h"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "text"
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	}
	return "a section of keys"
}

// find walks the document for the first value (with its key, when in a mapping) that match
// accepts, and returns its dotted path: p2pool.log, targets[2].health.url.
func find(n *yaml.Node, path string, match func(k, v *yaml.Node) bool) (string, *yaml.Node) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			return find(n.Content[0], path, match)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			if match(k, v) {
				return p, v
			}
			if fp, fv := find(v, p, match); fv != nil {
				return fp, fv
			}
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			if match(nil, v) {
				return p, v
			}
			if fp, fv := find(v, p, match); fv != nil {
				return fp, fv
			}
		}
	}
	return "", nil
}

// keysAt lists the keys the section at path (e.g. "miners.xmrig[0]") may hold, from the yaml
// tags of the Go types: the list cannot drift from what the decoder accepts.
func keysAt(t reflect.Type, path string) []string {
	for _, seg := range strings.Split(path, ".") {
		if seg == "" {
			continue
		}
		name, _, _ := strings.Cut(seg, "[")
		f, ok := fieldByKey(t, name)
		if !ok {
			return nil
		}
		t = f
		for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	collectKeys(t, &keys)
	sort.Strings(keys)
	return keys
}

func collectKeys(t reflect.Type, keys *[]string) {
	for f := range t.Fields() {
		key, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case opts == "inline":
			collectKeys(f.Type, keys)
		case key != "" && key != "-":
			*keys = append(*keys, key)
		}
	}
}

func fieldByKey(t reflect.Type, key string) (reflect.Type, bool) {
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if opts == "inline" {
			if ft, ok := fieldByKey(f.Type, key); ok {
				return ft, true
			}
		}
		if name == key {
			return f.Type, true
		}
	}
	return nil, false
}

// parentKey is the section a dotted key is in: "miners.xmrig[0]" for "miners.xmrig[0].tokn",
// "" for a top-level key.
func parentKey(path string) string {
	if i := strings.LastIndex(path, "."); i >= 0 {
		return path[:i]
	}
	return ""
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }
