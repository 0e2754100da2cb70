package brokerconfig

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Kafka reads server.properties with java.util.Properties.load(InputStream):
// ISO-8859-1, backslash escapes, \uXXXX for anything else. escapeKey and
// escapeValue write that format; Parse reads it.

func escapeKey(k string) string { return escape(k, true) }

func escapeValue(v string) string { return escape(v, false) }

func escape(s string, key bool) string {
	if !needsEscape(s, key) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == ' ' && (key || i == 0):
			b.WriteString(`\ `)
		case key && (r == '=' || r == ':' || r == '#' || r == '!'):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r > 0x7e:
			for _, u := range utf16.Encode([]rune{r}) {
				fmt.Fprintf(&b, `\u%04X`, u)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// needsEscape is false when escape would return s unchanged (the common
// case, checked without allocating).
func needsEscape(s string, key bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20 || c > 0x7e || c == '\\':
			return true
		case c == ' ' && (key || i == 0):
			return true
		case key && (c == '=' || c == ':' || c == '#' || c == '!'):
			return true
		}
	}
	return false
}

// Parse reads a Java properties file as Kafka does (ISO-8859-1 bytes,
// comments, continuation lines, escapes). A later duplicate key wins, as in
// java.util.Properties.
func Parse(data []byte) (map[string]string, error) {
	props := make(map[string]string)
	lines := logicalLines(latin1(data))
	for _, l := range lines {
		key, value, err := splitProperty(l.text)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", l.number, err)
		}
		props[key] = value
	}
	return props, nil
}

func latin1(data []byte) string {
	rs := make([]rune, len(data))
	for i, c := range data {
		rs[i] = rune(c)
	}
	return string(rs)
}

type logicalLine struct {
	number int // first natural line, 1-based
	text   string
}

// logicalLines joins continuation lines and drops comments and blank lines.
// Leading whitespace is removed from every natural line.
func logicalLines(s string) []logicalLine {
	var out []logicalLine
	number := 0
	raw := strings.Split(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"), "\n")
	var cur strings.Builder
	start, continuing := 0, false
	for _, line := range raw {
		number++
		line = strings.TrimLeft(line, " \t\f")
		if !continuing {
			if line == "" || line[0] == '#' || line[0] == '!' {
				continue
			}
			start = number
		}
		if endsWithContinuation(line) {
			cur.WriteString(line[:len(line)-1])
			continuing = true
			continue
		}
		cur.WriteString(line)
		out = append(out, logicalLine{number: start, text: cur.String()})
		cur.Reset()
		continuing = false
	}
	if continuing {
		out = append(out, logicalLine{number: start, text: cur.String()})
	}
	return out
}

func endsWithContinuation(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitProperty splits one logical line into its unescaped key and value.
func splitProperty(line string) (string, string, error) {
	rs := []rune(line)
	i := 0
	for i < len(rs) {
		c := rs[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			break
		}
		i++
	}
	i = min(i, len(rs))
	rawKey := string(rs[:i])
	j := i
	for j < len(rs) && (rs[j] == ' ' || rs[j] == '\t' || rs[j] == '\f') {
		j++
	}
	if j < len(rs) && (rs[j] == '=' || rs[j] == ':') {
		j++
	}
	for j < len(rs) && (rs[j] == ' ' || rs[j] == '\t' || rs[j] == '\f') {
		j++
	}
	key, err := unescape(rawKey)
	if err != nil {
		return "", "", err
	}
	value, err := unescape(string(rs[j:]))
	if err != nil {
		return "", "", fmt.Errorf("property %q: %w", key, err)
	}
	return key, value, nil
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	rs := []rune(s)
	var units []uint16
	var b strings.Builder
	flush := func() {
		if len(units) > 0 {
			b.WriteString(string(utf16.Decode(units)))
			units = units[:0]
		}
	}
	for i := 0; i < len(rs); i++ {
		if rs[i] != '\\' {
			flush()
			b.WriteRune(rs[i])
			continue
		}
		i++
		if i >= len(rs) {
			break // a lone trailing backslash is dropped, as Java does
		}
		switch rs[i] {
		case 't':
			flush()
			b.WriteByte('\t')
		case 'n':
			flush()
			b.WriteByte('\n')
		case 'r':
			flush()
			b.WriteByte('\r')
		case 'f':
			flush()
			b.WriteByte('\f')
		case 'u':
			if i+4 >= len(rs) {
				return "", fmt.Errorf(`malformed \uXXXX escape in %q`, s)
			}
			n, err := strconv.ParseUint(string(rs[i+1:i+5]), 16, 16)
			if err != nil {
				return "", fmt.Errorf(`malformed \uXXXX escape in %q`, s)
			}
			units = append(units, uint16(n))
			i += 4
		default:
			flush()
			b.WriteRune(rs[i])
		}
	}
	flush()
	return b.String(), nil
}
