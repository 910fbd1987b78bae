package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/server"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

// The benchmarks below drive the real handler in process, without a
// network, over a fresh SQLite database per benchmark. Data is seeded
// through the store, which is much faster than through HTTP. See
// bench/README.md for the load tool that measures over loopback.

// benchServer is a handler over a fresh database with one workspace.
type benchServer struct {
	h    http.Handler
	st   *sqlite.Store
	ws   string // workspace id
	auth string // Authorization header value
}

func newBenchServer(b *testing.B) *benchServer {
	b.Helper()
	return newBenchServerConfig(b, false)
}

// newBenchServerConfig is newBenchServer, auditing every request if
// audited is set.
func newBenchServerConfig(b *testing.B, audited bool) *benchServer {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "scimd.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	h := token.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	ten := tenant.New(st, h)
	w, err := ten.CreateWorkspace(ctx, "acme")
	if err != nil {
		b.Fatal(err)
	}
	tok, _, err := ten.CreateToken(ctx, "acme", "bench", 0)
	if err != nil {
		b.Fatal(err)
	}
	cfg := server.DefaultConfig()
	// A limit no benchmark reaches keeps the rate limiter's cost in what
	// is measured.
	cfg.RateLimit = 1e9
	if audited {
		w := audit.NewWriter(st, audit.Config{})
		b.Cleanup(func() { w.Close(context.Background()) })
		cfg.Audit, cfg.AuditReads = w, true
	}
	handler := server.New(cfg, st, h, nil)
	b.Cleanup(func() { handler.Close() })
	return &benchServer{
		h:    handler,
		st:   st,
		ws:   w.ID,
		auth: "Bearer " + tok,
	}
}

// serve sends one request to the handler and returns the recorded response.
func (s *benchServer) serve(method, target string, body []byte) *httptest.ResponseRecorder {
	var req *http.Request
	if body != nil {
		req = httptest.NewRequest(method, target, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/scim+json")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	req.Header.Set("Authorization", s.auth)
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec
}

// benchUserBody is a user as identity providers typically send one.
func benchUserBody(userName string) map[string]any {
	return map[string]any{
		"schemas":     []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName":    userName,
		"externalId":  "ext-" + userName,
		"active":      true,
		"displayName": "Bench User " + userName,
		"name":        map[string]any{"givenName": "Bench", "familyName": "User " + userName},
		"emails": []any{
			map[string]any{"value": userName, "type": "work", "primary": true},
		},
	}
}

func benchUserName(prefix string, i int) string {
	return prefix + strconv.Itoa(i) + "@example.com"
}

// seedUsers creates n users named benchUserName(prefix, 0..n-1) through the
// store and returns their ids in that order.
func (s *benchServer) seedUsers(b *testing.B, prefix string, n int) []string {
	b.Helper()
	ctx := context.Background()
	ids := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				doc, err := schema.UserType.Normalize(benchUserBody(benchUserName(prefix, i)))
				if err == nil {
					r := &store.Resource{Type: schema.UserType.ID, ID: id.New(id.User), WorkspaceID: s.ws, Doc: doc}
					err = s.st.CreateResource(ctx, r, store.Effects{})
					ids[i] = r.ID
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatalf("seed users: %v", err)
	default:
	}
	return ids
}

// seedGroup creates a group with the given members through the store and
// returns its id.
func (s *benchServer) seedGroup(b *testing.B, name string, members []string) string {
	b.Helper()
	doc, err := schema.GroupType.Normalize(map[string]any{"displayName": name})
	if err != nil {
		b.Fatal(err)
	}
	r := &store.Resource{Type: schema.GroupType.ID, ID: id.New(id.Group), WorkspaceID: s.ws, Doc: doc}
	for _, m := range members {
		r.Members = append(r.Members, store.Member{Value: m})
	}
	if err := s.st.CreateResource(context.Background(), r, store.Effects{}); err != nil {
		b.Fatalf("seed group: %v", err)
	}
	return r.ID
}

// hasTotal reports whether a ListResponse body has totalResults n, without
// the cost of decoding it.
func hasTotal(body []byte, n int) bool {
	_, rest, ok := bytes.Cut(body, []byte(`"totalResults":`+strconv.Itoa(n)))
	return ok && (len(rest) == 0 || rest[0] < '0' || rest[0] > '9')
}

// latencies records the duration of each iteration of a serial benchmark
// and reports percentiles as extra metrics.
type latencies []time.Duration

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	slices.Sort(l)
	at := func(p float64) float64 {
		return float64(l[min(len(l)-1, int(p*float64(len(l))))].Nanoseconds())
	}
	b.ReportMetric(at(0.50), "p50-ns")
	b.ReportMetric(at(0.99), "p99-ns")
}

func BenchmarkGetUser(b *testing.B) {
	for _, audited := range []bool{false, true} {
		b.Run(fmt.Sprintf("audited=%t", audited), func(b *testing.B) { benchGetUser(b, audited) })
	}
}

func benchGetUser(b *testing.B, audited bool) {
	s := newBenchServerConfig(b, audited)
	ids := s.seedUsers(b, "get.", 1000)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := s.serve("GET", "/scim/v2/Users/"+ids[rand.IntN(len(ids))], nil)
			if rec.Code != http.StatusOK {
				b.Errorf("GET user: status %d: %s", rec.Code, rec.Body)
				return
			}
		}
	})
}

