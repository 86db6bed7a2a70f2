package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

// maxPresize bounds the buffer readBody allocates on the word of
// Content-Length alone; the body limit (limitBody) applies as it is read.
const maxPresize = 1 << 20

// requireContentType refuses a body of another media type with 415.
func requireContentType(c *gin.Context, want string) error {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != want {
		return incident.Errorf(incident.EUNSUPPORTED, "Content-Type must be %s", want)
	}
	return nil
}

// readBody reads the whole request body, within the server's limit.
func readBody(c *gin.Context) ([]byte, error) {
	var buf bytes.Buffer
	if n := c.Request.ContentLength; n > 0 && n <= maxPresize {
		buf.Grow(int(n) + bytes.MinRead) // one allocation, and room to see EOF
	}
	_, err := buf.ReadFrom(c.Request.Body)
	b := buf.Bytes()
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, incident.Errorf(incident.ETOOLARGE, "request body is larger than %d bytes", mbe.Limit)
	}
	if errors.Is(err, errHookBudget) {
		return nil, err
	}
	if err != nil {
		return nil, incident.Errorf(incident.EINVALID, "could not read the request body")
	}
	return b, nil
}

// decodeJSON reads a JSON object into dst (a pointer to a struct), strictly:
// unknown fields and values of the wrong type are refused, and the error
// names the field. Each field is decoded on its own, because encoding/json
// does not say which field a bad time or custom value was in.
func decodeJSON(c *gin.Context, dst any) error {
	if err := requireContentType(c, "application/json"); err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeStrict(body, dst)
}

func decodeStrict(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return incident.Errorf(incident.EINVALID, "request body is empty; send a JSON object")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return incident.Errorf(incident.EINVALID, "request body must be a JSON object")
		}
		return incident.Errorf(incident.EINVALID, "request body is not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if fields == nil {
		return incident.Errorf(incident.EINVALID, "request body must be a JSON object")
	}
	if !utf8.Valid(body) {
		// encoding/json would store each bad byte as U+FFFD.
		return incident.Errorf(incident.EINVALID, "request body is not valid UTF-8")
	}
	if name := repeatedKey(body); name != "" {
		// encoding/json keeps the last; a proxy or a check in front of
		// Hindsight may have read the first.
		return incident.FieldError(incident.EINVALID, name, "%s is given more than once", name)
	}
	v := reflect.ValueOf(dst).Elem()
	byName := jsonFields(v.Type())
	for name, raw := range fields {
		i, ok := byName[name]
		if !ok {
			return incident.FieldError(incident.EINVALID, name, "unknown field %q", name)
		}
		if err := json.Unmarshal(raw, v.Field(i).Addr().Interface()); err != nil {
			return incident.FieldError(incident.EINVALID, name, "%s %s", name, describeJSONError(err, v.Field(i).Type()))
		}
	}
	return nil
}

// repeatedKey returns a name that the JSON object body gives twice, or "".
func repeatedKey(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil { // {
		return ""
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		name, _ := t.(string)
		if seen[name] {
			return name
		}
		seen[name] = true
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return ""
		}
	}
	return ""
}

// jsonFields maps the JSON names of a struct's fields to their index.
func jsonFields(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = i
	}
	return m
}

func describeJSONError(err error, t reflect.Type) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("must be %s, not a JSON %s", describeType(t), te.Value)
	}
	if strings.Contains(err.Error(), "parsing time") || strings.Contains(err.Error(), "Time.UnmarshalJSON") {
		return "must be a time in RFC 3339 format, such as 2024-01-25T10:00:00Z"
	}
	return "is invalid: " + strings.TrimPrefix(err.Error(), "json: ")
}

func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		if f, ok := t.FieldByName("Value"); ok && strings.HasPrefix(t.Name(), "Optional") {
			t = f.Type
		}
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Slice:
		return "a list"
	case reflect.Map:
		return "an object"
	}
	if t.String() == "time.Time" {
		return "a time in RFC 3339 format"
	}
	return "of type " + t.String()
}
