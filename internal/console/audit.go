package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/scimd/scimd/client/admin"
)

// auditView is an audit log entry as the API shows it.
type auditView struct {
	admin.AuditEntry
}

// PayloadText is the payload indented for reading, without the HTML
// escapes of the API's JSON (the template escapes it).
func (a auditView) PayloadText() string {
	if len(a.Payload) == 0 {
		return ""
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(a.Payload))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return string(a.Payload)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(v)
	return strings.TrimSpace(b.String())
}

// auditFilters are the audit log's query parameters that the page's form
// has, as the API names them.
var auditFilters = []string{"workspace", "channel", "action", "actor", "target", "correlation_id", "since", "until"}

type auditData struct {
	Filter  map[string]string
	Cursor  string
	Entries []auditView
	// FirstPage and NextPage are the paths of the first and the next
	// page, with the filters; NextPage is "" on the last.
	FirstPage, NextPage string
}

// auditPage shows the audit log, newest first, filtered as the API
// filters it, a page at a time.
func auditPage(q *req) {
	in := q.r.URL.Query()
	d := auditData{Filter: map[string]string{}, Cursor: in.Get("cursor")}
	query := url.Values{"limit": {"50"}}
	for _, k := range auditFilters {
		if v := strings.TrimSpace(in.Get(k)); v != "" {
			d.Filter[k] = v
			query.Set(k, v)
		}
	}
	next := url.Values{}
	for k, v := range d.Filter {
		next.Set(k, v)
	}
	d.FirstPage = pageOf(Prefix+"audit", next)
	if d.Cursor != "" {
		query.Set("cursor", d.Cursor)
	}
	var page struct {
		Entries    []auditView `json:"entries"`
		NextCursor string      `json:"next_cursor"`
	}
	status := http.StatusOK
	e := q.api("GET", "/audit", query, nil, &page)
	if e != nil {
		if e.Status != http.StatusBadRequest && e.Status != http.StatusNotFound {
			q.failAPI(e)
			return
		}
		status = e.Status
	}
	d.Entries = page.Entries
	if page.NextCursor != "" {
		next.Set("cursor", page.NextCursor)
		d.NextPage = pageOf(Prefix+"audit", next)
	}
	q.render(status, "audit", view{Title: "Audit log", Section: "audit", Error: e, Data: d})
}

// pageOf returns path with the query, if any.
func pageOf(path string, query url.Values) string {
	if len(query) == 0 {
		return path
	}
	return path + "?" + query.Encode()
}