func BenchmarkCreateUser(b *testing.B) {
	for _, audited := range []bool{false, true} {
		b.Run(fmt.Sprintf("audited=%t", audited), func(b *testing.B) { benchCreateUser(b, audited) })
	}
}

func benchCreateUser(b *testing.B, audited bool) {
	s := newBenchServerConfig(b, audited)
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := fmt.Appendf(nil, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],`+
				`"userName":"new.%[1]d@example.com","externalId":"ext-%[1]d","active":true,"displayName":"New User %[1]d",`+
				`"name":{"givenName":"New","familyName":"User %[1]d"},`+
				`"emails":[{"value":"new.%[1]d@example.com","type":"work","primary":true}]}`, n.Add(1))
			rec := s.serve("POST", "/scim/v2/Users", body)
			if rec.Code != http.StatusCreated {
				b.Errorf("create user: status %d: %s", rec.Code, rec.Body)
				return
			}
		}
	})
}

// BenchmarkFilterUserName looks users up by userName, as identity providers
// do before every create; ns/op is the mean latency of one lookup.
func BenchmarkFilterUserName(b *testing.B) {
	const users = 20000
	s := newBenchServer(b)
	s.seedUsers(b, "filter.", users)
	var lat latencies
	b.ReportAllocs()
	for b.Loop() {
		f := `userName eq "` + benchUserName("filter.", rand.IntN(users)) + `"`
		start := time.Now()
		rec := s.serve("GET", "/scim/v2/Users?filter="+url.QueryEscape(f), nil)
		lat = append(lat, time.Since(start))
		if rec.Code != http.StatusOK || !hasTotal(rec.Body.Bytes(), 1) {
			b.Fatalf("filter %s: status %d: %s", f, rec.Code, rec.Body)
		}
	}
	lat.report(b)
}

// BenchmarkAddMemberLargeGroup adds one new member at a time to a group of
// 10,000 members with PATCH; ns/op is the mean latency of one add.
func BenchmarkAddMemberLargeGroup(b *testing.B) {
	const members = 10000
	s := newBenchServer(b)
	gid := s.seedGroup(b, "large", s.seedUsers(b, "member.", members))
	// Users to add are created in chunks, off the clock, as needed.
	const chunk = 1000
	var pool []string
	chunks := 0
	var lat latencies
	b.ReportAllocs()
	for b.Loop() {
		if len(pool) == 0 {
			b.StopTimer()
			pool = s.seedUsers(b, "add."+strconv.Itoa(chunks)+".", chunk)
			chunks++
			b.StartTimer()
		}
		body := []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],` +
			`"Operations":[{"op":"add","path":"members","value":[{"value":"` + pool[0] + `"}]}]}`)
		pool = pool[1:]
		start := time.Now()
		rec := s.serve("PATCH", "/scim/v2/Groups/"+gid, body)
		lat = append(lat, time.Since(start))
		if rec.Code != http.StatusNoContent {
			b.Fatalf("add member: status %d: %s", rec.Code, rec.Body)
		}
	}
	lat.report(b)
}

