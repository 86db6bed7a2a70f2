package incident

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes shared by every layer. The web package maps each code to one
// HTTP status; the CLI prints the message.
const (
	EINVALID       = "invalid"       // malformed input: 400
	EUNAUTHORIZED  = "unauthorized"  // no or bad credentials: 401
	EFORBIDDEN     = "forbidden"     // authenticated but not allowed: 403
	ENOTFOUND      = "not_found"     // 404
	ECONFLICT      = "conflict"      // stale version or duplicate: 409
	ETOOLARGE      = "too_large"     // 413
	EUNSUPPORTED   = "unsupported"   // wrong content type: 415
	EUNPROCESSABLE = "unprocessable" // well-formed but impossible: 422
	ERATELIMITED   = "rate_limited"  // 429
	EUNAVAILABLE   = "unavailable"   // storage cannot take writes now: 503
	EINTERNAL      = "internal"      // everything else: 500
)

// Error is an error a user can act on: a code, a message fit to show, and
// the input field it is about, when there is one.
type Error struct {
	Code    string
	Message string
	Field   string
	// Cause is the underlying error, for the operator's log; never shown
	// to users.
	Cause error
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an *Error about one input field.
func FieldError(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// RenameField returns err, when it is an *Error about a field, as an error
// about the field name(field) instead: in its Field, and in its message
// when the message begins with the field ("starts_at is required"). An
// empty name leaves err as it is.
func RenameField(err error, name func(field string) string) error {
	e, ok := err.(*Error)
	if !ok || e.Field == "" {
		return err
	}
	to := name(e.Field)
	if to == "" || to == e.Field {
		return err
	}
	c := *e
	c.Field = to
	if rest, ok := strings.CutPrefix(e.Message, e.Field+" "); ok {
		c.Message = to + " " + rest
	}
	return &c
}

// ErrorCode returns the code of err, EINTERNAL for errors that are not *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns the message of an *Error, or "internal error" for any
// other error, whose text may hold details users must not see.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the field an *Error is about, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
