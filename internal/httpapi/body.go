package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

// Media types of request bodies.
const (
	MediaJSON = "application/json"
	MediaForm = "application/x-www-form-urlencoded"
)

// ReadBody reads r's body into buf, up to MaxBody bytes, and returns its
// media type: application/json, which is also what a body without a
// Content-Type is taken for, or with form, a form (as RFC 7662 §2.1 sends
// it).
func (a *API) ReadBody(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer, form bool) (string, error) {
	mt := MediaJSON
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != mt {
		var err error
		mt, _, err = mime.ParseMediaType(ct)
		if err != nil || (mt != MediaJSON && !(form && mt == MediaForm)) {
			also := ""
			if form {
				also = " or " + MediaForm
			}
			return "", Errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "Content-Type %q is not supported; send %s%s (with curl: -H 'Content-Type: %[2]s')", ct, MediaJSON, also)
		}
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, a.MaxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return "", Errorf(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "the request body is larger than %d bytes", a.MaxBody)
	}
	if err != nil {
		return "", Errorf(http.StatusBadRequest, CodeInvalidJSON, "could not read the request body")
	}
	return mt, nil
}

// Decode reads the request body, a JSON object, into v. Unknown fields
// are refused, so that a misspelt field is reported rather than silently
// ignored. An empty body decodes as {} when optional is set, and is
// refused otherwise.
func (a *API) Decode(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	var buf bytes.Buffer
	if _, err := a.ReadBody(w, r, &buf, false); err != nil {
		return err
	}
	body := buf.Bytes()
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return Errorf(http.StatusBadRequest, CodeInvalidJSON, "the request body is empty; send a JSON object")
	}
	return DecodeJSON(body, v)
}

// DecodeJSON decodes exactly one JSON object into v, refusing unknown
// fields, and explains what is wrong in terms of the field.
func DecodeJSON(body []byte, v any) error {
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] != '{' {
		return Errorf(http.StatusBadRequest, CodeInvalidJSON, "the request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return Errorf(http.StatusBadRequest, CodeInvalidJSON, "field %q must not be a JSON %s; want %s", te.Field, te.Value, jsonKind(te.Type.String()))
		case errors.As(err, &te):
			return Errorf(http.StatusBadRequest, CodeInvalidJSON, "the request body must be a JSON object, not %s", te.Value)
		case errors.As(err, &se):
			return Errorf(http.StatusBadRequest, CodeInvalidJSON, "the request body is not valid JSON: %v (at byte %d)", err, se.Offset)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return Errorf(http.StatusBadRequest, CodeInvalidJSON, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return Errorf(http.StatusBadRequest, CodeInvalidJSON, "the request body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(http.StatusBadRequest, CodeInvalidJSON, "the request body has data after the JSON object")
	}
	return nil
}

// jsonKind names a Go type as the JSON a client should send for it.
func jsonKind(goType string) string {
	switch strings.TrimLeft(goType, "*") {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64":
		return "a whole number"
	}
	if strings.HasPrefix(goType, "[]") {
		return "a JSON array"
	}
	return "a " + goType
}