// BenchmarkRenameLargeGroup renames a group of 10,000 members with PATCH,
// back and forth; ns/op is the mean latency of one rename, which writes
// the record of the 10,000 users whose group keys it changes.
func BenchmarkRenameLargeGroup(b *testing.B) {
	s := newBenchServer(b)
	gid := s.seedGroup(b, "large", s.seedUsers(b, "member.", 10000))
	var lat latencies
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		body := []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],` +
			`"Operations":[{"op":"replace","path":"displayName","value":"large ` + strconv.Itoa(i%2) + `"}]}`)
		i++
		start := time.Now()
		rec := s.serve("PATCH", "/scim/v2/Groups/"+gid, body)
		lat = append(lat, time.Since(start))
		if rec.Code != http.StatusNoContent {
			b.Fatalf("rename: status %d: %s", rec.Code, rec.Body)
		}
	}
	lat.report(b)
}

// BenchmarkListGroupsExcludingMembers lists five groups without their
// members. The sub-benchmarks differ only in the size of the largest group;
// their times should be the same.
func BenchmarkListGroupsExcludingMembers(b *testing.B) {
	for _, largest := range []int{10, 10000} {
		b.Run("largest="+strconv.Itoa(largest), func(b *testing.B) {
			s := newBenchServer(b)
			users := s.seedUsers(b, "list.", largest)
			for i := range 4 {
				s.seedGroup(b, "small "+strconv.Itoa(i), users[:10])
			}
			s.seedGroup(b, "largest", users)
			b.ReportAllocs()
			for b.Loop() {
				rec := s.serve("GET", "/scim/v2/Groups?excludedAttributes=members&count=100", nil)
				if rec.Code != http.StatusOK || !hasTotal(rec.Body.Bytes(), 5) {
					b.Fatalf("list groups: status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkBulkReferences measures bulk requests of 600 creations: flat
// (no references), chained (each refers by bulkId to the resource of the
// operation before it) and forward (each refers to the operation after
// it, RFC 7644 §3.7.1). Users refer to their manager: what differs is the
// resolution of references, which should cost time linear in the
// operations, so that the three stay close. Groups have the group before
// as a member, which nests them 600 deep: what differs there is also the
// cost of nesting in the store.
//
//	go test ./internal/server -run '^$' -bench BulkReferences -benchtime 3x
func BenchmarkBulkReferences(b *testing.B) {
	const n = 600
	for _, kind := range []string{"users", "groups"} {
		for _, bc := range []struct {
			name string
			ref  func(i int) int // the operation i refers to; -1: none
		}{
			{"flat", func(int) int { return -1 }},
			{"chained", func(i int) int { return i - 1 }},
			{"forward", func(i int) int {
				if i == n-1 {
					return -1
				}
				return i + 1
			}},
		} {
			b.Run(kind+"/"+bc.name, func(b *testing.B) {
				s := newBenchServer(b)
				round := 0
				b.ReportAllocs()
				for b.Loop() {
					round++
					body, _ := json.Marshal(map[string]any{"schemas": []string{schema.BulkRequestURN}, "Operations": bulkChain(kind, n, round, bc.ref)})
					rec := s.serve("POST", "/scim/v2/Bulk", body)
					if rec.Code != http.StatusOK || bytes.Count(rec.Body.Bytes(), []byte(`"status":"201"`)) != n {
						b.Fatalf("bulk: %d; the first failure: %.500s", rec.Code, rec.Body.Bytes()[max(0, bytes.Index(rec.Body.Bytes(), []byte(`"response"`))-100):])
					}
				}
			})
		}
	}
}

// bulkChain returns n bulk operations creating users or groups, operation
// i referring to operation ref(i) unless that is -1.
func bulkChain(kind string, n, round int, ref func(int) int) []any {
	ops := make([]any, n)
	for i := range ops {
		var data map[string]any
		if kind == "users" {
			data = map[string]any{"userName": fmt.Sprintf("user%d.%d", round, i)}
			if j := ref(i); j >= 0 {
				data["schemas"] = []string{schema.UserURN, schema.EnterpriseUserURN}
				data[schema.EnterpriseUserURN] = map[string]any{"manager": map[string]any{"value": fmt.Sprintf("bulkId:op%d", j)}}
			}
		} else {
			members := []any{}
			if j := ref(i); j >= 0 {
				members = append(members, map[string]any{"type": "Group", "value": fmt.Sprintf("bulkId:op%d", j)})
			}
			data = map[string]any{"displayName": fmt.Sprintf("group %d.%d", round, i), "members": members}
		}
		ops[i] = map[string]any{"method": "POST", "path": "/" + strings.ToUpper(kind[:1]) + kind[1:], "bulkId": fmt.Sprintf("op%d", i), "data": data}
	}
	return ops
}
